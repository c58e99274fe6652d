"""A member's login and contact details: the invitation when staff create them, `PATCH /members/{id}`
and the confirmation of a new email address.

A new address is used for notices only once the member types the code sent to it: until then the
profile shows it `unconfirmed` and notices go by post. Once confirmed it is also their sign-in alias.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from ccp import dependency
from ccp.data.members import MemberRepository
from ccp.data.writes import retry_on_stale
from ccp.domain.records import Address, Decision, MemberRecord
from ccp.errors import CcpError, Conflict, Forbidden, RuleViolation, TooManyRequests
from ccp.rules.dates import BUSINESS_TZ, business_date

logger = Logger(child=True)

if TYPE_CHECKING:
    from ccp.notices import MailerPort

CODE_VALID_FOR = timedelta(hours=24)
MAX_CODE_ATTEMPTS = 5
CONFIRMATION_TEMPLATE = "email-confirmation"


class ContactsPort(Protocol):
    """The member profiles a contact change reads and writes (MemberRepository in AWS)."""

    def profile(self, member_id: str) -> MemberRecord: ...
    def update_contact(self, before: MemberRecord, after: MemberRecord) -> None: ...
    def member_known_as(self, *, email: str | None = None, legacy_id: str | None = None) -> str | None: ...


class CodeSendsPort(Protocol):
    def take(self, subjects: list[str], *, day: date, now: datetime, next_day_at: datetime) -> None: ...


class EventsPort(Protocol):
    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


class LoginsPort(Protocol):
    def invite(self, member_id: str, email: str) -> bool: ...
    def set_email(self, member_id: str, email: str) -> bool: ...


class ContactChange(NamedTuple):
    """Only the fields the member sent (`given`); None in `mailing_address` removes it."""

    given: frozenset[str]
    first_name: str | None = None  # names: staff only (a member asks the body to change theirs)
    last_name: str | None = None
    email: str | None = None
    mailing_address: Address | None = None
    mail_opt_out: bool | None = None
    by: str = "member"  # who asked (the token's subject), kept in the member's history
    by_staff: bool = False
    reason: str | None = None


class ContactService:
    def __init__(
        self,
        members: ContactsPort,
        mailer: MailerPort,
        logins: LoginsPort,
        code_sends: CodeSendsPort,
        *,
        template_prefix: str,
        portal_url: str,
        events: EventsPort | None = None,
    ):
        self._members = members
        self._events = events  # MemberRenamed: the badges are issued again in the new name
        self._mailer = mailer
        self._logins = logins
        self._code_sends = code_sends
        self._template = template_prefix + CONFIRMATION_TEMPLATE
        self._portal_url = portal_url

    def invite(self, member: MemberRecord) -> bool:
        """A new member's login (Cognito emails the invitation). False if it could not be made now:
        the member is saved already, and raising would make a retry create them twice."""
        try:
            return self._logins.invite(member.member_id, member.email)
        except (CcpError, ClientError):
            return False

    def update(self, member_id: str, change: ContactChange, *, now: datetime) -> MemberRecord:
        """Save the new details; a new (or re-sent) email address gets a code, sent to it."""
        if not change.given:
            raise RuleViolation("Send at least one detail to change.", code="NOTHING_TO_CHANGE")
        if {"first_name", "last_name"} & change.given and not change.by_staff:
            raise Forbidden("Only staff change a member's name.", code="STAFF_ONLY")
        if change.by_staff and not (change.reason or "").strip():
            raise RuleViolation(
                "Staff changing a member's details give the reason.",
                code="REASON_REQUIRED",
                details=[{"field": "reason", "message": "Say why: it is kept in the member's history."}],
            )
        code = f"{secrets.randbelow(10**6):06d}"
        # The first attempt works on the profile the limit was judged on; a retry reads it again.
        read = [self._members.profile(member_id)]
        read_names = (read[0].first_name, read[0].last_name)
        if change.email is not None:
            # Someone else's address is refused before a code is counted or sent (the write checks it too).
            if self._members.member_known_as(email=change.email) not in (None, member_id):
                raise Conflict("This email address belongs to another member.", code="EMAIL_IN_USE")
            self._limit_code_sends(read[0], change.email.strip().lower(), now)

        def attempt() -> tuple[MemberRecord, bool]:
            before = read.pop() if read else self._members.profile(member_id)
            # A null removes the mailing address; a null email or opt-out changes nothing.
            fields: dict[str, Any] = {
                k: getattr(change, k) for k in change.given if getattr(change, k) is not None or k == "mailing_address"
            }
            if change.email is not None:
                fields["email"] = change.email.strip().lower()  # stored as at creation
            for name in ("first_name", "last_name"):
                if name in fields:
                    fields[name] = fields[name].strip()
            new_email = change.email is not None and (
                fields["email"] != before.email.lower() or before.email_status == "unconfirmed"
            )
            if new_email:
                # Sending the waiting address again gives a new code but not new guesses: five for an
                # address in the code's 24 hours, however many codes were sent to it.
                same = _waiting_for(before, fields["email"], now)
                fields |= {
                    "email_status": "unconfirmed",
                    "email_code_hash": _code_hash(member_id, code),
                    "email_code_expires_at": before.email_code_expires_at if same else now + CODE_VALID_FOR,
                    "email_code_attempts": before.email_code_attempts if same else 0,
                }
            else:
                fields.pop("email", None)  # the same address: nothing to confirm, nothing changes
            after = before.model_copy(update=fields)
            after = after.model_copy(update={"changes": [*before.changes, *_changes(before, after, change, now)]})
            self._members.update_contact(before, after)
            return after, new_email

        after, new_email = retry_on_stale(attempt)
        renamed = (after.first_name, after.last_name) != (read_names[0], read_names[1])
        if renamed and self._events is not None:
            try:
                self._events.publish("MemberRenamed", {"member_id": member_id})
            except Exception:  # the name is saved; staff see the badge's old name and can rename again
                logger.exception("MemberRenamed event not published")
        if new_email:
            # Sent after the write: a code that was never saved would confirm nothing. A failed send
            # leaves the address unconfirmed; sending the same address again sends a new code.
            data = {"name": f"{after.first_name} {after.last_name}", "code": code, "portal_url": self._portal_url}
            self._mailer.send_bulk(self._template, [(after.email, data, member_id)])
        return after

    def _limit_code_sends(self, before: MemberRecord, email: str, now: datetime) -> None:
        """A code goes to an address at most five times a day and not twice within ten minutes, and a
        member asks for at most five a day: nobody gets codes sent on demand to someone else's inbox.
        Nothing is counted when no code would be sent (the same, confirmed address)."""
        if email == before.email.lower() and before.email_status != "unconfirmed":
            return
        if _waiting_for(before, email, now) and before.email_code_attempts >= MAX_CODE_ATTEMPTS:
            assert before.email_code_expires_at is not None  # _waiting_for checked it
            raise TooManyRequests(
                "Five wrong codes were typed for this address today; ask for a new code tomorrow.",
                code="TOO_MANY_CODES",
                retry_after=max(1, int((before.email_code_expires_at - now).total_seconds())),
            )
        day = business_date(now)
        next_day_at = datetime.combine(day + timedelta(days=1), time(0), tzinfo=BUSINESS_TZ)
        self._code_sends.take(
            [f"email:{email}", f"member:{before.member_id}"], day=day, now=now, next_day_at=next_day_at
        )

    def confirm_email(self, member_id: str, code: str, *, now: datetime) -> MemberRecord:
        def attempt() -> tuple[MemberRecord, bool]:
            before = self._members.profile(member_id)
            if before.email_status != "unconfirmed" or not before.email_code_hash:
                raise Conflict("There is no new email address waiting for a code.", code="NO_EMAIL_TO_CONFIRM")
            expires = before.email_code_expires_at
            if before.email_code_attempts >= MAX_CODE_ATTEMPTS or expires is None or now > expires:
                raise RuleViolation(
                    "This code has expired. Save the email address again to get a new code.",
                    code="CONFIRMATION_CODE_EXPIRED",
                )
            right = hmac.compare_digest(before.email_code_hash, _code_hash(member_id, code.strip()))
            if right:
                confirmed = Decision(by=member_id, at=now, action=f"confirmed the email {before.email}")
                fields: dict[str, Any] = {
                    "email_status": "ok",
                    "email_code_hash": None,
                    "email_code_expires_at": None,
                    "email_code_attempts": 0,
                    "changes": [*before.changes, confirmed],
                }
            else:
                fields = {"email_code_attempts": before.email_code_attempts + 1}
            after = before.model_copy(update=fields)
            self._members.update_contact(before, after)
            return after, right

        after, right = retry_on_stale(attempt)
        if not right:
            raise RuleViolation("That code is not the one we sent.", code="CONFIRMATION_CODE_INVALID")
        self._logins.set_email(member_id, after.email)
        return after


def _changes(before: MemberRecord, after: MemberRecord, change: ContactChange, now: datetime) -> list[Decision]:
    """What moved, from what to what, as history entries (the reason as their note)."""

    def shown(value: object) -> str:
        if isinstance(value, Address):
            return ", ".join(str(v) for v in value.model_dump().values() if v)
        return "none" if value is None else str(value)

    moved = [
        (label, getattr(before, name), getattr(after, name))
        for name, label in (
            ("first_name", "first name"),
            ("last_name", "last name"),
            ("email", "email"),
            ("mailing_address", "mailing address"),
            ("mail_opt_out", "no post"),
        )
        if getattr(before, name) != getattr(after, name)
    ]
    return [
        Decision(by=change.by, at=now, action=f"changed {label} from {shown(old)} to {shown(new)}", note=change.reason)
        for label, old, new in moved
    ]


def _waiting_for(member: MemberRecord, email: str, now: datetime) -> bool:
    """The member's unconfirmed address is `email`, and its code's 24 hours are not over."""
    expires = member.email_code_expires_at
    return (
        member.email_status == "unconfirmed" and member.email.lower() == email and expires is not None and now < expires
    )


def _code_hash(member_id: str, code: str) -> str:
    # Six digits are few: the member id in the hash and five attempts per code keep guessing useless.
    return hashlib.sha256(f"{member_id}:{code}".encode()).hexdigest()


@dependency
def default_contact_service() -> ContactService:
    """Built on the first contact change: SES and Cognito clients stay out of the CE API's cold start."""
    from ccp.data.dynamo import table
    from ccp.data.limits import CodeSendLimiter
    from ccp.data.logins import MemberLogins
    from ccp.data.outbound import EventPublisher, Mailer
    from ccp.settings import EmailSettings, EventSettings, LoginSettings

    email = EmailSettings.from_env()
    events = EventPublisher(EventSettings.from_env().event_bus_name, source="ccp.record_ce")
    return ContactService(
        MemberRepository(table()),
        Mailer(email.sender_email, email.email_configuration_set),
        MemberLogins(LoginSettings.from_env().user_pool_id),
        CodeSendLimiter(table()),
        template_prefix=email.email_template_prefix,
        portal_url=email.portal_url,
        events=events,
    )
