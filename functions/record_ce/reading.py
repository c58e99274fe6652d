"""Reading a member's standing: the record, progress, statuses on any day, verification, transcripts,
the staff console's whole file and search. Nothing here writes."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ccp.data.members import MemberFile
from ccp.domain.records import MemberState
from ccp.errors import RuleViolation
from ccp.rules.ce import eligibility_gap, progress_of, totals_of
from ccp.rules.dates import cycle_starting
from ccp.rules.standing import credential_lapse_dates, credential_status
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


class MemberReading:
    def __init__(self, members: MemberStates, activities: Activities, directory: Directory, rule_book: RuleBook):
        self._members = members
        self._activities = activities
        self._directory = directory
        self._rule_book = rule_book

    def member(self, member_id: str, today: date) -> MemberView:
        state = self._members.member_state(member_id)
        return MemberView(state, self._statuses(state, today))

    def _statuses(self, state: MemberState, today: date) -> dict[str, str]:
        return {
            c.code: credential_status(c, state.invoices_of(c.code), today, self._rule_book).status
            for c in state.credentials
        }

    def progress(self, member_id: str, today: date) -> list[CredentialProgress]:
        """One read: the credential items carry their open cycle's running totals."""
        state = self._members.member_state(member_id)
        statuses = self._statuses(state, today)
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
