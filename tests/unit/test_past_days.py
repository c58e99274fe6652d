"""A past day stays what it was (docs/rules.md §5): whatever happens later (CE recorded, fees paid late,
refunds, roll-overs, lapses, a reinstatement by exam), asking about a day gives the status and progress
that were given on that day. A stateful property over the in-memory program: the machine lives through
random days, answers each day as the portal would on it, and asks every earlier day again."""

from __future__ import annotations

import os
from collections import Counter
from contextlib import suppress
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ccp.data.payments import ProcessorPayment, ProcessorRefund
from ccp.errors import CcpError
from ccp.rules.recertification import RecertPath
from recertify.service import Application, RecertificationService, StaffMember
from tests.support import figures
from tests.unit.program import Program, at

EXAMPLES = int(os.environ.get("CCP_PAST_DAYS_EXAMPLES", "300"))  # `make unit` runs fewer; CI runs these
STAFF = StaffMember("staff-1")


class NoDocuments:
    def uploaded(self, key: str) -> bool:
        return False


class PastDays(RuleBasedStateMachine):
    """One member, one credential, lived through random days. `answers` holds what was answered on each
    day seen (asked at the end of that day's events); a day left behind is never asked again the same way
    but must be answered the same."""

    @initialize(certified=st.dates(date(2012, 1, 1), date(2020, 12, 31)), grandfathered=st.booleans())
    def enrol(self, certified: date, grandfathered: bool) -> None:
        self.program = Program()
        self.today = certified
        self.member = self.program.enrol(certified, today=certified)
        if grandfathered:  # a member certified before the program (RULES §1) owes fees, not points
            store = self.program.store
            [credential] = store.credentials(self.member)
            store.put_credential(credential.model_copy(update={"grandfathered": True}))
        self.recertification = RecertificationService(
            self.program.store,
            self.program.store,
            NoDocuments(),
            self.program.rule_book,
            self.program.events,
            self.program.sender,
        )
        self.answers: dict[date, tuple] = {}
        self.references = 0
        self.paid: list[str] = []  # processor references still paying their invoice
        self.lived: Counter[str] = Counter()
        self._answer()

    # ---- what happens ----------------------------------------------------------------------------

    @rule(days=st.one_of(st.integers(1, 40), st.integers(150, 420), st.integers(1000, 1300)))
    def days_pass(self, days: int) -> None:
        """Time passes; the daily runs do what they do on the 1st of each month (invoices, notices,
        unlocking, the sweep): the days where something is due."""
        end = self.today + timedelta(days=days)
        day = self.today + timedelta(days=1)
        while day <= end:
            if day.day == 1:
                self.program.daily_jobs(day)
            day += timedelta(days=1)
        self.today = end
        self._answer()

    @rule(points=st.sampled_from(["2", "7.5", "15", "30", "60"]), back=st.integers(0, 400))
    def ce_is_recorded(self, points: str, back: int) -> None:
        credential = self._credential()
        completed = max(credential.cycle_start, min(self.today, credential.cycle_end) - timedelta(days=back))
        with suppress(CcpError):  # refused (a duplicate, a day outside the cycle): nothing changes
            self.program.recording.record(
                self.member, self._request(points, completed), today=self.today, now=at(self.today)
            )
        self._answer()

    @rule(which=st.integers(0, 5), every_one=st.booleans())
    def fees_are_paid(self, which: int, every_one: bool) -> None:
        """One fee (or every one owed) paid through the processor, as the portal offers them: open or
        refunded ones (a locked or a must-recertify fee is refused before any money moves)."""
        if self._status_today() == "must_recertify":
            return
        unpaid = [i for i in self._renewal_invoices() if i.state in ("open", "refunded")]
        for invoice in unpaid if every_one else unpaid[which % max(1, len(unpaid)) :][:1]:
            self.references += 1
            reference = f"pi_{self.references}"
            outcome = self.program.billing.on_processor_event(
                ProcessorPayment(
                    f"evt_{reference}",
                    self.member,
                    invoice.invoice_id,
                    reference,
                    invoice.amount,
                    "usd",
                    at(self.today),
                ),
                received_at=at(self.today),
            )
            if outcome.outcome == "recorded":
                self.paid.append(reference)
                self.lived["fees paid"] += 1
        self._answer()

    @rule(points=st.sampled_from(["10", "15", "30"]))
    def a_year_kept_up(self, points: str) -> None:
        """The member who keeps up: ten days into the next anniversary month, CE recorded and every fee
        paid (what makes cycles roll over)."""
        anchor = self._credential().anchor
        target = date(self.today.year, anchor.month, 11)
        if target <= self.today:
            target = date(self.today.year + 1, anchor.month, 11)
        self.days_pass((target - self.today).days)
        self.ce_is_recorded(points, back=0)
        self.fees_are_paid(0, every_one=True)

    @precondition(lambda self: bool(self.paid))
    @rule(which=st.integers(0, 5), reason=st.sampled_from(["refund", "dispute_lost"]))
    def a_payment_goes_back(self, which: int, reason: str) -> None:
        reference = self.paid.pop(which % len(self.paid))
        outcome = self.program.billing.on_processor_event(
            ProcessorRefund(f"evt_back_{reference}", reference, reason, True, Decimal(0)), received_at=at(self.today)
        )
        self.lived["payments that went back"] += outcome.outcome == "refunded"
        self._answer()

    @rule()
    def reinstated_by_exam(self) -> None:
        """A member who must recertify applies by exam, pays, is authorised and passes on the same day."""
        if self._status_today() != "must_recertify":
            return
        application = self.recertification.apply(
            self.member, Application("RMA", RecertPath.EXAM, False, [], [], True), today=self.today, now=at(self.today)
        )
        self.references += 1
        self.program.billing.on_processor_event(
            ProcessorPayment(
                f"evt_fee_{self.references}",
                self.member,
                application.fee_invoice_id,
                f"pi_fee_{self.references}",
                self._invoice(application.fee_invoice_id).amount,
                "usd",
                at(self.today),
            ),
            received_at=at(self.today),
        )
        self.recertification.decide(
            application.application_id, approve=True, note=None, staff=STAFF, today=self.today, now=at(self.today)
        )
        self.recertification.record_exam(
            application.application_id,
            passed=True,
            exam_date=self.today,
            staff=STAFF,
            today=self.today,
            now=at(self.today),
        )
        assert self._status_today() == "active"
        self.lived["reinstatements"] += 1
        self._answer()

    # ---- what must hold ------------------------------------------------------------------------------

    @invariant()
    def every_day_left_behind_is_answered_as_it_was_then(self) -> None:
        for day, answered in self.answers.items():
            if day < self.today:
                self.lived["days asked again"] += 1
                assert self._answer_for(day, at_day=day) == answered, f"{day} answered otherwise later"

    def teardown(self) -> None:
        archived = self.program.store.archives.values()
        self.lived["roll-overs"] += sum(1 for a in archived if a.replaced_by == "roll_over")
        self.lived["days answered"] += len(self.answers)
        for statuses, _, _ in self.answers.values():
            self.lived[f"days answered {statuses['RMA']}"] += 1
        figures.add("past days", "examples (members lived)")
        for what, n in self.lived.items():
            figures.add("past days", what, n)

    # ---- helpers ------------------------------------------------------------------------------------

    def _answer(self) -> None:
        """What the portal answers today (no `at`): kept as the day's answer, the last one of the day."""
        self.answers[self.today] = self._answer_for(self.today, at_day=None)

    def _answer_for(self, day: date, *, at_day: date | None) -> tuple:
        today = day if at_day is None else self.today
        member = self.program.reading.member(self.member, today, at=at_day)
        progress = [
            (
                p.credential.code,
                p.cycle.start,
                p.cycle.end,
                p.progress.recorded_points,
                p.progress.counted_points,
                p.met_on,
                p.status,
                p.lapse.inactive_on,
                p.lapse.must_recertify_on,
            )
            for p in self.program.reading.progress(self.member, today, at=at_day)
        ]
        cycles = [(c.code, c.cycle_start, c.cycle_end) for c in member.state.credentials]
        return member.statuses, cycles, progress

    def _status_today(self) -> str:
        return self.program.reading.member(self.member, self.today).statuses["RMA"]

    def _credential(self):
        [credential] = self.program.store.credentials(self.member)
        return credential

    def _renewal_invoices(self):
        return [i for i in self.program.store.member_state(self.member).invoices if i.purpose == "renewal"]

    def _invoice(self, invoice_id: str):
        return next(i for i in self.program.store.member_state(self.member).invoices if i.invoice_id == invoice_id)

    def _request(self, points: str, completed: date):
        from ccp.domain.values import ActivityClaim, Category
        from record_ce.service import ActivityRequest

        claim = ActivityClaim(
            category=Category.PROFESSIONAL_EDUCATION,
            title=f"Course {self.references}-{points}-{completed}",
            points=Decimal(points),
            start_date=completed,
            end_date=completed,
        )
        return ActivityRequest(["RMA"], claim, True)


def test_a_day_is_answered_later_as_it_was_answered_on_it():
    run_state_machine_as_test(
        PastDays,
        settings=settings(
            max_examples=EXAMPLES, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
