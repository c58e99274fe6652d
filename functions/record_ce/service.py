"""CE recording use cases: members, activities, progress, transcripts.

Takes the repository and the rule book as parameters and "today" from the caller (the request's
or event's time), so every use case can be replayed for any date.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from ccp.data.members import MemberFile, MemberRepository, TotalsWrite, retry_on_stale
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
    is_grandfathered,
    next_met_on,
    progress_of,
    totals_of,
)
from ccp.rules.dates import cycle_containing, cycle_starting
from ccp.rules.standing import closing_invoice_change, credential_lapse_dates, credential_status
from ccp.rules.status import LapseDates
from ccp.rules.versions import CategoryRule, RuleBook, default_rule_book


class NewCredential(NamedTuple):
    code: str
    certified_on: date
    grandfathered: bool | None = None


class NewMember(NamedTuple):
    first_name: str
    last_name: str
    email: str
    mailing_address: Address | None
    credentials: list[NewCredential]
    mail_opt_out: bool = False


class Editor(NamedTuple):
    """Who changes a record: staff may change the body's own records, with a reason kept in the history."""

    subject: str
    is_staff: bool
    reason: str | None = None


class ActivityRequest(NamedTuple):
    credentials: list[str]
    claim: ActivityClaim
    attested: bool


class RecordedActivity(NamedTuple):
    activity: ActivityRecord
    counted_by_credential: dict[str, Decimal]

    @property
    def counted_points(self) -> Decimal:
        """What the activity added to the counted total; the smallest when it serves several credentials."""
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

    @property
    def counted(self) -> list[CountedRow]:
        """Each activity's part of `progress`, in the same order as `activities`."""
        return counted_by_activity([(a.claim, a.eligible[self.credential]) for a in self.activities], self.progress)


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


class CeService:
    def __init__(self, members: MemberRepository, rule_book: RuleBook):
        self._members = members
        self._rule_book = rule_book

    # ---- members -------------------------------------------------------------------------

    def create_member(self, request: NewMember, *, today: date, now: datetime) -> MemberState:
        state = self._new_member_state(request, today=today, now=now)
        self._members.create_member(state.profile, state.credentials)
        return state

    def import_members(
        self, requests: list[tuple[NewMember, list[ActivityRequest]]], *, today: date, now: datetime
    ) -> list[MemberState]:
        """Load many new members with their CE history in batches (seeding, migration).

        Every activity goes through the same rules as a live recording; the writes are batched
        rather than transactional, so this is for new members only.
        """
        loaded, states = [], []
        for request, activity_requests in requests:
            state = self._new_member_state(request, today=today, now=now)
            held = {c.code: c for c in state.credentials}
            activities: list[ActivityRecord] = []
            seen: set[str] = set()
            for number, activity_request in enumerate(activity_requests):
                activity, writes = self._evaluate(
                    state.profile.member_id,
                    activity_request,
                    held,
                    today=today,
                    now=now,
                    source="staff",
                    activity_id=f"{now:%Y%m%d%H%M%S}-import{number:04d}",
                )
                if seen & set(activity.activity.dedup_keys.values()):
                    raise Conflict("The same activity is listed twice.", code="DUPLICATE_ACTIVITY")
                seen |= set(activity.activity.dedup_keys.values())
                held.update({w.credential.code: w.credential for w in writes})
                activities.append(activity.activity)
            state = MemberState(profile=state.profile, credentials=list(held.values()))
            loaded.append((state.profile, state.credentials, activities))
            states.append(state)
        self._members.bulk_load(loaded)
        return states

    def _new_member_state(self, request: NewMember, *, today: date, now: datetime) -> MemberState:
        rules = self._rule_book.in_force_on(today)
        member = MemberRecord(
            member_id=new_member_id(),
            first_name=request.first_name.strip(),
            last_name=request.last_name.strip(),
            email=request.email.strip().lower(),
            mailing_address=request.mailing_address,
            mail_opt_out=request.mail_opt_out,
            created_at=now,
        )
        credentials: list[CredentialRecord] = []
        for held in request.credentials:
            code = rules.canonical_code(held.code)
            if any(c.code == code for c in credentials):
                raise RuleViolation(f"Credential {code} is listed twice.", code="DUPLICATE_CREDENTIAL")
            if held.certified_on > today:
                raise RuleViolation("A certification date cannot be in the future.", code="FUTURE_DATE")
            eligible_for_grandfathering = is_grandfathered(held.certified_on, rules)
            if held.grandfathered and not eligible_for_grandfathering:
                raise RuleViolation(
                    f"Only members certified before {rules.grandfathered_if_certified_before} are grandfathered.",
                    code="NOT_GRANDFATHERED",
                )
            grandfathered = eligible_for_grandfathering if held.grandfathered is None else held.grandfathered
            # A migrated member starts in the cycle of the chain that holds today.
            cycle = cycle_containing(held.certified_on, today, rules.cycle_years)
            credentials.append(
                CredentialRecord(
                    member_id=member.member_id,
                    code=code,
                    certified_on=held.certified_on,
                    grandfathered=grandfathered,
                    cycle_start=cycle.start,
                    cycle_end=cycle.end,
                    contact=member.contact,
                )
            )
        return MemberState(profile=member, credentials=credentials)

    def member(self, member_id: str, today: date) -> MemberView:
        state = self._members.member_state(member_id)
        return MemberView(state, self._statuses(state, today))

    def _statuses(self, state: MemberState, today: date) -> dict[str, str]:
        return {
            c.code: credential_status(c, state.invoices_of(c.code), today, self._rule_book).status
            for c in state.credentials
        }

    # ---- activities ----------------------------------------------------------------------

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
            state = self._held_state(member_id)
            held = {c.code: c for c in state.credentials}
            recorded, writes = self._evaluate(
                member_id,
                request,
                held,
                today=today,
                now=now,
                source=source,
                activity_id=activity_id,
                invoices=state.invoices,
            )
            self._members.record_activity(recorded.activity, writes)
            return recorded

        return retry_on_stale(attempt)

    def _evaluate(
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
        writes, eligible, cycles, dedup, counted = [], {}, {}, {}, {}
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
            counted[code] = after.counted_points - before.counted_points
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
        return RecordedActivity(activity=activity, counted_by_credential=counted), writes

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
            old = self._members.activity(member_id, activity_id)
            state = self._held_state(member_id)
            held = {c.code: c for c in state.credentials}
            self._ensure_open(old, held)
            self._ensure_editable(old, editor)
            claim = ActivityClaim.model_validate({**old.claim.model_dump(), **changes})
            writes, eligible, dedup, counted = [], {}, {}, {}
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
                counted[code] = after.counted_points - before.counted_points
            history = old.history + (
                [self._staff_change(editor, "corrected", now)] if old.source == "course_platform" and editor else []
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
            self._members.replace_activity(old, new, writes)
            return RecordedActivity(activity=new, counted_by_credential=counted)

        return retry_on_stale(attempt, edit_of_one_record=True)

    def delete(self, member_id: str, activity_id: str, *, today: date, editor: Editor | None = None) -> None:
        def attempt() -> None:
            old = self._members.activity(member_id, activity_id)
            state = self._held_state(member_id)
            held = {c.code: c for c in state.credentials}
            self._ensure_open(old, held)
            self._ensure_editable(old, editor)
            writes = []
            for code in old.credentials:
                credential = held[code]
                totals = credential.totals.minus(old.category, old.points, old.eligible[code])
                writes.append(self._totals_write(credential, totals, today, state.invoices)[0])
            self._members.delete_activity(old, writes)

        retry_on_stale(attempt, edit_of_one_record=True)

    def credentials_open_on(self, member_id: str, day: date) -> list[str]:
        """The held credentials whose open cycle holds `day` (where platform CE can count)."""
        return [c.code for c in self._held_credentials(member_id).values() if c.cycle.contains(day)]

    def activities(
        self, member_id: str, *, credential: str | None, cycle: str | None, today: date
    ) -> list[ActivityRecord]:
        held = self._held_credentials(member_id)
        code = self._held_code(credential, held, today) if credential else None
        cycle_day = self._cycle_filter(cycle, today)
        selected = []
        for activity in self._members.activities(member_id):
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

    # ---- progress and transcript ---------------------------------------------------------

    def progress(self, member_id: str, today: date) -> list[CredentialProgress]:
        """One read: the credential items carry their open cycle's running totals."""
        state = self._members.member_state(member_id)
        statuses = self._statuses(state, today)
        return [
            CredentialProgress(
                credential=c,
                cycle=c.cycle,
                progress=self._progress(c, c.totals),
                met_on=c.met_on,
                status=statuses[c.code],
                lapse=credential_lapse_dates(c, state.invoices_of(c.code), today, self._rule_book),
                categories=self._rule_book.in_force_on(c.cycle.start).categories,
            )
            for c in state.credentials
        ]

    def member_file(self, member_id: str, today: date) -> MemberFileView:
        """Everything kept about a member, for staff, with the history of who changed what (one query)."""
        file = self._members.member_file(member_id)
        return MemberFileView(file, self._statuses(file.state, today), sorted(_history(file), reverse=True))

    def find_members(self, query: str, limit: int) -> list[dict[str, str]]:
        """Staff search: a member id, an email address, or the start of a last name (two letters or
        more), through the search index (never a Scan)."""
        text = query.strip()
        if MEMBER_ID.fullmatch(text):
            return self._members.member_with_id(text.upper())
        if "@" in text:
            return self._members.members_with_email(text, limit)
        if len(self._members.name_search_prefix(text)) < 2:
            raise RuleViolation(
                "Search by member id, email, or at least two letters of a last name.", code="QUERY_TOO_SHORT"
            )
        return self._members.members_named(text, limit)

    def verification(self, member_id: str, today: date) -> Verification:
        """What an employer may know on `today`: the name and each credential's standing (public)."""
        state = self._members.member_state(member_id)
        statuses = self._statuses(state, today)
        credentials = []
        for c in state.credentials:
            status = statuses[c.code]
            lapse = credential_lapse_dates(c, state.invoices_of(c.code), today, self._rule_book)
            credentials.append(
                VerifiedCredential(
                    code=c.code,
                    name=self._rule_book.in_force_on(today).credential(c.code).name,
                    certified_on=c.certified_on,
                    status={"must_recertify": "lapsed"}.get(status, status),
                    valid_through=(
                        lapse.inactive_on - timedelta(days=1) if status == "active" and lapse.inactive_on else None
                    ),
                )
            )
        profile = state.profile
        return Verification(profile.member_id, f"{profile.first_name} {profile.last_name}", credentials)

    def transcript(self, member_id: str, *, credential: str | None, cycle: str | None, today: date) -> Transcript:
        state = self._members.member_state(member_id)
        held = {c.code: c for c in state.credentials}
        codes = [self._held_code(credential, held, today)] if credential else list(held)
        cycle_day = self._cycle_filter(cycle, today)
        activities = self._members.activities(member_id)
        sections = []
        for code in codes:
            record = held[code]
            start = cycle_day if isinstance(cycle_day, date) else record.cycle_start
            rules = self._rule_book.in_force_on(start)
            chosen = [a for a in activities if a.cycle_start.get(code) == start]
            totals = totals_of([(a.claim, a.eligible[code]) for a in chosen])
            progress = progress_of(totals, credential=code, grandfathered=record.grandfathered, rules=rules)
            sections.append(
                TranscriptSection(
                    credential=code,
                    cycle=cycle_starting(start, rules.cycle_years),
                    progress=progress,
                    activities=sorted(chosen, key=lambda a: (a.end_date, a.activity_id)),
                    category_labels={category: rule.label for category, rule in rules.categories.items()},
                )
            )
        return Transcript(member=state.profile, generated_on=today, sections=sections)

    # ---- helpers -------------------------------------------------------------------------

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

    def _held_state(self, member_id: str) -> MemberState:
        """Profile, credentials and invoices in one query (what a CE write needs to know)."""
        return self._members.member_state(member_id)

    def _no_credentials(self, member_id: str) -> dict[str, CredentialRecord]:
        if not self._members.member_exists(member_id):
            raise NotFound(f"No member {member_id}.", code="MEMBER_NOT_FOUND")
        return {}

    def _held_code(self, code: str, held: dict[str, CredentialRecord], today: date) -> str:
        canonical = self._rule_book.in_force_on(today).canonical_code(code)
        if canonical not in held:
            raise RuleViolation(f"The member does not hold {canonical}.", code="CREDENTIAL_NOT_HELD")
        return canonical

    def _claimed_codes(self, requested: list[str], held: dict[str, CredentialRecord], today: date) -> list[str]:
        codes = list(dict.fromkeys(self._held_code(c, held, today) for c in requested))
        if not codes:
            raise RuleViolation("Name at least one credential.", code="NO_CREDENTIAL")
        if len(codes) > 1 and not self._rule_book.in_force_on(today).one_activity_many_credentials:
            raise RuleViolation("One activity may be claimed for one credential only.", code="ONE_CREDENTIAL_ONLY")
        return codes

    @staticmethod
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

    @staticmethod
    def _staff_change(editor: Editor, action: str, now: datetime) -> Decision:
        return Decision(by=editor.subject, at=now, action=action, note=editor.reason)

    @staticmethod
    def _ensure_open(activity: ActivityRecord, held: dict[str, CredentialRecord]) -> None:
        """Entries change only while their cycle is open. An audit is always of a cycle that rolled
        over, so an audited cycle's entries are frozen by this same rule (docs/rules.md §3, §6)."""
        for code in activity.credentials:
            credential = held.get(code)
            if credential is None or credential.cycle_start != activity.cycle_start[code]:
                raise Conflict(
                    "The cycle of this activity has rolled over; its entries are frozen.", code="CYCLE_FROZEN"
                )

    def _cycle_filter(self, cycle: str | None, today: date | None = None) -> date | str | None:
        if cycle is None or cycle == "current":
            return cycle
        try:
            day = date.fromisoformat(cycle)
        except ValueError:
            raise RuleViolation(
                "cycle is 'current' or a cycle start date (YYYY-MM-DD).", code="INVALID_CYCLE"
            ) from None
        # A cycle start lies between the first rule version and today (far dates would overflow cycle arithmetic).
        if day < self._rule_book.versions[0].effective_from or (today is not None and day > today):
            raise RuleViolation("No cycle of this member starts on that date.", code="INVALID_CYCLE")
        return day


def _history(file: MemberFile) -> list[HistoryEntry]:
    """Who did what to the member's records, and when: recordings, staff corrections, payments,
    notices sent, voids and every decision on applications and audits."""
    entries: list[HistoryEntry] = [HistoryEntry(d.at, d.by, d.action, d.note) for d in file.state.profile.changes]
    for a in file.activities:
        entries.append(HistoryEntry(a.created_at, a.source, f"recorded CE {a.title!r} ({a.points} points)"))
        entries += [HistoryEntry(d.at, d.by, f"{d.action} CE {a.title!r}", d.note) for d in a.history]
    for p in file.payments:
        entries.append(HistoryEntry(p.paid_at, p.recorded_by, f"payment {p.amount} ({p.method}) for {p.invoice_id}"))
        if p.refunded_at:
            entries.append(HistoryEntry(p.refunded_at, "processor", f"payment for {p.invoice_id} {p.refund_reason}"))
    for i in file.state.invoices:
        entries += [HistoryEntry(d.at, d.by, f"{d.action} invoice {i.invoice_id}", d.note) for d in i.history]
    for n in file.notices:
        if n.sent_at:
            entries.append(
                HistoryEntry(datetime.fromisoformat(n.sent_at), "system", f"{n.kind} notice sent by {n.channel}")
            )
        elif n.state == "parked":
            claimed = datetime.fromisoformat(n.claimed_at)
            entries.append(HistoryEntry(claimed, "system", f"{n.kind} notice by {n.channel} parked", n.last_error))
    for app in file.applications:
        entries += [
            HistoryEntry(d.at, d.by, f"{d.action} application {app.application_id}", d.note) for d in app.decisions
        ]
    for audit in file.audits:
        entries += [HistoryEntry(d.at, d.by, f"{d.action} audit {audit.audit_id}", d.note) for d in audit.decisions]
    return entries


@lru_cache(maxsize=1)
def default_service() -> CeService:
    """The service over the program's one table and rule book: what the CE API and the course
    completion function are built from (the latter without importing the API)."""
    from ccp.data.dynamo import table

    return CeService(MemberRepository(table()), default_rule_book())
