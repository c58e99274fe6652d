"""Invoices and payments (docs/rules.md §4): a member's invoices and receipts, paying one at the
processor (one live session per invoice), the processor's events, and staff's offline payments and voids.

Money counts only once it has moved: the processor confirms it with a signed event
(`renewals.processor_events`), or staff record an offline payment; both record it through
`renewals.paying`. A member starts a checkout at the processor and never marks anything paid themselves.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from ccp.data.invoices import InvoiceRepository
from ccp.data.members import MemberRepository
from ccp.data.payment_records import PaymentRepository
from ccp.data.payments import CheckoutRequest, CheckoutSession, ProcessorEvent
from ccp.data.recertification import RecertificationRepository
from ccp.domain.records import (
    Decision,
    InvoiceRecord,
    MemberState,
    ParkedPayment,
    PaymentMethod,
    PaymentRecord,
)
from ccp.errors import Conflict, NotFound
from ccp.rules.dates import business_date
from ccp.rules.standing import invoice_state
from ccp.rules.versions import RuleBook
from renewals.paying import (
    REFUSALS,
    EventsPort,
    Ledger,
    PaymentResult,
    Payments,
    ReceiptsPort,
    invoice_of,
    offline_reference,
    refusal_on,
)
from renewals.processor_events import EventOutcome, ProcessorEvents


class ProcessorPort(Protocol):
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...
    def refund(self, reference: str, *, reason: str) -> None: ...


class CheckoutsPort(Protocol):
    def remember(self, invoice: InvoiceRecord, session: CheckoutSession) -> bool: ...


class InvoiceView(NamedTuple):
    invoice: InvoiceRecord
    state: str  # on the request's day


class Receipt(NamedTuple):
    state: MemberState
    invoice: InvoiceRecord
    payment: PaymentRecord


def _live_session(invoice: InvoiceRecord, now: datetime) -> CheckoutSession | None:
    if (
        invoice.checkout_id
        and invoice.checkout_url
        and invoice.checkout_expires_at
        and invoice.checkout_expires_at > now
    ):
        return CheckoutSession(invoice.checkout_id, invoice.checkout_url, invoice.checkout_expires_at)
    return None


class BillingService:
    def __init__(
        self,
        members: MemberRepository,
        payment_records: PaymentRepository,
        invoices: InvoiceRepository,
        rule_book: RuleBook,
        events: EventsPort,
        applications: RecertificationRepository | None = None,
        processor: ProcessorPort | None = None,
        receipts: ReceiptsPort | None = None,
        checkouts: CheckoutsPort | None = None,
    ):
        ledger = Ledger(members, payment_records, rule_book, events, applications)
        self._members, self._payment_records, self._invoices, self._rule_book = (
            members,
            payment_records,
            invoices,
            rule_book,
        )
        self._processor = processor
        self._checkouts = checkouts
        self._payments = Payments(ledger, receipts)
        self._events = ProcessorEvents(ledger, self._payments, processor=processor)

    def invoices(self, member_id: str, today: date) -> list[InvoiceView]:
        state = self._members.member_state(member_id)
        return [
            InvoiceView(i, invoice_state(i, today, state.credential(i.credential)))
            for i in sorted(state.invoices, key=lambda i: (i.anniversary, i.credential))
        ]

    # ---- paying at the processor ----------------------------------------------------------

    def checkout(
        self, member_id: str, invoice_id: str, *, now: datetime, success_url: str, cancel_url: str
    ) -> CheckoutSession:
        """The hosted payment page of an invoice payable today: its live session while that lives (a
        second click, another device, after midnight), else a new one, kept on the invoice."""
        if self._processor is None or self._checkouts is None:  # wiring: only the billing API takes payments
            raise RuntimeError("this billing service has no payment processor")
        today = business_date(now)
        session = None
        for _ in range(2):  # a concurrent click kept its session first: offer that one
            state = self._members.member_state(member_id)
            invoice = invoice_of(state, invoice_id)
            refusal = refusal_on(state, invoice, today, self._rule_book)
            if refusal in ("INVOICE_ALREADY_PAID", "INVOICE_VOID"):
                raise Conflict(f"{REFUSALS[refusal]} Only an open invoice can be paid.", code="INVOICE_NOT_OPEN")
            if refusal:
                raise Conflict(REFUSALS[refusal], code=refusal)
            live = _live_session(invoice, now)
            if live is not None:
                return live
            session = self._processor.create_checkout(self._checkout_request(invoice, success_url, cancel_url))
            if self._checkouts.remember(invoice, session):
                return session
        assert session is not None
        return session

    @staticmethod
    def _checkout_request(invoice: InvoiceRecord, success_url: str, cancel_url: str) -> CheckoutRequest:
        what = (
            "recertification fee"
            if invoice.purpose == "recertification"
            else f"annual renewal, anniversary {invoice.anniversary.isoformat()}"
        )
        return CheckoutRequest(
            member_id=invoice.member_id,
            invoice_id=invoice.invoice_id,
            description=f"{invoice.credential} {what} (invoice {invoice.invoice_id})",
            amount=invoice.amount,
            currency=invoice.currency,
            success_url=success_url,
            cancel_url=cancel_url,
            # The n-th session of the invoice: concurrent first clicks get one session from the processor.
            idempotency_key=f"checkout:{invoice.invoice_id}:{invoice.member_id}:{invoice.checkouts_started + 1}",
        )

    def on_processor_event(self, event: ProcessorEvent, *, received_at: datetime) -> EventOutcome:
        """Apply a verified processor event (renewals.processor_events)."""
        return self._events.on_processor_event(event, received_at=received_at)

    # ---- offline payments and corrections (staff) ------------------------------------------

    def record_offline_payment(
        self,
        member_id: str,
        invoice_id: str,
        *,
        amount: Decimal,
        method: PaymentMethod,
        reference: str,
        staff: str,
        now: datetime,
    ) -> PaymentResult:
        """A cheque or money order that came by post, recorded by staff (who, when and what are kept),
        in the invoice's own currency."""
        return self._payments.pay(
            member_id,
            invoice_id,
            amount=amount,
            currency=None,
            reference=offline_reference(member_id, method, reference),
            method=method,
            recorded_by=staff,
            event_id=None,
            paid_at=now,
        )

    def void(
        self, member_id: str, invoice_id: str, *, reason: str, staff: str, now: datetime, member_note: str | None = None
    ) -> InvoiceRecord:
        """Void an unpaid invoice (issued in error, a duplicate, a deceased member): it is no longer
        due and no notice chases it. Who, when and why are kept on the invoice."""
        invoice = invoice_of(self._members.member_state(member_id), invoice_id)
        decision = Decision(by=staff, at=now, action="voided", note=reason, member_note=member_note)
        voided_on = business_date(now)
        if invoice.state in ("paid", "void") or not self._invoices.void_invoice(invoice, decision, voided_on=voided_on):
            raise Conflict("Only an unpaid invoice can be voided.", code="INVOICE_NOT_OPEN")
        return invoice.model_copy(
            update={"state": "void", "voided_on": voided_on, "history": [*invoice.history, decision]}
        )

    def parked_payments(self, limit: int) -> list[ParkedPayment]:
        """Processor events that moved money the program could not apply, newest first: for staff."""
        return self._payment_records.parked_payments(limit)

    # ---- receipts ------------------------------------------------------------------------

    def receipt(self, member_id: str, invoice_id: str) -> Receipt:
        state = self._members.member_state(member_id)
        invoice = invoice_of(state, invoice_id)
        payment = next(
            (p for p in self._payment_records.payments_of(member_id) if p.payment_id == invoice.payment_id), None
        )
        if invoice.state != "paid" or payment is None:
            raise NotFound("This invoice has no receipt: it is not paid.", code="RECEIPT_NOT_FOUND")
        return Receipt(state, invoice, payment)
