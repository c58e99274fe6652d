"""Enrolling members: one at a time (the staff API), a credential more for a known member, or many
with their CE history (seeding). Each credential starts in the cycle of its chain that holds the day
of enrolment, and gets at once what the month's daily runs would have given it."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from ccp.domain.records import ActivityRecord, CredentialRecord, MemberRecord, MemberState
from ccp.errors import Conflict, RuleViolation
from ccp.renewal_notices import RenewalNotices
from ccp.rules.ce import is_grandfathered
from ccp.rules.dates import cycle_containing
from ccp.rules.versions import RuleBook
from record_ce.ports import MemberStates, NoticeSenderPort
from record_ce.service import ActivityRequest, CeRecording, NewCredential, NewMember, new_member_id


class Welcome(NamedTuple):
    """How a member enrolled on any day gets at once what the daily runs would have given them."""

    notices: RenewalNotices
    sender: NoticeSenderPort


class Enrolment:
    def __init__(
        self, members: MemberStates, recording: CeRecording, rule_book: RuleBook, welcome: Welcome | None = None
    ):
        self._members = members
        self._recording = recording
        self._rule_book = rule_book
        self._welcome = welcome  # None: loading history (seeding), where no notice of the past is sent

    def create_member(
        self, request: NewMember, *, today: date, now: datetime, member_id: str | None = None
    ) -> MemberState:
        """A new member (`member_id`: an import's, derived from the legacy id, so a retried line is the same)."""
        state = self._new_member_state(request, today=today, now=now, member_id=member_id)
        self._members.create_member(state.profile, state.credentials)
        self._what_the_runs_give(state.credentials, today, now)
        return state

    def add_credential(self, member_id: str, held: NewCredential, *, today: date, now: datetime) -> CredentialRecord:
        """Staff give a known member another credential (one person, one member: docs/rules.md §8)."""
        state = self._members.member_state(member_id)
        credential = self._credential(state.profile, held, today)
        if state.credential(credential.code) is not None:
            raise Conflict(f"The member already holds {credential.code}.", code="CREDENTIAL_HELD")
        self._members.add_credential(credential)
        self._what_the_runs_give([credential], today, now)
        return credential

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
                activity, writes = self._recording.evaluate(
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

    def _new_member_state(
        self, request: NewMember, *, today: date, now: datetime, member_id: str | None = None
    ) -> MemberState:
        member = MemberRecord(
            member_id=member_id or new_member_id(),
            first_name=request.first_name.strip(),
            last_name=request.last_name.strip(),
            email=request.email.strip().lower(),
            guarded_email=request.email.strip().lower(),
            mailing_address=request.mailing_address,
            mail_opt_out=request.mail_opt_out,
            created_at=now,
            legacy_id=request.legacy_id.strip() if request.legacy_id else None,
        )
        credentials: list[CredentialRecord] = []
        for held in request.credentials:
            credential = self._credential(member, held, today)
            if any(c.code == credential.code for c in credentials):
                raise RuleViolation(f"Credential {credential.code} is listed twice.", code="DUPLICATE_CREDENTIAL")
            credentials.append(credential)
        return MemberState(profile=member, credentials=credentials)

    def _credential(self, member: MemberRecord, held: NewCredential, today: date) -> CredentialRecord:
        """A credential as the member holds it from `today`: in the cycle of its chain that holds today."""
        rules = self._rule_book.in_force_on(today)
        if held.certified_on > today:
            raise RuleViolation("A certification date cannot be in the future.", code="FUTURE_DATE")
        eligible_for_grandfathering = is_grandfathered(held.certified_on, rules)
        if held.grandfathered and not eligible_for_grandfathering:
            raise RuleViolation(
                f"Only members certified before {rules.grandfathered_if_certified_before} are grandfathered.",
                code="NOT_GRANDFATHERED",
            )
        cycle = cycle_containing(held.reinstated_on or held.certified_on, today, rules.cycle_years)
        return CredentialRecord(
            member_id=member.member_id,
            code=rules.canonical_code(held.code),
            certified_on=held.certified_on,
            # Recertified: grandfathering is lost (docs/rules.md §7).
            grandfathered=held.reinstated_on is None
            and (eligible_for_grandfathering if held.grandfathered is None else held.grandfathered),
            cycle_start=cycle.start,
            cycle_end=cycle.end,
            anniversary_anchor=held.reinstated_on,
            contact=member.contact,
        )

    def _what_the_runs_give(self, credentials: list[CredentialRecord], today: date, now: datetime) -> None:
        """What this month's daily runs would have given the credentials had they been held on its 1st:
        the month's renewal invoice and notice (docs/rules.md §8), sent now, each once (the ledger)."""
        if self._welcome is None:
            return
        notices = [n for c in credentials for n in self._welcome.notices.for_new_credential(c, today)[0]]
        if notices:
            self._welcome.sender.send(notices, moment=now, batch_name=f"mail-batches/{today.isoformat()}/enrolment")
