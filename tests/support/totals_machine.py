"""The totals machine (docs/rules.md §3): a cycle's recorded and counted totals equal what its
activities give, under any interleaving of records, corrections, removals, course events and
roll-overs, including two writers whose reads and writes interleave. Run over the in-memory store in
`make unit` (many examples) and over DynamoDB (moto) in the integration suite (fewer: what only the
table's expressions and conditions prove)."""

import contextlib
import itertools
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, multiple, rule

from ccp.domain.values import ActivityClaim, Category
from ccp.errors import Conflict, NotFound, RuleViolation
from ccp.rules.standing import rolled_over
from ccp.rules.versions import default_rule_book
from record_ce.enrolment import Enrolment
from record_ce.service import ActivityRequest, CeRecording, Editor, NewCredential, NewMember

TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 17, 0, tzinfo=UTC)
STAFF = Editor(subject="staff-1", is_staff=True, reason="course platform corrected its record")
CATEGORIES = [
    Category.PROFESSIONAL_EDUCATION,
    Category.AUTHORSHIP,
    Category.ORGANIZATIONAL_PARTICIPATION,
    Category.FORMAL_EDUCATION,
]
TITLES = ["Infection control", "infection  CONTROL", "Phlebotomy", "Safety", "Ethics"]


def claims():
    return st.builds(
        lambda category, title, provider, cents, day: ActivityClaim(
            category=category,
            title=title,
            provider=provider,
            points=Decimal(cents) / 100,
            start_date=date(2025, 3, 10).fromordinal(date(2025, 3, 10).toordinal() + day),
            end_date=date(2025, 3, 10).fromordinal(date(2025, 3, 10).toordinal() + day),
        ),
        st.sampled_from(CATEGORIES),
        st.sampled_from(TITLES),
        st.sampled_from([None, "Red Cross", "red cross ", "Other"]),
        st.integers(min_value=25, max_value=2500),
        st.integers(min_value=0, max_value=450),
    )


def stored_totals_agree_with_activities(members, activities_port, member_id: str) -> None:
    activities = activities_port.activities(member_id)
    for credential in members.credentials(member_id):
        mine = [a for a in activities if a.cycle_start.get(credential.code) == credential.cycle_start]
        # Summed here by hand, not with the code's own fold (ccp.rules.ce.totals_of).
        recorded: dict[str, Decimal] = defaultdict(Decimal)
        eligible: dict[str, Decimal] = defaultdict(Decimal)
        for activity in mine:
            recorded[activity.claim.category] += activity.claim.points
            eligible[activity.claim.category] += activity.eligible[credential.code]
        nonzero = lambda totals: {k: v for k, v in totals.items() if v != 0}  # noqa: E731
        assert nonzero(credential.recorded) == nonzero(recorded), credential.code
        assert nonzero(credential.eligible) == nonzero(eligible), credential.code
        assert all(v >= 0 for v in credential.recorded.values())


EXAMPLES = itertools.count(1)


class TotalsMachine(RuleBasedStateMachine):
    """Records, corrections, removals, course events, roll-overs and two interleaving writers, over the
    ports a subclass gives (DynamoDB through moto, or the in-memory store)."""

    activities = Bundle("activities")

    @initialize()
    def new_member(self):
        self.repository, self.activities_port = self.ports()
        recording = CeRecording(self.repository, self.activities_port, default_rule_book())
        self.enrolment = Enrolment(self.repository, recording, default_rule_book())
        self.service = recording
        member = NewMember(
            first_name="Prop",
            last_name="Erty",
            email=f"prop.{next(EXAMPLES)}@example.org",  # one person a member: each example its own
            mailing_address=None,
            credentials=[NewCredential("RMA", date(2025, 3, 10)), NewCredential("CMAS", date(2025, 3, 10))],
        )
        self.member_id = self.enrolment.create_member(member, today=TODAY, now=NOW).profile.member_id
        self.recorded = 0

    def _record(self, claim, codes, source):
        self.recorded += 1
        request = ActivityRequest(credentials=codes, claim=claim, attested=True)
        try:
            recorded = self.service.record(
                self.member_id,
                request,
                today=TODAY,
                now=NOW,
                source=source,
                activity_id=f"20260615170000-{self.recorded:08x}",
            )
        except (Conflict, RuleViolation):  # a duplicate, a frozen cycle, a rule: nothing changes
            return multiple()
        return recorded.activity.activity_id

    @rule(target=activities, claim=claims(), codes=st.sampled_from([["RMA"], ["CMAS"], ["RMA", "CMAS"]]))
    def record(self, claim, codes):
        return self._record(claim, codes, "member")

    @rule(target=activities, claim=claims())
    def course_event(self, claim):
        return self._record(claim, ["RMA", "CMAS"], "course_platform")

    @rule(activity=activities, cents=st.integers(min_value=25, max_value=2500), category=st.sampled_from(CATEGORIES))
    def correct(self, activity, cents, category):
        self._correct(activity, cents, category)

    def _correct(self, activity, cents, category, editor=STAFF):
        with contextlib.suppress(NotFound, Conflict, RuleViolation):
            self.service.update(
                self.member_id,
                activity,
                {"points": Decimal(cents) / 100, "category": category},
                attested=True,
                today=TODAY,
                now=NOW,
                editor=editor,
            )

    @rule(activity=consumes(activities))
    def delete(self, activity):
        with contextlib.suppress(NotFound, Conflict):
            self.service.delete(self.member_id, activity, today=TODAY, editor=STAFF)

    @rule(
        first=activities,
        second=activities,
        cents=st.integers(min_value=25, max_value=2500),
        other=st.integers(min_value=25, max_value=2500),
        second_deletes=st.booleans(),
    )
    def two_writers_interleave(self, first, second, cents, other, second_deletes):
        """Writer 2 changes (or removes) an activity after writer 1 read it and before writer 1 reads the totals."""

        def writer_two():
            if second_deletes:
                with contextlib.suppress(NotFound, Conflict):
                    self.service.delete(self.member_id, second, today=TODAY, editor=STAFF)
            else:
                self._correct(second, other, Category.PROFESSIONAL_EDUCATION)

        self.repository.between = writer_two
        self._correct(first, cents, Category.AUTHORSHIP)
        self.repository.between = None
        stored_totals_agree_with_activities(self.repository, self.activities_port, self.member_id)

    @rule(code=st.sampled_from(["RMA", "CMAS"]))
    def roll_over(self, code):
        """The cycle closes (as a paid closing invoice does): its entries freeze, the new one starts at zero."""
        before = next(c for c in self.repository.credentials(self.member_id) if c.code == code)
        self.repository.replace_credential(before, rolled_over(before, default_rule_book()))

    def teardown(self):
        # Drift never heals by itself (every change adds to or takes from the stored totals), so the
        # end of a sequence (and each interleaving, above) is where to look: two reads instead of two a step.
        if hasattr(self, "member_id"):
            stored_totals_agree_with_activities(self.repository, self.activities_port, self.member_id)
            self.forget(self.member_id)

    # ---- what a subclass provides ----------------------------------------------------------

    def ports(self):
        """(the member port, with a `between` hook run after its next read; the activities port)"""
        raise NotImplementedError

    def forget(self, member_id: str) -> None:
        """Remove an example's member, so the store stays small."""
