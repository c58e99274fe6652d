"""Invoices and payments; roll-over into the next cycle when the last fee of a compliant cycle is paid.

Money counts only once it has moved (docs/rules.md §4): the processor confirms it with a signed event
(`on_processor_event`), or staff record an offline payment (`record_offline_payment`). A member
starts a checkout at the processor and never marks anything paid themselves.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from aws_lambda_powertools import Logger

from ccp.data.members import MemberRepository, StaleWrite, retry_on_stale
from ccp.data.payments import (
    CheckoutRequest,
    CheckoutSession,
    IgnoredEvent,
    ProcessorEvent,
    ProcessorPayment,
    ProcessorRefund,
)
from ccp.data.recertification import RecertificationRepository
from ccp.data.renewals import CycleArchive, RenewalRepository
from ccp.domain.records import (
    ApplicationRecord,
    CredentialRecord,
    Decision,
    InvoiceRecord,
    MemberState,
    ParkedPayment,
    PaymentMethod,
    PaymentRecord,
)
from ccp.errors import CcpError, Conflict, NotFound, RuleViolation
from ccp.rules.dates import business_date
from ccp.rules.renewals import payment_refusal
from ccp.rules.standing import after_payment, credential_status, invoice_state
from ccp.rules.versions import RuleBook

logger = Logger(child=True)


class EventsPort(Protocol):
    def publish(self, detail_type: str, detail: dict) -> None: ...


class ProcessorPort(Protocol):
    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...
    def refund(self, reference: str, *, reason: str) -> None: ...


class CheckoutsPort(Protocol):
    def remember(self, invoice: InvoiceRecord, session: CheckoutSession) -> bool: ...


class ReceiptsPort(Protocol):
    def send_receipt(self, state: MemberState, invoice: InvoiceRecord, payment: PaymentRecord) -> None: ...


class InvoiceView(NamedTuple):
    invoice: InvoiceRecord
    state: str  # on the request's day


class PaymentResult(NamedTuple):
    payment: PaymentRecord
    invoice: InvoiceRecord
    rolled_over: bool
    credential: CredentialRecord


class Receipt(NamedTuple):
    state: MemberState
    invoice: InvoiceRecord
    payment: PaymentRecord


class EventOutcome(NamedTuple):
    """What a processor event did: recorded, already_recorded, refunded, already_refunded, parked, ignored."""

    outcome: str
    detail: str = ""


# A payment that cannot apply because what it pays is already settled: the money goes back at once.
REFUNDED_AT_ONCE = frozenset({"INVOICE_ALREADY_PAID", "INVOICE_VOID", "APPLICATION_DECIDED"})

REFUSALS = {
    "INVOICE_ALREADY_PAID": "This invoice is already paid.",
    "INVOICE_VOID": "This invoice was voided.",
    "MUST_RECERTIFY": "This credential must be recertified; renewal fees are not accepted.",
    "INVOICE_LOCKED": "This renewal closes a CCP cycle and is payable the day after the CCP requirement is met.",
}


def _decided(application: ApplicationRecord, state: str, action: str, note: str, at: datetime) -> ApplicationRecord:
    decision = Decision(by="processor", at=at, action=action, note=note)
    return application.model_copy(update={"state": state, "decisions": [*application.decisions, decision]})


def _live_session(invoice: InvoiceRecord, now: datetime) -> CheckoutSession | None:
    if (
        invoice.checkout_id
        and invoice.checkout_url
        and invoice.checkout_expires_at
        and invoice.checkout_expires_at > now
    ):
        return CheckoutSession(invoice.checkout_id, invoice.checkout_url, invoice.checkout_expires_at)
    return None


def payment_id_for(member_id: str, processor_reference: str) -> str:
    return "PAY-" + hashlib.sha256(f"{member_id}|{processor_reference}".encode()).hexdigest()[:16].upper()


def offline_reference(member_id: str, method: str, reference: str) -> str:
    """Cheque numbers repeat across banks and payers: an offline reference is unique per member and method."""
    return f"offline:{member_id}:{method}:{reference}"


class BillingService:
    def __init__(
        self,
        members: MemberRepository,
        renewals: RenewalRepository,
        rule_book: RuleBook,
        events: EventsPort,
        applications: RecertificationRepository | None = None,
        processor: ProcessorPort | None = None,
        receipts: ReceiptsPort | None = None,
        checkouts: CheckoutsPort | None = None,
    ):
        self._members = members
        self._renewals = renewals
        self._rule_book = rule_book
        self._events = events
        self._applications = applications
        self._processor = processor
        self._receipts = receipts
        self._checkouts = checkouts

    def invoices(self, member_id: str, today: date) -> list[InvoiceView]:
        state = self._members.member_state(member_id)
        return [
            InvoiceView(i, invoice_state(i, today, state.credential(i.credential)))
            for i in sorted(state.invoices, key=lambda i: (i.anniversary, i.credential))
        ]

    # ---- paying at the processor ---------------------------------------------------------

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
            invoice = self._invoice(state, invoice_id)
            refusal = self._refusal(state, invoice, today)
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
        """Apply a verified processor event. Safe to receive twice, at once, late and out of order."""
        if isinstance(event, IgnoredEvent):
            return EventOutcome("ignored", event.why)
        if isinstance(event, ProcessorRefund):
            return self._refund(event, received_at)
        return self._processor_payment(event, received_at)

    def _processor_payment(self, event: ProcessorPayment, received_at: datetime) -> EventOutcome:
        earlier = self._renewals.payment_reference(event.reference)
        if earlier is not None:
            return self._seen_before(earlier.state)
        if not event.member_id or not event.invoice_id:
            return self._park(event, received_at, "UNKNOWN_INVOICE", "The payment names no invoice of ours; refund it.")
        try:
            self._pay(
                event.member_id,
                event.invoice_id,
                amount=event.amount,
                currency=event.currency,
                reference=event.reference,
                method="card",
                recorded_by="processor",
                event_id=event.event_id,
                paid_at=event.paid_at,
            )
        except NotFound:
            return self._park(
                event, received_at, "UNKNOWN_INVOICE", "The payment names an invoice we do not have; refund it."
            )
        except Conflict as refused:
            again = self._renewals.payment_reference(event.reference)
            if again is not None:  # a concurrent delivery of the same event won (or a refund came first)
                return self._seen_before(again.state)
            if refused.code in REFUNDED_AT_ONCE:
                return self._refund_second_charge(event, received_at, refused)
            return self._park(
                event, received_at, refused.code, f"{refused.message} The money moved: refund it or apply it by hand."
            )
        except RuleViolation as refused:
            return self._park(event, received_at, refused.code, f"{refused.message} Nothing was paid.")
        return EventOutcome("recorded")

    def _refund_second_charge(self, event: ProcessorPayment, received_at: datetime, refused: Conflict) -> EventOutcome:
        """Money for what is already paid (or void, or decided) goes straight back; staff see it parked
        with the reason. If the processor cannot be reached, staff refund it by hand."""
        try:
            if self._processor is None:
                raise RuntimeError("no processor to refund through")
            self._processor.refund(event.reference, reason=refused.code)
        except (CcpError, RuntimeError):
            logger.exception("automatic refund failed", extra={"event_id": event.event_id})
            return self._park(
                event, received_at, refused.code, f"{refused.message} The automatic refund failed: refund it by hand."
            )
        return self._park(event, received_at, refused.code, f"{refused.message} Refunded automatically.", refunded=True)

    @staticmethod
    def _seen_before(state: str) -> EventOutcome:
        if state == "refunded":  # the refund arrived first: nothing to pay
            return EventOutcome("already_refunded", "the payment was refunded before it was recorded")
        return EventOutcome("already_recorded")

    def _park(
        self,
        event: ProcessorPayment | ProcessorRefund,
        received_at: datetime,
        reason: str,
        message: str,
        *,
        refunded: bool = False,
    ) -> EventOutcome:
        parked = ParkedPayment(
            event_id=event.event_id,
            event_type="payment" if isinstance(event, ProcessorPayment) else event.reason,
            reason=reason,
            message=message,
            member_id=getattr(event, "member_id", None),
            invoice_id=getattr(event, "invoice_id", None),
            processor_reference=event.reference,
            amount=event.amount,
            currency=getattr(event, "currency", None),
            received_at=received_at,
            refunded_automatically=refunded,
        )
        self._renewals.park_payment(parked)
        logger.warning("processor event parked for staff", extra={"reason": reason, "event_id": event.event_id})
        return EventOutcome("refunded_and_parked" if refunded else "parked", reason)

    def _refund(self, event: ProcessorRefund, received_at: datetime) -> EventOutcome:
        if not event.full:
            return self._park(
                event,
                received_at,
                "PARTIAL_REFUND",
                "Part of a payment went back; the invoice stays paid until staff decide.",
            )

        def attempt() -> EventOutcome:
            reference = self._renewals.payment_reference(event.reference)
            if reference is None:
                if self._renewals.refunded_before_recorded(event.reference):
                    return EventOutcome("refunded", "before the payment was recorded: it will pay nothing")
                raise StaleWrite()  # the payment was recorded meanwhile: read it and refund it
            # A reference without its member is the mark a refund left before its payment came.
            if reference.state == "refunded" or reference.member_id is None:
                return EventOutcome("already_refunded")
            payment = self._renewals.payment(reference.member_id, event.reference)
            state = self._members.member_state(reference.member_id)
            invoice = self._invoice(state, reference.invoice_id)
            if payment is None or invoice.payment_id != payment.payment_id:
                return self._park(
                    event, received_at, "PAYMENT_NOT_CURRENT", "The refunded payment no longer pays its invoice."
                )
            refunded_payment = payment.model_copy(
                update={"state": "refunded", "refunded_at": received_at, "refund_reason": event.reason}
            )
            unpaid = invoice.model_copy(update={"state": "refunded", "paid_on": None})
            if invoice.purpose == "recertification":
                return self._reverse_recertification_fee(state, invoice, refunded_payment, event, received_at)
            credential = state.credential(invoice.credential)
            after = self._status_after(
                credential,
                [unpaid if i.invoice_id == invoice.invoice_id else i for i in state.invoices],
                business_date(received_at),
            )
            self._renewals.refund(invoice, refunded_payment, credential, after)
            return EventOutcome("refunded")

        return retry_on_stale(attempt)

    def _reverse_recertification_fee(
        self,
        state: MemberState,
        invoice: InvoiceRecord,
        refunded_payment: PaymentRecord,
        event: ProcessorRefund,
        received_at: datetime,
    ) -> EventOutcome:
        """The fee went back, so what it paid for goes too (rules §4): an application not yet decided waits
        for its fee again; a reinstatement (or an exam authorised) it paid for is undone, the credential
        as it was before (must recertify), the badge revoked, and the application left for staff."""
        if self._applications is None or invoice.application_id is None:
            raise RuntimeError("a recertification fee needs its application and the applications' repository")
        application = self._applications.application(invoice.member_id, invoice.application_id)
        note = f"the fee went back to the payer ({event.reason})"
        if application.state in ("submitted", "staff_review"):
            waiting = _decided(
                application, "awaiting_payment", "fee reversed: waiting for the fee again", note, received_at
            )
            self._renewals.refund(invoice, refunded_payment, None, None, application=(application, waiting))
            return EventOutcome("refunded", "the application waits for its fee again")
        if application.state not in ("reinstated", "exam_authorized"):
            self._renewals.refund(invoice, refunded_payment, None, None)
            return EventOutcome("refunded", f"the application was already {application.state}")
        reversed_ = _decided(application, "fee_reversed", "fee reversed: what it granted is undone", note, received_at)
        if application.state == "exam_authorized" or application.credential_before is None:
            self._renewals.refund(invoice, refunded_payment, None, None, application=(application, reversed_))
            return EventOutcome("refunded", "the exam authorisation is withdrawn")
        now = state.held(application.credential)
        # The credential as it was before the approval, keeping the badge issued since so it can be revoked.
        restored = application.credential_before.model_copy(update={"badge_id": now.badge_id})
        self._renewals.refund(
            invoice,
            refunded_payment,
            now,
            restored,
            application=(application, reversed_),
            restored_invoices=application.voided_invoices,
        )
        try:
            self._events.publish(
                "CredentialLapsed",
                {"member_id": now.member_id, "credential": now.code, "reason": "recertification_fee_reversed"},
            )
        except Exception:
            logger.exception("CredentialLapsed event not published", extra={"credential": now.code})
        return EventOutcome("refunded", "the reinstatement is undone")

    def _status_after(
        self, credential: CredentialRecord | None, invoices: list[InvoiceRecord], today: date
    ) -> CredentialRecord | None:
        if credential is None:
            return None
        verdict = credential_status(
            credential, [i for i in invoices if i.credential == credential.code], today, self._rule_book
        )
        if verdict.status == credential.status:
            return None
        return credential.model_copy(update={"status": verdict.status, "status_since": today})

    # ---- offline payments (staff) --------------------------------------------------------

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
        return self._pay(
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

    # ---- staff corrections ---------------------------------------------------------------

    def void(self, member_id: str, invoice_id: str, *, reason: str, staff: str, now: datetime) -> InvoiceRecord:
        """Void an unpaid invoice (issued in error, a duplicate, a deceased member): it is no longer
        due and no notice chases it. Who, when and why are kept on the invoice."""
        invoice = self._invoice(self._members.member_state(member_id), invoice_id)
        decision = Decision(by=staff, at=now, action="voided", note=reason)
        if invoice.state in ("paid", "void") or not self._renewals.void_invoice(invoice, decision):
            raise Conflict("Only an unpaid invoice can be voided.", code="INVOICE_NOT_OPEN")
        return invoice.model_copy(update={"state": "void", "history": [*invoice.history, decision]})

    def parked_payments(self, limit: int) -> list[ParkedPayment]:
        """Processor events that moved money the program could not apply, newest first: for staff."""
        return self._renewals.parked_payments(limit)

    # ---- receipts ------------------------------------------------------------------------

    def receipt(self, member_id: str, invoice_id: str) -> Receipt:
        state = self._members.member_state(member_id)
        invoice = self._invoice(state, invoice_id)
        payment = next((p for p in self._renewals.payments_of(member_id) if p.payment_id == invoice.payment_id), None)
        if invoice.state != "paid" or payment is None:
            raise NotFound("This invoice has no receipt: it is not paid.", code="RECEIPT_NOT_FOUND")
        return Receipt(state, invoice, payment)

    # ---- the payment itself ----------------------------------------------------------------

    def _pay(
        self,
        member_id: str,
        invoice_id: str,
        *,
        amount: Decimal,
        currency: str | None,
        reference: str,
        method: PaymentMethod,
        recorded_by: str,
        event_id: str | None,
        paid_at: datetime,
    ) -> PaymentResult:
        today = business_date(paid_at)  # a payment at 20:00 in Chicago on the due date is on time

        def attempt() -> PaymentResult:
            state = self._members.member_state(member_id)
            invoice = self._invoice(state, invoice_id)
            credential = state.held(invoice.credential)
            refusal = self._refusal(state, invoice, today)
            if refusal:
                raise Conflict(REFUSALS[refusal], code=refusal)
            if amount != invoice.amount or (currency is not None and currency != invoice.currency):
                raise RuleViolation(
                    f"The amount must be {invoice.amount} {invoice.currency.upper()}.", code="AMOUNT_MISMATCH"
                )
            payment = PaymentRecord(
                member_id=member_id,
                payment_id=payment_id_for(member_id, reference),
                invoice_id=invoice_id,
                amount=amount,
                currency=invoice.currency,
                processor_reference=reference,
                paid_at=paid_at,
                method=method,
                recorded_by=recorded_by,
                processor_event_id=event_id,
            )
            paid = invoice.model_copy(
                update={
                    "state": "paid",
                    "paid_on": today,
                    "payment_id": payment.payment_id,
                    "checkout_id": None,  # spent (the repository's write removes it too)
                    "checkout_url": None,
                    "checkout_expires_at": None,
                }
            )
            invoices = [paid if i.invoice_id == invoice_id else i for i in state.invoices]
            if invoice.purpose == "recertification":
                after, archive, application = None, None, self._application_paid(invoice)
            else:
                (after, archive), application = self._after_payment(credential, invoices, today), None
            self._renewals.pay(invoice, payment, credential, after, archive, application, paid_on=today)
            if archive is not None and after is not None:
                self._announce_roll_over(archive.credential, after)
            self._send_receipt(state, paid, payment)
            return PaymentResult(
                payment=payment, invoice=paid, rolled_over=archive is not None, credential=after or credential
            )

        return retry_on_stale(attempt)

    def _invoice(self, state: MemberState, invoice_id: str | None) -> InvoiceRecord:
        invoice = next((i for i in state.invoices if i.invoice_id == invoice_id), None)
        if invoice is None:
            raise NotFound(f"No invoice {invoice_id}.", code="INVOICE_NOT_FOUND")
        return invoice

    def _refusal(self, state: MemberState, invoice: InvoiceRecord, today: date) -> str | None:
        """Judged from the records on `today` (the stored status flag is not the judge)."""
        credential = state.credential(invoice.credential)
        status = (
            credential_status(credential, state.invoices_of(invoice.credential), today, self._rule_book).status
            if credential
            else "active"
        )
        return payment_refusal(state=invoice_state(invoice, today, credential), purpose=invoice.purpose, status=status)

    def _send_receipt(self, state: MemberState, invoice: InvoiceRecord, payment: PaymentRecord) -> None:
        if self._receipts is None:
            return
        try:
            self._receipts.send_receipt(state, invoice, payment)
        except CcpError:  # the payment is committed; a receipt claim left behind is sent by the next daily run
            logger.exception("receipt not sent", extra={"invoice_id": invoice.invoice_id})

    def _application_paid(self, invoice: InvoiceRecord) -> tuple[ApplicationRecord, ApplicationRecord]:
        """Paying the fee submits the application (to staff review when a felony was declared)."""
        if self._applications is None or invoice.application_id is None:
            raise RuntimeError("a recertification fee needs its application and the applications' repository")
        before = self._applications.application(invoice.member_id, invoice.application_id)
        if before.state != "awaiting_payment":  # a decided application never reopens (rules §4)
            raise Conflict(
                f"This application is already {before.state.replace('_', ' ')}; paying its fee again cannot reopen it.",
                code="APPLICATION_DECIDED",
            )
        after = before.model_copy(update={"state": "staff_review" if before.felony_conviction else "submitted"})
        return before, after

    def _after_payment(
        self, credential: CredentialRecord, invoices: list[InvoiceRecord], today: date
    ) -> tuple[CredentialRecord | None, CycleArchive | None]:
        """The credential's new state, if the payment changes it (roll-over, status), and the archived cycle."""
        updated, rolls_over = after_payment(credential, invoices, today, self._rule_book)
        return updated, (CycleArchive(credential=credential, rolled_over_on=today) if rolls_over else None)

    def _announce_roll_over(self, old: CredentialRecord, new: CredentialRecord) -> None:
        detail = {
            "member_id": old.member_id,
            "credential": old.code,
            "previous_cycle_start": old.cycle_start.isoformat(),
            "previous_cycle_end": old.cycle_end.isoformat(),
            "cycle_start": new.cycle_start.isoformat(),
            "cycle_end": new.cycle_end.isoformat(),
        }
        try:
            self._events.publish("CycleRolledOver", detail)
        except Exception:
            logger.exception("CycleRolledOver event not published", extra={"credential": old.code})
