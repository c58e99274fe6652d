"""A member's history replayed through the program's own use cases, day by day, in a scratch store
(`ccp.data.scratch`): enrolment, CE recording and payments on the days they happened, and the daily
runs (invoice unlock, renewal run, status sweep) on every day they could have changed a record
(`ccp.rules.history`). What the store holds afterwards is what the program would hold had it run
through those years; nothing of it is sent (notices of days before an import never are)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ccp.data.outbound import Delivery
from ccp.data.scratch import InMemoryStore
from ccp.domain.records import PaymentRecord
from ccp.domain.values import ActivityClaim
from ccp.errors import CcpError, Conflict, RuleViolation
from ccp.notices import NoticeSender
from ccp.rules.dates import BUSINESS_TZ
from ccp.rules.history import (
    INVOICE_UNLOCK,
    RENEWAL_RUN,
    STATUS_SWEEP,
    cycle_ends,
    days_the_runs_matter,
    history_start,
)
from ccp.rules.renewals import invoice_id_for, issue_date_for
from ccp.rules.versions import RuleBook
from imports.lines import ImportedActivity, ImportedPayment, ImportLine
from record_ce.enrolment import Enrolment
from record_ce.schemas import NewCredentialIn
from record_ce.service import ActivityRequest, CeRecording, NewCredential, NewMember
from renewals.paying import Ledger, Payments, offline_reference, payment_id_for
from renewals.run import RenewalRun, RunStores
from renewals.standing_jobs import InvoiceUnlock, StatusSweep

IMPORTER = "import"  # who recorded what an import brought (payments, activities' history)
# A payment the program could not take yet on its day waits for the day it could (issued, unlocked).
NOT_PAYABLE_YET = {"INVOICE_LOCKED", "INVOICE_NOT_FOUND"}


class HistoryProblem(CcpError):
    """A line's history the program's rules refuse: where in the line, and the rule's own code."""

    def __init__(self, field: str, error: CcpError):
        super().__init__(error.message, code=error.code)
        self.field = field


def at(day: date, hour: int) -> datetime:
    """A moment of a business day (the program's days are Chicago's)."""
    return datetime.combine(day, time(hour), tzinfo=BUSINESS_TZ).astimezone(UTC)


class _Unsent:
    """The mailer and print bucket of a replay: nothing of a day before an import is sent or printed."""

    def send_bulk(self, template: str, messages: list[tuple[str, dict[str, str], str]]) -> list[Delivery]:
        return [Delivery(ok=True) for _ in messages]

    def put(self, key: str, body: bytes, content_type: str) -> str:
        return key

    def template_text(self, template: str) -> dict[str, str]:
        return {"subject": "", "text": ""}  # nothing is printed, so no words are needed


class _Unpublished:
    """The event bus of a replay: nothing of a day before an import is published (the import gives the
    badges the final state calls for), and the run's queue (a replay runs every unit inline)."""

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        return None

    def send(self, messages: list[dict[str, Any]]) -> None:
        raise AssertionError("a replay runs every unit inline")


class _Program:
    """The use cases over one scratch store, wired as each function's composition root wires them."""

    def __init__(self, rule_book: RuleBook):
        self.store = InMemoryStore()
        # The scratch store has every repository's methods and semantics (make unit holds them to it).
        store: Any = self.store
        unsent, unpublished = _Unsent(), _Unpublished()
        sender = NoticeSender(store, unsent, unsent, "replay-")
        self.recording = CeRecording(store, store, rule_book)
        self.enrolment = Enrolment(store, self.recording, rule_book)
        self.payments = Payments(Ledger(store, store, rule_book, unpublished, store))
        self.renewal_run = RenewalRun(RunStores(store, store, store), sender, unpublished, rule_book)
        self.unlock = InvoiceUnlock(store, store, sender)
        self.sweep = StatusSweep(store, store, sender, rule_book, events=unpublished)

    def daily_runs(self, day: date, jobs: frozenset[str]) -> None:
        """The day's scheduled runs that could change something, in the template's order and at its hours:
        the unlock at midnight, then at six the renewal run and the sweep."""
        if INVOICE_UNLOCK in jobs:
            self.unlock.run(at(day, 0))
        if RENEWAL_RUN in jobs:
            self.renewal_run.run_day(at(day, 6), inline_budget=1_000_000)
        if STATUS_SWEEP in jobs:
            self.sweep.run(at(day, 6))


class Replay:
    def __init__(self, rule_book: RuleBook):
        self._rule_book = rule_book

    def member(self, line: ImportLine, member_id: str, import_day: date) -> InMemoryStore:
        """The member as the program would hold them on the import day. HistoryProblem names the first
        part of the line the rules refuse; nothing of a refused line is kept."""
        book = self._rule_book
        held, reinstated_on = self._checked(line, import_day)
        paid = {code: [p for p in line.payments if _code(book, p.credential, import_day) == code] for code in held}
        starts: dict[str, date] = {}
        for code, credential in held.items():
            anchor = reinstated_on.get(code, credential.certified_on)
            years = book.in_force_on(anchor).cycle_years
            starts[code] = history_start(anchor, {p.anniversary for p in paid[code]}, import_day, years)

        program = _Program(book)
        first = min(starts.values())
        request = NewMember(
            first_name=line.first_name,
            last_name=line.last_name,
            email=line.email,
            mailing_address=line.mailing_address,
            mail_opt_out=line.mail_opt_out,
            legacy_id=line.legacy_id,
            credentials=[],
        )
        enrolments: dict[date, list[NewCredential]] = {}
        for code, credential in held.items():
            enrolments.setdefault(starts[code], []).append(
                NewCredential(code, credential.certified_on, credential.grandfathered, reinstated_on.get(code))
            )

        # Fees of cycles the old system closed are kept as history: paid, never invoices to chase.
        history_payments = [p for code in held for p in paid[code] if p.anniversary <= starts[code]]
        replayed_payments = [(n, p) for n, p in enumerate(line.payments) if p not in history_payments]
        activity_days = {
            n: max([a.end_date] + [starts[_code(book, c, import_day)] for c in a.credentials])
            for n, a in enumerate(line.activities)
        }
        member_days = set(activity_days.values()) | {p.paid_on for _, p in replayed_payments} | set(enrolments)
        years = book.in_force_on(import_day).cycle_years
        # The import day's runs too: what they give is given whether the deployment's run of that day
        # comes after the import (it finds the invoices issued, and sends their notices) or came before.
        runs = days_the_runs_matter(
            first,
            import_day + timedelta(days=1),
            anniversary_months={reinstated_on.get(code, c.certified_on).month for code, c in held.items()},
            deadlines=[end for code in held for end in cycle_ends(starts[code], import_day, years)],
            lapse_years={v.lapse_years_to_recertify for v in book.versions},
            member_days=member_days,
        )
        pending = sorted(replayed_payments, key=lambda np: np[1].paid_on)

        def step(day: date, jobs: frozenset[str]) -> None:
            nonlocal pending
            if day > first:  # on the first day the member is enrolled after the runs
                program.daily_runs(day, jobs)
            for credential in enrolments.get(day, []):
                self._enrol(program, member_id, request, credential, day)
            for number, activity in enumerate(line.activities):
                if activity_days[number] == day:
                    self._record(program, member_id, number, activity, day)
            pending = [(n, p) for n, p in pending if not self._pay(program, member_id, n, p, day)]

        for day in sorted(set(runs) | {d for d in member_days if first <= d <= import_day}):
            step(day, runs.get(day, frozenset()))
        if pending:
            number, payment = pending[0]
            raise HistoryProblem(
                f"payments.{number}",
                Conflict(
                    "The program would not have taken this payment: its invoice was never payable.",
                    code="NEVER_PAYABLE",
                ),
            )
        for payment in history_payments:
            self._keep(program, member_id, payment, import_day)
        return program.store

    def _checked(self, line: ImportLine, import_day: date) -> tuple[dict[str, NewCredentialIn], dict[str, date]]:
        """The credentials the line holds (by their current code) and the last day each was reinstated;
        HistoryProblem where the line names a credential it does not hold or a day that cannot be."""
        codes = [_code(self._rule_book, c.code, import_day) for c in line.credentials]
        held = dict(zip(codes, line.credentials, strict=True))
        for number, credential in enumerate(line.credentials):
            if credential.certified_on > import_day:
                future = RuleViolation("A certification date cannot be in the future.", code="FUTURE_DATE")
                raise HistoryProblem(f"credentials.{number}.certified_on", future)
        if len(held) < len(codes):
            twice = RuleViolation("A credential is listed twice.", code="DUPLICATE_CREDENTIAL")
            raise HistoryProblem("credentials", twice)
        named: list[tuple[str, list[str], date]] = [
            (f"activities.{n}", a.credentials, a.end_date) for n, a in enumerate(line.activities)
        ] + [(f"payments.{n}", [p.credential], p.paid_on) for n, p in enumerate(line.payments)]
        for field, credentials, day in named:
            if day > import_day:
                future = RuleViolation("A day after the import cannot be history yet.", code="FUTURE_DATE")
                raise HistoryProblem(field, future)
            for code in credentials:
                if _code(self._rule_book, code, import_day) not in held:
                    raise HistoryProblem(field, _unknown(code))
        reinstated_on: dict[str, date] = {}
        for number, reinstatement in enumerate(line.reinstatements):
            code = _code(self._rule_book, reinstatement.credential, import_day)
            if code not in held:
                raise HistoryProblem(f"reinstatements.{number}", _unknown(reinstatement.credential))
            if not held[code].certified_on < reinstatement.reinstated_on <= import_day:
                raise HistoryProblem(
                    f"reinstatements.{number}.reinstated_on",
                    RuleViolation("A reinstatement falls between the certification and the import.", code="BAD_DATE"),
                )
            reinstated_on[code] = max(reinstated_on.get(code, reinstatement.reinstated_on), reinstatement.reinstated_on)
        return held, reinstated_on

    def _enrol(
        self, program: _Program, member_id: str, request: NewMember, credential: NewCredential, day: date
    ) -> None:
        try:
            if program.store.member_exists(member_id):
                program.enrolment.add_credential(member_id, credential, today=day, now=at(day, 12))
            else:
                member = request._replace(credentials=[credential])
                program.enrolment.create_member(member, member_id=member_id, today=day, now=at(day, 12))
        except CcpError as error:
            raise HistoryProblem("credentials", error) from None

    @staticmethod
    def _record(program: _Program, member_id: str, number: int, activity: ImportedActivity, day: date) -> None:
        claim = ActivityClaim(**activity.model_dump(include=set(ActivityClaim.model_fields)))
        try:
            program.recording.record(
                member_id,
                ActivityRequest(activity.credentials, claim, attested=True),
                today=day,
                now=at(day, 12),
                source=activity.source,
                activity_id=f"{day:%Y%m%d}120000-import{number:04d}",
            )
        except CcpError as error:
            raise HistoryProblem(f"activities.{number}", error) from None

    def _pay(self, program: _Program, member_id: str, number: int, payment: ImportedPayment, day: date) -> bool:
        """Whether the payment was taken on `day` (False: not yet its day, or its invoice not yet payable)."""
        if payment.paid_on > day or issue_date_for(payment.anniversary) > day:
            return False
        code = _code(self._rule_book, payment.credential, day)
        try:
            program.payments.pay(
                member_id,
                invoice_id_for(code, payment.anniversary),
                amount=payment.amount,
                currency=None,
                reference=_reference(member_id, payment),
                method=payment.method,
                recorded_by=IMPORTER,
                event_id=None,
                paid_at=at(day, 12),
            )
        except CcpError as error:
            if error.code in NOT_PAYABLE_YET:
                return False
            raise HistoryProblem(f"payments.{number}", error) from None
        return True

    def _keep(self, program: _Program, member_id: str, payment: ImportedPayment, import_day: date) -> None:
        code = _code(self._rule_book, payment.credential, import_day)
        reference = _reference(member_id, payment)
        program.store.keep_payment(
            PaymentRecord(
                member_id=member_id,
                payment_id=payment_id_for(member_id, reference),
                invoice_id=invoice_id_for(code, payment.anniversary),
                amount=payment.amount,
                processor_reference=reference,
                paid_at=at(payment.paid_on, 12),
                method=payment.method,
                recorded_by=IMPORTER,
            )
        )


def _code(book: RuleBook, code: str, day: date) -> str:
    return book.in_force_on(day).canonical_code(code)


def _reference(member_id: str, payment: ImportedPayment) -> str:
    """As the program keeps it: a processor's id as it is, a cheque's number within the member."""
    if payment.method == "card":
        return payment.reference
    return offline_reference(member_id, payment.method, payment.reference)


def _unknown(code: str) -> CcpError:
    return RuleViolation(f"The line names {code}, a credential it does not list.", code="CREDENTIAL_NOT_HELD")
