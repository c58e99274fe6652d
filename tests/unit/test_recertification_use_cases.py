"""Recertification over the in-memory store: a member lapsed three years applies by exam, pays the
fee, is authorised, passes, and holds the credential again in a new cycle (docs/rules.md §7)."""

from datetime import date

import pytest

from ccp.errors import Conflict, Forbidden
from ccp.rules.recertification import RecertPath
from recertify.service import Application, RecertificationService, StaffMember
from tests.unit.program import Program, at


class Documents:
    """The document bucket: nothing uploaded (an exam application carries no documents)."""

    def uploaded(self, key: str) -> bool:
        return False


@pytest.fixture
def lapsed():
    program = Program()
    member = program.enrol(date(2019, 7, 20), today=date(2019, 7, 20))
    for year in range(2020, 2024):  # a fee each July, never paid; the sweeps the day after each due date
        program.daily_jobs(date(year, 7, 1))
        program.daily_jobs(date(year, 8, 1))
    service = RecertificationService(
        program.store, program.store, Documents(), program.rule_book, program.events, program.sender
    )
    return program, member, service


def test_a_member_lapsed_three_years_is_reinstated_by_exam_in_a_new_cycle(lapsed):
    program, member, service = lapsed
    assert program.store.credentials(member)[0].status == "must_recertify"
    day = date(2024, 1, 10)
    request = Application("RMA", RecertPath.EXAM, False, [], [], True)
    application = service.apply(member, request, today=day, now=at(day))
    assert program.store.application(member, application.application_id).state == "awaiting_payment"
    program.pay_by_cheque(member, application.fee_invoice_id, day)
    assert program.store.application(member, application.application_id).state == "submitted"
    staff = StaffMember("staff-1")
    service.decide(application.application_id, approve=True, note=None, staff=staff, today=day, now=at(day))
    service.record_exam(
        application.application_id,
        passed=True,
        exam_date=date(2024, 2, 1),
        staff=staff,
        today=day.replace(month=2, day=2),
        now=at(date(2024, 2, 2)),
    )
    [credential] = program.store.credentials(member)
    assert (credential.status, credential.cycle_start, credential.recertification_required) == (
        "active",
        date(2024, 2, 1),
        False,
    )
    unpaid = [i.invoice_id for i in program.store.member_state(member).invoices if i.state in ("open", "locked")]
    assert unpaid == []  # the lapsed years' fees are voided with the reinstatement
    assert ("CredentialReinstated", member) in [(e, d["member_id"]) for e, d in program.events.published]
    assert len(program.outbox.to("ann@example.org", "reinstated")) == 1


def test_nobody_decides_their_own_case_and_an_unpaid_application_waits(lapsed):
    program, member, service = lapsed
    day = date(2024, 1, 10)
    application = service.apply(
        member, Application("RMA", RecertPath.EXAM, False, [], [], True), today=day, now=at(day)
    )
    with pytest.raises(Forbidden):
        service.decide(
            application.application_id, approve=True, note=None, staff=StaffMember("s", member), today=day, now=at(day)
        )
    with pytest.raises(Conflict) as refused:
        service.decide(
            application.application_id, approve=True, note=None, staff=StaffMember("s"), today=day, now=at(day)
        )
    assert refused.value.code == "FEE_NOT_PAID"
    assert program.store.application(member, application.application_id).decisions == []


def test_a_rejection_keeps_the_internal_note_and_what_the_member_is_told_apart(lapsed):
    program, member, service = lapsed
    day = date(2024, 1, 10)
    application = service.apply(
        member, Application("RMA", RecertPath.EXAM, False, [], [], True), today=day, now=at(day)
    )
    program.pay_by_cheque(member, application.fee_invoice_id, day)
    rejected = service.decide(
        application.application_id,
        approve=False,
        note="ID photo unreadable",
        member_note="Send a clearer copy of your photo ID and apply again.",
        staff=StaffMember("staff-1"),
        today=day,
        now=at(day),
    )
    [decision] = program.store.application(member, application.application_id).decisions
    assert (rejected.state, decision.note, decision.member_note) == (
        "rejected",
        "ID photo unreadable",
        "Send a clearer copy of your photo ID and apply again.",
    )
