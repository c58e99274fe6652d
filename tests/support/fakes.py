"""Stateful in-memory stand-ins for the ports the use cases are built on, with the same semantics
as the DynamoDB repositories where the use cases rely on them (conditional writes refuse stale
reads with StaleWrite; limits count as the table's conditional update does). Use cases are tested
by the state these are left in, never by which calls were made."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from ccp.data.writes import StaleWrite
from ccp.domain.records import MemberRecord
from ccp.errors import NotFound, TooManyRequests
from ccp.rules.limits import CONFIRMATION_CODES, SendLimit, seconds_to_wait


class InMemoryMembers:
    """Member profiles; `update_contact` applies only over what was read, as the table's condition does."""

    def __init__(self, *members: MemberRecord):
        self.profiles = {m.member_id: m for m in members}

    def profile(self, member_id: str) -> MemberRecord:
        if member_id not in self.profiles:
            raise NotFound("No such member.", code="MEMBER_NOT_FOUND")
        return self.profiles[member_id]

    def member_known_as(self, *, email: str | None = None, legacy_id: str | None = None) -> str | None:
        wanted = (email or "").strip().lower()
        return next((m for m, p in self.profiles.items() if wanted and p.email.lower() == wanted), None)

    def update_contact(self, before: MemberRecord, after: MemberRecord) -> None:
        stored = self.profiles[before.member_id]
        seen = ("email", "email_status", "email_code_attempts")
        if any(getattr(stored, name) != getattr(before, name) for name in seen):
            raise StaleWrite()
        self.profiles[after.member_id] = after


class Outbox:
    """A mailer that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str]]] = []  # (template, to, data)

    def send_bulk(self, template: str, messages: list[tuple[str, dict[str, str], str]]) -> list[Any]:
        from ccp.data.outbound import Delivery

        self.sent += [(template, to, data) for to, data, _ in messages]
        return [Delivery(ok=True) for _ in messages]

    def to(self, address: str, template_suffix: str = "") -> list[dict[str, str]]:
        """What was sent to one address (of one kind of notice, by its template's ending)."""
        return [data for template, to, data in self.sent if to == address and template.endswith(template_suffix)]

    def template_text(self, template: str) -> dict[str, str]:
        """The template's words, as infra/template.yaml gives them to SES (`<prefix>-<kind>`)."""
        from tests.support.notice_words import ses_words

        return ses_words()[template.split("-", 1)[1]]


class InMemoryBatches:
    """The print-batch bucket: what each batch held."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes, content_type: str) -> str:
        self.objects[key] = body
        return key

    def get(self, key: str) -> bytes:
        return self.objects[key]


class InMemoryEvents:
    """The event bus: what was published, in order."""

    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        self.published.append((detail_type, detail))


class InMemoryLogins:
    def __init__(self) -> None:
        self.emails: dict[str, str] = {}

    def invite(self, member_id: str, email: str) -> bool:
        self.emails[member_id] = email
        return True

    def set_email(self, member_id: str, email: str) -> bool:
        if member_id not in self.emails:
            return False
        self.emails[member_id] = email
        return True


class InMemoryCodeSends:
    """The code-send counts, per subject and day, judged by the same rule as the table's condition."""

    def __init__(self, limit: SendLimit = CONFIRMATION_CODES):
        self._limit = limit
        self.sends: dict[tuple[str, date], list[datetime]] = defaultdict(list)

    def take(self, subjects: list[str], *, day: date, now: datetime, next_day_at: datetime) -> None:
        """All subjects counted together, or none (as the table's transaction does)."""
        waits = [
            seconds_to_wait(
                self._limit,
                sent_today=len(self.sends[(subject, day)]),
                last_sent_at=self.sends[(subject, day)][-1] if self.sends[(subject, day)] else None,
                now=now,
                day_ends_at=next_day_at,
            )
            for subject in subjects
        ]
        if any(waits):
            raise TooManyRequests("Too many codes.", code="TOO_MANY_CODES", retry_after=max(waits))
        for subject in subjects:
            self.sends[(subject, day)].append(now)


class InMemoryMemberStates:
    """What one query of a member's partition returns (profile, credentials, invoices), kept in memory."""

    def __init__(self, *states: Any):
        self.states = {s.profile.member_id: s for s in states}

    def member_state(self, member_id: str) -> Any:
        if member_id not in self.states:
            raise NotFound("No such member.", code="MEMBER_NOT_FOUND")
        return self.states[member_id].model_copy(deep=True)

    def invoice(self, member_id: str, invoice_id: str) -> Any:
        return next(i for i in self.states[member_id].invoices if i.invoice_id == invoice_id)


class InMemoryCheckouts:
    """An invoice's live session, kept on the invoice only over the count read (as the table's condition)."""

    def __init__(self, members: InMemoryMemberStates):
        self._members = members

    def remember(self, invoice: Any, session: Any) -> bool:
        state = self._members.states[invoice.member_id]
        stored = self._members.invoice(invoice.member_id, invoice.invoice_id)
        if stored.checkouts_started != invoice.checkouts_started:
            return False
        kept = stored.model_copy(
            update={
                "checkout_id": session.checkout_id,
                "checkout_url": session.checkout_url,
                "checkout_expires_at": session.expires_at,
                "checkouts_started": stored.checkouts_started + 1,
            }
        )
        state.invoices = [kept if i.invoice_id == invoice.invoice_id else i for i in state.invoices]
        return True


class FakeProcessor:
    """The payment processor: one session per idempotency key, refunds once per payment."""

    def __init__(self, lifetime: Any = None):
        from datetime import timedelta

        self.lifetime = lifetime or timedelta(hours=24)
        self.sessions: dict[str, Any] = {}  # idempotency key -> session
        self.refunds: dict[str, str] = {}  # payment reference -> reason
        self.now: datetime | None = None  # the processor's clock, set by the test

    def create_checkout(self, request: Any) -> Any:
        from ccp.data.payments import CheckoutSession

        if request.idempotency_key not in self.sessions:
            number = len(self.sessions) + 1
            assert self.now is not None, "set the processor's clock"
            self.sessions[request.idempotency_key] = CheckoutSession(
                f"cs_{number}", f"https://pay.example/cs_{number}", self.now + self.lifetime
            )
        return self.sessions[request.idempotency_key]

    def refund(self, reference: str, *, reason: str) -> None:
        self.refunds.setdefault(reference, reason)
