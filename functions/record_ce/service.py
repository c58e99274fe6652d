"""Recording CE: the use cases that write activities (record, correct, remove) and the words the CE
use cases share (requests, answers, ids). Enrolling members is `record_ce.enrolment`, reading a
member's standing `record_ce.reading`, their wiring `record_ce.wiring`.

Takes its ports (`record_ce.ports`) and the rule book as parameters and "today" from the caller
(the request's or event's time), so every use case can be replayed for any date.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from ccp.data.activities import TotalsWrite
from ccp.data.members import MemberFile
from ccp.data.writes import retry_on_stale
from ccp.domain.records import (
    ActivityRecord,
    Address,
    CredentialRecord,
    Decision,
    InvoiceRecord,
    MemberRecord,
    MemberState,
)
from ccp.domain.values import ZERO, ActivityClaim, Category, Cycle, CycleTotals
from ccp.errors import Conflict, NotFound, RuleViolation
from ccp.rules.ce import (
    CountedRow,
    Progress,
    check_claim,
    counted_by_activity,
    duplicate_key,
    eligible_points,
    next_met_on,
    progress_of,
)
from ccp.rules.standing import closing_invoice_change
from ccp.rules.status import LapseDates
from ccp.rules.versions import CategoryRule, RuleBook
from record_ce.ports import Activities, MemberStates


class NewCredential(NamedTuple):
    code: str
    certified_on: date
    grandfathered: bool | None = None
    # Held again since this day (an import's last reinstatement): its cycles and fees follow this day.
    reinstated_on: date | None = None


class NewMember(NamedTuple):
    first_name: str
    last_name: str
    email: str
    mailing_address: Address | None
    credentials: list[NewCredential]
    mail_opt_out: bool = False
    legacy_id: str | None = None  # the member's id in the body's previous system


class Editor(NamedTuple):
    """Who changes a record: staff may change the body's own records, with a reason kept in the history."""

    subject: str
    is_staff: bool
    reason: str | None = None
    member_note: str | None = None  # what the member is told of the change (the reason stays internal)


class ActivityRequest(NamedTuple):
    credentials: list[str]
    claim: ActivityClaim
    attested: bool


class RecordedActivity(NamedTuple):
    activity: ActivityRecord
    counted_by_credential: dict[str, Decimal]  # what the activity counts toward each credential's cycle
    total_change_by_credential: dict[str, Decimal]  # how much the cycle's counted total moved with it

    @property
    def counted_points(self) -> Decimal:
        """What the activity counts (as a transcript row says it); the smallest when it serves several."""
        return min(self.counted_by_credential.values(), default=ZERO)


class CredentialProgress(NamedTuple):
    credential: CredentialRecord
    cycle: Cycle
    progress: Progress
    met_on: date | None
    status: str
    lapse: LapseDates
    categories: dict[Category, CategoryRule]  # labels and guidance of the cycle's rule version


class VerifiedCredential(NamedTuple):
    code: str
    name: str
    certified_on: date
    status: str  # active | inactive | lapsed
    valid_through: date | None  # active: the last day before a fee or a cycle falls due unpaid or unmet


class Verification(NamedTuple):
    member_id: str
    name: str
    credentials: list[VerifiedCredential]


class MemberView(NamedTuple):
    state: MemberState
    statuses: dict[str, str]  # per credential, on the day asked


class HistoryEntry(NamedTuple):
    at: datetime
    by: str
    what: str
    note: str | None = None


class MemberFileView(NamedTuple):
    file: MemberFile
    statuses: dict[str, str]
    history: list[HistoryEntry]  # newest first


class TranscriptSection(NamedTuple):
    credential: str
    cycle: Cycle
    progress: Progress
    activities: list[ActivityRecord]  # earliest first: the order a category's cap fills in
    category_labels: dict[Category, str]  # as members know them (the cycle's rule version)
    gaps: list[dict[str, Decimal]]  # each activity's points that are not eligible, by reason

    @property
    def counted(self) -> list[CountedRow]:
        """Each activity's part of `progress`, in the same order as `activities`."""
        claims = [(a.claim, a.eligible[self.credential]) for a in self.activities]
        return counted_by_activity(claims, self.progress, self.gaps)


class Transcript(NamedTuple):
    member: MemberRecord
    generated_on: date
    sections: list[TranscriptSection]


MEMBER_ID = re.compile(r"[Mm][0-9A-Fa-f]{10}")


def new_member_id() -> str:
    return "M" + secrets.token_hex(5).upper()


def new_activity_id(now: datetime) -> str:
    # Time-ordered, so a member's activities list in the order they were recorded.
    return f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"


def course_activity_id(completion_id: str) -> str:
    """The same course completion always maps to the same activity (re-deliveries are duplicates)."""
    return "COURSE-" + hashlib.sha256(completion_id.encode()).hexdigest()[:20]


class CeRecording:
    """A member's CE activities and the running totals they move, written together."""

    def __init__(self, members: MemberStates, activities: Activities, rule_book: RuleBook):
        self._members = members
        self._activities = activities
        self._rule_book = rule_book

    def record(
        self,
        member_id: str,
        request: ActivityRequest,
        *,
        today: date,
        now: datetime,
        source: str = "member",
        activity_id: str | None = None,
    ) -> RecordedActivity:
        activity_id = activity_id or new_activity_id(now)

        def attempt() -> RecordedActivity:
            state = self._members.member_state(member_id)
            held = {c.code: c for c in state.credentials}
            recorded, writes = self.evaluate(
                member_id,
                request,
                held,
                today=today,
                now=now,
                source=source,
                activity_id=activity_id,
                invoices=state.invoices,
            )
            self._activities.record_activity(recorded.activity, writes)
            return recorded._replace(counted_by_credential=self._what_it_counts(recorded.activity, writes))

        return retry_on_stale(attempt)

    def evaluate(
        self,
        member_id: str,
        request: ActivityRequest,
        held: dict[str, CredentialRecord],
        *,
        today: date,
        now: datetime,
        source: str,
        activity_id: str,
        invoices: Sequence[InvoiceRecord] = (),
    ) -> tuple[RecordedActivity, list[TotalsWrite]]:
        """The activity as the rules judge it, and each claimed credential's new totals."""
        codes = self._claimed_codes(request.credentials, held, today)
        writes, eligible, cycles, dedup, change = [], {}, {}, {}, {}
        for code in codes:
            credential = held[code]
            rules = self._rule_book.in_force_on(credential.cycle_start)
            check_claim(request.claim, attested=request.attested, today=today, rules=rules)
            points = eligible_points(request.claim, credential.cycle, rules)
            before = self._progress(credential, credential.totals)
            totals = credential.totals.plus(request.claim.category, request.claim.points, points)
            write, after = self._totals_write(credential, totals, today, invoices)
            writes.append(write)
            eligible[code], cycles[code] = points, credential.cycle_start
            dedup[code] = duplicate_key(code, request.claim)
            change[code] = after.counted_points - before.counted_points
        activity = ActivityRecord(
            member_id=member_id,
            activity_id=activity_id,
            credentials=codes,
            **request.claim.model_dump(),
            attested=request.attested,
            source=source,
            cycle_start=cycles,
            eligible=eligible,
            dedup_keys=dedup,
            recorded_on=today,
            created_at=now,
        )
        return RecordedActivity(activity, {}, change), writes

    def update(
        self,
        member_id: str,
        activity_id: str,
        changes: dict,
        *,
        attested: bool,
        today: date,
        now: datetime,
        editor: Editor | None = None,
    ) -> RecordedActivity:
        def attempt() -> RecordedActivity:
            old = self._activities.activity(member_id, activity_id)
            state = self._members.member_state(member_id)
            held = {c.code: c for c in state.credentials}
            _ensure_open(old, held)
            _ensure_editable(old, editor)
            claim = ActivityClaim.model_validate({**old.claim.model_dump(), **changes})
            writes, eligible, dedup, change = [], {}, {}, {}
            for code in old.credentials:
                credential = held[code]
                rules = self._rule_book.in_force_on(credential.cycle_start)
                check_claim(claim, attested=attested, today=today, rules=rules)
                points = eligible_points(claim, credential.cycle, rules)
                before = self._progress(credential, credential.totals)
                totals = credential.totals.minus(old.category, old.points, old.eligible[code]).plus(
                    claim.category, claim.points, points
                )
                write, after = self._totals_write(credential, totals, today, state.invoices)
                writes.append(write)
                eligible[code], dedup[code] = points, duplicate_key(code, claim)
                change[code] = after.counted_points - before.counted_points
            history = old.history + (
                [
                    Decision(
                        by=editor.subject,
                        at=now,
                        action="corrected",
                        note=editor.reason,
                        member_note=editor.member_note,
                    )
                ]
                if old.source == "course_platform" and editor
                else []
            )
            new = old.model_copy(
                update={
                    **claim.model_dump(),
                    "eligible": eligible,
                    "dedup_keys": dedup,
                    "updated_at": now,
                    "history": history,
                }
            )
            self._activities.replace_activity(old, new, writes)
            return RecordedActivity(new, self._what_it_counts(new, writes), change)

        return retry_on_stale(attempt, edit_of_one_record=True)

    def delete(self, member_id: str, activity_id: str, *, today: date, editor: Editor | None = None) -> None:
        def attempt() -> None:
            old = self._activities.activity(member_id, activity_id)
            state = self._members.member_state(member_id)
            held = {c.code: c for c in state.credentials}
            _ensure_open(old, held)
            _ensure_editable(old, editor)
            writes = []
            for code in old.credentials:
                credential = held[code]
                totals = credential.totals.minus(old.category, old.points, old.eligible[code])
                writes.append(self._totals_write(credential, totals, today, state.invoices)[0])
            self._activities.delete_activity(old, writes)

        retry_on_stale(attempt, edit_of_one_record=True)

    def credentials_open_on(self, member_id: str, day: date) -> list[str]:
        """The held credentials whose open cycle holds `day` (where platform CE can count)."""
        return [c.code for c in self._held_credentials(member_id).values() if c.cycle.contains(day)]

    def activities(
        self, member_id: str, *, credential: str | None, cycle: str | None, today: date
    ) -> list[ActivityRecord]:
        held = self._held_credentials(member_id)
        code = held_code(credential, held, today, self._rule_book) if credential else None
        cycle_day = cycle_filter(cycle, today, self._rule_book)
        selected = []
        for activity in self._activities.activities(member_id):
            codes = [code] if code else activity.credentials
            if code and code not in activity.credentials:
                continue
            if cycle_day is not None and not any(
                activity.cycle_start.get(c) == (held[c].cycle_start if cycle_day == "current" else cycle_day)
                for c in codes
                if c in held
            ):
                continue
            selected.append(activity)
        return selected

    # ---- helpers -------------------------------------------------------------------------

    def _what_it_counts(self, activity: ActivityRecord, writes: list[TotalsWrite]) -> dict[str, Decimal]:
        """What the activity counts toward each credential's cycle now, as its transcript row says: its
        eligible points, unless its category's cap binds; then its part of the cap, earliest first
        (docs/rules.md §3), which takes one more read of the cycle's activities, only then."""
        counts: dict[str, Decimal] = {}
        cycle_activities: list[ActivityRecord] | None = None
        for write in writes:
            credential = write.credential  # with the totals just written
            progress = self._progress(credential, credential.totals)
            cap = progress.by_category[activity.category].cap
            eligible = activity.eligible[credential.code]
            if cap is None or credential.eligible.get(activity.category, ZERO) <= cap:
                counts[credential.code] = eligible
                continue
            if cycle_activities is None:
                cycle_activities = self._activities.activities(activity.member_id)
            mine = sorted(
                (a for a in cycle_activities if a.cycle_start.get(credential.code) == credential.cycle_start),
                key=lambda a: (a.end_date, a.activity_id),
            )
            rows = counted_by_activity(
                [(a.claim, a.eligible[credential.code]) for a in mine], progress, [{}] * len(mine)
            )
            counts[credential.code] = next(
                (r.counted for a, r in zip(mine, rows, strict=True) if a.activity_id == activity.activity_id), ZERO
            )
        return counts

    def _progress(self, credential: CredentialRecord, totals: CycleTotals) -> Progress:
        rules = self._rule_book.in_force_on(credential.cycle_start)
        return progress_of(totals, credential=credential.code, grandfathered=credential.grandfathered, rules=rules)

    def _totals_write(
        self, credential: CredentialRecord, totals: CycleTotals, today: date, invoices: Sequence[InvoiceRecord] = ()
    ) -> tuple[TotalsWrite, Progress]:
        after = self._progress(credential, totals)
        met_on = next_met_on(credential.met_on, after, grandfathered=credential.grandfathered, today=today)
        updated = credential.model_copy(
            update={"recorded": totals.recorded, "eligible": totals.eligible, "met_on": met_on}
        )
        closing = next((i for i in invoices if i.invoice_id == credential.closing_invoice_id), None)
        unlock, relock = closing_invoice_change(credential, met_on, closing)
        return TotalsWrite(updated, unlock, relock), after

    def _held_credentials(self, member_id: str) -> dict[str, CredentialRecord]:
        return {c.code: c for c in self._members.credentials(member_id)} or self._no_credentials(member_id)

    def _no_credentials(self, member_id: str) -> dict[str, CredentialRecord]:
        if not self._members.member_exists(member_id):
            raise NotFound(f"No member {member_id}.", code="MEMBER_NOT_FOUND")
        return {}

    def _claimed_codes(self, requested: list[str], held: dict[str, CredentialRecord], today: date) -> list[str]:
        codes = list(dict.fromkeys(held_code(c, held, today, self._rule_book) for c in requested))
        if not codes:
            raise RuleViolation("Name at least one credential.", code="NO_CREDENTIAL")
        if len(codes) > 1 and not self._rule_book.in_force_on(today).one_activity_many_credentials:
            raise RuleViolation("One activity may be claimed for one credential only.", code="ONE_CREDENTIAL_ONLY")
        return codes


def held_code(code: str, held: dict[str, CredentialRecord], today: date, rule_book: RuleBook) -> str:
    """The credential's code as the rules name it, if the member holds it."""
    canonical = rule_book.in_force_on(today).canonical_code(code)
    if canonical not in held:
        raise RuleViolation(f"The member does not hold {canonical}.", code="CREDENTIAL_NOT_HELD")
    return canonical


def cycle_filter(cycle: str | None, today: date, rule_book: RuleBook) -> date | str | None:
    """`current`, a cycle start date, or no filter."""
    if cycle is None or cycle == "current":
        return cycle
    try:
        day = date.fromisoformat(cycle)
    except ValueError:
        raise RuleViolation("cycle is 'current' or a cycle start date (YYYY-MM-DD).", code="INVALID_CYCLE") from None
    # A cycle start lies between the first rule version and today (far dates would overflow cycle arithmetic).
    if day < rule_book.versions[0].effective_from or day > today:
        raise RuleViolation("No cycle of this member starts on that date.", code="INVALID_CYCLE")
    return day


def _ensure_editable(activity: ActivityRecord, editor: Editor | None) -> None:
    """Records from the body's own courses are the body's: only staff change them, with a reason."""
    if activity.source != "course_platform":
        return
    if editor is None or not editor.is_staff:
        raise Conflict(
            "This record comes from the body's own course platform; only staff can change it.",
            code="VERIFIED_RECORD",
        )
    if not editor.reason:
        raise RuleViolation("Say why this course-platform record is changed (reason).", code="REASON_REQUIRED")


def _ensure_open(activity: ActivityRecord, held: dict[str, CredentialRecord]) -> None:
    """Entries change only while their cycle is open. An audit is always of a cycle that rolled
    over, so an audited cycle's entries are frozen by this same rule (docs/rules.md §3, §6)."""
    for code in activity.credentials:
        credential = held.get(code)
        if credential is None or credential.cycle_start != activity.cycle_start[code]:
            raise Conflict("The cycle of this activity has rolled over; its entries are frozen.", code="CYCLE_FROZEN")
