"""Reading a member's standing: the record, progress, statuses on any day, verification, transcripts,
the staff console's whole file and search. Nothing here writes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

from ccp.data.members import MemberFile
from ccp.domain.records import CredentialRecord, InvoiceRecord, MemberState
from ccp.errors import Forbidden, RuleViolation
from ccp.rules.ce import eligibility_gap, progress_of, totals_of
from ccp.rules.dates import cycle_starting
from ccp.rules.standing import credential_lapse_dates, credential_on, credential_status, invoice_state
from ccp.rules.versions import RuleBook
from record_ce.ports import Activities, Directory, MemberStates
from record_ce.service import (
    MEMBER_ID,
    CredentialProgress,
    HistoryEntry,
    MemberFileView,
    MemberView,
    Transcript,
    TranscriptSection,
    Verification,
    VerifiedCredential,
    cycle_filter,
    held_code,
)


def asked_day(at: date | None, *, today: date, is_staff: bool) -> date | None:
    """The past day staff ask the record for (`?at=`), or None for today. Members see their today only;
    a day to come is not a record but a forecast (the lapse dates give that)."""
    if at is None or at == today:
        return None
    if not is_staff:
        raise Forbidden("Only staff ask the record for another day.", code="STAFF_ONLY")
    if at > today:
        raise RuleViolation(
            "The record is kept for days that have been; ask for today or an earlier day.", code="FUTURE_DATE"
        )
    return at


class PastDay(NamedTuple):
    state: MemberState  # credentials and invoices as they stood (invoice states of that day)
    statuses: dict[str, str]
    invoices: list[InvoiceRecord]  # the invoices issued by then, as stored (what the rules judge)


class MemberReading:
    def __init__(self, members: MemberStates, activities: Activities, directory: Directory, rule_book: RuleBook):
        self._members = members
        self._activities = activities
        self._directory = directory
        self._rule_book = rule_book

    def member(self, member_id: str, today: date, at: date | None = None) -> MemberView:
        """The member on `today`, or as the records held them on a past day `at` (rules §5)."""
        state = self._members.member_state(member_id)
        if at is None:
            return MemberView(state, self._statuses(state, today))
        past = self._as_of(state, at)
        return MemberView(past.state, past.statuses)

    def _statuses(self, state: MemberState, today: date) -> dict[str, str]:
        return {
            c.code: credential_status(c, state.invoices_of(c.code), today, self._rule_book).status
            for c in state.credentials
        }

    def _as_of(self, state: MemberState, day: date) -> PastDay:
        """The member as the records held them at the end of `day`: each credential as it stood then (the
        cycle the day belongs to, before a later roll-over or reinstatement), the invoices issued by then
        in the state they had, and the statuses they made (one more query: the archived cycles)."""
        earlier = self._members.earlier_credentials(state)
        held = [credential_on(c, earlier, day) for c in state.credentials if c.certified_on <= day]
        versions = {c.code: c for c in held}
        issued = [i for i in state.invoices if i.issued_on <= day and i.credential in versions]
        statuses: dict[str, str] = {
            c.code: credential_status(c, [i for i in issued if i.credential == c.code], day, self._rule_book).status
            for c in held
        }
        as_they_were = [i.model_copy(update={"state": invoice_state(i, day, versions[i.credential])}) for i in issued]
        return PastDay(state.model_copy(update={"credentials": held, "invoices": as_they_were}), statuses, issued)

    def progress(self, member_id: str, today: date, at: date | None = None) -> list[CredentialProgress]:
        """One read: the credential items carry their open cycle's running totals. For a past day `at`:
        the cycle the day belonged to, with the points recorded toward it by then."""
        state = self._members.member_state(member_id)
        if at is None:
            credentials, invoices, statuses, day = (
                state.credentials,
                state.invoices,
                self._statuses(state, today),
                today,
            )
        else:
            past = self._as_of(state, at)
            credentials, invoices, statuses, day = past.state.credentials, past.invoices, past.statuses, at
            credentials = self._recorded_by(member_id, credentials, at)
        return [
            CredentialProgress(
                credential=c,
                cycle=c.cycle,
                progress=progress_of(
                    c.totals,
                    credential=c.code,
                    grandfathered=c.grandfathered,
                    rules=self._rule_book.in_force_on(c.cycle_start),
                ),
                met_on=c.met_on,
                status=statuses[c.code],
                lapse=credential_lapse_dates(c, [i for i in invoices if i.credential == c.code], day, self._rule_book),
                categories=self._rule_book.in_force_on(c.cycle.start).categories,
            )
            for c in credentials
        ]

    def _recorded_by(self, member_id: str, credentials: list[CredentialRecord], day: date) -> list[CredentialRecord]:
        """Each credential with its cycle's totals folded from the activities recorded by `day` (and the
        requirement met only if it was by then)."""
        activities = [a for a in self._activities.activities(member_id) if a.recorded_on <= day]
        folded = []
        for c in credentials:
            counted = [(a.claim, a.eligible[c.code]) for a in activities if a.cycle_start.get(c.code) == c.cycle_start]
            totals = totals_of(counted)
            met_on = c.met_on if c.met_on is not None and c.met_on <= day else None
            folded.append(
                c.model_copy(update={"recorded": totals.recorded, "eligible": totals.eligible, "met_on": met_on})
            )
        return folded

    def member_file(self, member_id: str, today: date, at: date | None = None) -> MemberFileView:
        """Everything kept about a member, for staff, with the history of who changed what (one query).
        For a past day `at`: the credentials, invoices and statuses as they stood then."""
        file = self._members.member_file(member_id)
        if at is None:
            return MemberFileView(file, self._statuses(file.state, today), sorted(_history(file), reverse=True))
        past = self._as_of(file.state, at)
        return MemberFileView(file._replace(state=past.state), past.statuses, sorted(_history(file), reverse=True))

    def find_members(self, query: str, limit: int) -> list[dict[str, str]]:
        """Staff search: a member id, an email address, or the start of a last name (two letters or
        more), through the search index (never a Scan)."""
        text = query.strip()
        if MEMBER_ID.fullmatch(text):
            return self._directory.member_with_id(text.upper())
        if "@" in text:
            return self._directory.members_with_email(text, limit)
        if len(self._directory.name_search_prefix(text)) < 2:
            raise RuleViolation(
                "Search by member id, email, or at least two letters of a last name.", code="QUERY_TOO_SHORT"
            )
        return self._directory.members_named(text, limit)

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
        codes = [held_code(credential, held, today, self._rule_book)] if credential else list(held)
        cycle_day = cycle_filter(cycle, today, self._rule_book)
        activities = self._activities.activities(member_id)
        sections = []
        for code in codes:
            record = held[code]
            start = cycle_day if isinstance(cycle_day, date) else record.cycle_start
            rules = self._rule_book.in_force_on(start)
            chosen = [a for a in activities if a.cycle_start.get(code) == start]
            totals = totals_of([(a.claim, a.eligible[code]) for a in chosen])
            progress = progress_of(totals, credential=code, grandfathered=record.grandfathered, rules=rules)
            in_order = sorted(chosen, key=lambda a: (a.end_date, a.activity_id))
            span = cycle_starting(start, rules.cycle_years)
            sections.append(
                TranscriptSection(
                    credential=code,
                    cycle=span,
                    progress=progress,
                    activities=in_order,
                    category_labels={category: rule.label for category, rule in rules.categories.items()},
                    gaps=[eligibility_gap(a.claim, a.eligible[code], span, rules) for a in in_order],
                )
            )
        return Transcript(member=state.profile, generated_on=today, sections=sections)


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
