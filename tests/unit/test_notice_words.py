"""Every kind of notice, read back as the member gets it (rules §9): two members live four years through
the program's own use cases (fees paid late and refunded, a lapse, CE met at the last minute, an audit,
a rejected application, a failed exam, a reinstatement), one by email and one by post (her address
bounced). Each email is rendered with its template's words (text and HTML) and each letter read back
from its print batch's PDF: no placeholder, no code, no `None`, nobody left unnamed."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from ccp.data.payments import ProcessorPayment, ProcessorRefund
from ccp.domain.records import Address, DocumentRecord
from ccp.notices import render
from ccp.rules.recertification import RecertPath
from ccp.rules.versions import RuleBook, default_rule_book
from recertify.service import Application, StaffMember
from record_ce.service import NewCredential, NewMember
from tests.support.notice_words import ses_words
from tests.unit.program import Program, at

STAFF = StaffMember("staff-1")
ADDRESS = Address(line1="1 Main St", city="Springfield", state="IL", postal_code="62701")
# A code is a snake_case word (must_recertify, lock_note); an unfilled variable keeps its braces.
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
SENT_ELSEWHERE = {"email-confirmation"}  # a code to a new address, sent by the contact use case (test_contact_changes)


def everyone_audited() -> RuleBook:
    """The shipped rules with every rolled-over member drawn for the audit (the default draws 5%)."""
    book = default_rule_book()
    return RuleBook(versions=tuple(v.model_copy(update={"audit_share": Decimal(1)}) for v in book.versions))


@pytest.fixture(scope="module")
def lived() -> Program:
    return live_four_years()


def live_four_years() -> Program:
    """The life of Ann (email) and Bea (post): every kind of notice, each through its own use case."""
    program = Program(everyone_audited())
    ann = _enrol(program, "Ann", "ann@example.org")
    bea = _enrol(program, "Bea", "bea@example.org", bounced=True)
    members = (ann, bea)
    day = date(2019, 8, 1)
    while day <= date(2022, 6, 1):  # fees unpaid for a year, CE reminders: the runs of each month's 1st
        program.daily_jobs(day)
        if day == date(2020, 9, 1):
            for member in members:
                _pay(program, member, "RMA-20200720", day, "late")
                _refund(program, f"late-{member}", day + timedelta(days=2))
                _pay(program, member, "RMA-20200720", day + timedelta(days=5), "again")
        day = (day + timedelta(days=32)).replace(day=1)
    for reminder_day in (date(2022, 4, 20), date(2022, 6, 19)):  # 90 and 30 days before the cycle ends
        program.daily_jobs(reminder_day)
    program.daily_jobs(date(2022, 7, 1))
    for member in members:  # the points come at the last minute: the closing fee unlocks the next day
        program.record(member, "30", date(2022, 7, 5))
    program.daily_jobs(date(2022, 7, 6))
    for member in members:
        for invoice in ("RMA-20210720", "RMA-20220720"):
            _pay(program, member, invoice, date(2022, 7, 10), invoice)
    program.audits.run(at(date(2023, 1, 2)))
    program.audits.expire(at(date(2023, 2, 17)))  # two weeks before the deadline: reminded
    [ann_audit] = program.audits.member_audits(ann)
    program.store.put_document(
        DocumentRecord(
            member_id=ann,
            document_id="DOC-1",
            purpose="audit",
            content_type="application/pdf",
            filename="certificate.pdf",
            key="documents/DOC-1",
            created_at=at(date(2023, 2, 20)),
        )
    )
    program.audits.attach(ann_audit.audit_id, "DOC-1")
    program.audits.decide(
        ann_audit.audit_id,
        passed=True,
        note="certificate matches",
        staff=STAFF,
        today=date(2023, 2, 21),
        now=at(date(2023, 2, 21)),
        member_note="Your certificate shows the course you recorded.",
    )
    program.audits.expire(at(date(2023, 3, 10)))  # Bea sent nothing: failed, she must recertify
    _recertify(program, bea, date(2023, 4, 3))
    return program


def _enrol(program: Program, first_name: str, email: str, *, bounced: bool = False) -> str:
    member = NewMember(first_name, "Bee", email, ADDRESS, [NewCredential("RMA", date(2019, 7, 20))])
    member_id = program.enrolment.create_member(
        member, today=date(2019, 7, 20), now=at(date(2019, 7, 20))
    ).profile.member_id
    if bounced:  # her notices go by post from now on, as a bounce report leaves them
        store = program.store
        store.profiles[member_id] = store.profiles[member_id].model_copy(update={"email_status": "bounced"})
        [credential] = store.credentials(member_id)
        contact = credential.contact.model_copy(update={"email_status": "bounced"})
        store.put_credential(credential.model_copy(update={"contact": contact}))
    return member_id


def _pay(program: Program, member: str, invoice_id: str, day: date, tag: str) -> None:
    invoice = next(i for i in program.store.member_state(member).invoices if i.invoice_id == invoice_id)
    event = ProcessorPayment(
        f"evt-{tag}-{member}", member, invoice_id, f"{tag}-{member}", invoice.amount, "usd", at(day)
    )
    assert program.billing.on_processor_event(event, received_at=at(day)).outcome == "recorded"


def _refund(program: Program, reference: str, day: date) -> None:
    event = ProcessorRefund(f"evt-back-{reference}", reference, "refund", True, Decimal(50))
    assert program.billing.on_processor_event(event, received_at=at(day)).outcome == "refunded"


def _recertify(program: Program, member: str, day: date) -> None:
    """Rejected once (with words for her), authorised, an exam failed, authorised again, passed."""
    service = program.recertification
    for attempt, outcome in enumerate(("rejected", "exam_failed", "reinstated")):
        today = day + timedelta(days=10 * attempt)
        application = service.apply(
            member, Application("RMA", RecertPath.EXAM, False, [], [], True), today=today, now=at(today)
        )
        _pay(program, member, application.fee_invoice_id, today, f"fee{attempt}")
        approve = outcome != "rejected"
        note = None if approve else "Your application did not include the exam fee waiver form."
        service.decide(
            application.application_id,
            approve=approve,
            note="internal: form missing",
            staff=STAFF,
            today=today,
            now=at(today),
            member_note=note,
        )
        if approve:
            exam = today + timedelta(days=5)
            service.record_exam(
                application.application_id,
                passed=outcome == "reinstated",
                exam_date=exam,
                staff=STAFF,
                today=exam,
                now=at(exam),
            )


def _emails(program: Program) -> list[tuple[str, dict[str, str]]]:
    return [(template.split("-", 1)[1], data) for template, _, data in program.outbox.sent]


def _letters(program: Program) -> list[str]:
    pages = []
    for key, body in program.batches.objects.items():
        if key.endswith(".pdf"):
            pages += [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]
    return pages


def _unfit(text: str) -> list[str]:
    """What a member must never read: braces left, None, a code."""
    return re.findall(r"{{\s*\w+\s*}}", text) + re.findall(r"\bNone\b", text) + CODE.findall(text)


def test_every_kind_of_notice_reaches_someone_in_the_life(lived):
    kinds = {kind for kind, _ in _emails(lived)} | {
        c.kind for c in lived.store.claims.values() if c.channel == "postal"
    }
    assert kinds == set(ses_words()) - SENT_ELSEWHERE


def test_each_notice_reads_in_plain_words_with_every_variable_filled(lived):
    """Every notice of the ledger, email or letter, rendered with its words: subject, text and HTML."""
    claims = [(c.kind, c.data) for c in lived.store.claims.values()]
    assert {kind for kind, _ in claims} == set(ses_words()) - SENT_ELSEWHERE
    for kind, data in claims:
        words = ses_words()[kind]
        variables = set(re.findall(r"{{\s*(\w+)\s*}}", "".join(words.values())))
        assert variables <= set(data), f"{kind}: SES refuses a send without {variables - set(data)}"
        for part in ("subject", "text", "html"):
            rendered = render(words[part], data)
            assert _unfit(re.sub(r"<[^>]+>", " ", rendered)) == [], (kind, part, rendered)
        assert render(words["text"], data).startswith(f"Dear {data['name']},") and data["name"].strip()


def test_each_letter_reads_back_from_its_pdf_in_plain_words(lived):
    letters = _letters(lived)
    by_kind: dict[str, int] = defaultdict(int)
    for claim in lived.store.claims.values():
        if claim.channel == "postal" and claim.state == "sent":
            by_kind[claim.kind] += 1
    assert sum(by_kind.values()) == len(letters) > 0
    for page in letters:
        assert re.search(r"(Ann|Bea) Bee\n1 Main St", page), page
        # The member line names the credential; everything else is words.
        assert _unfit(page) == [], page


def test_a_rejection_carries_the_words_staff_wrote_for_the_member_and_never_the_internal_note(lived):
    [rejected] = [c for c in lived.store.claims.values() if c.kind == "application_rejected"]
    assert rejected.data["member_note"] == "Your application did not include the exam fee waiver form."
    assert not any("internal" in page for page in _letters(lived))
    assert not any("internal" in str(data) for _, data in _emails(lived))


def test_decisions_go_by_post_only_to_the_member_without_a_usable_email(lived):
    by_channel: dict[str, set[str]] = defaultdict(set)
    for claim in lived.store.claims.values():
        by_channel[f"{claim.contact.name} {claim.channel}"].add(claim.kind)
    decisions = {"status_changed", "refund", "audit_reminder", "audit_passed", "audit_failed"}
    assert decisions & by_channel["Ann Bee postal"] == set()  # her email works: no letter for these
    assert {"status_changed", "audit_notice", "audit_reminder", "audit_failed"} <= by_channel["Bea Bee postal"]
    assert {"renewal_due", "audit_notice"} <= by_channel["Ann Bee postal"]  # renewal and audit notices: both ways
    assert by_channel["Bea Bee email"] == set()
