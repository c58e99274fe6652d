"""Enrolling members: one at a time (the staff API) or many with their CE history (seeding). Each
credential starts in the cycle of its chain that holds the day of enrolment."""

from __future__ import annotations

from datetime import date, datetime

from ccp.domain.records import ActivityRecord, CredentialRecord, MemberRecord, MemberState
from ccp.errors import Conflict, RuleViolation
from ccp.rules.ce import is_grandfathered
from ccp.rules.dates import cycle_containing
from ccp.rules.versions import RuleBook
from record_ce.ports import MemberStates
from record_ce.service import ActivityRequest, CeRecording, NewMember, new_member_id


class Enrolment:
    def __init__(self, members: MemberStates, recording: CeRecording, rule_book: RuleBook):
        self._members = members
        self._recording = recording
        self._rule_book = rule_book

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
