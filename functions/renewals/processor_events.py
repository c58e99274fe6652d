"""What the payment processor's verified events do: a payment recorded once however often it arrives,
a second charge refunded at once, a refund or a lost dispute making the fee unpaid again (and undoing
what a recertification fee paid for), anything else parked for staff. Safe to receive twice, at once,
late and out of order (docs/rules.md §4)."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple, Protocol

from aws_lambda_powertools import Logger

from ccp.data.payment_records import Settlement
from ccp.data.payments import IgnoredEvent, ProcessorEvent, ProcessorPayment, ProcessorRefund
from ccp.data.writes import StaleWrite, retry_on_stale
from ccp.domain.records import (
    ApplicationRecord,
    CredentialRecord,
    Decision,
    InvoiceRecord,
    MemberState,
    ParkedPayment,
    PaymentRecord,
)
from ccp.errors import CcpError, Conflict, NotFound, RuleViolation
from ccp.rules.dates import business_date
from ccp.rules.standing import credential_status
from renewals.paying import Ledger, Payments, invoice_of

logger = Logger(child=True)


class RefundsPort(Protocol):
    def refund(self, reference: str, *, reason: str) -> None: ...


class EventOutcome(NamedTuple):
    """What a processor event did: recorded, already_recorded, refunded, already_refunded, parked, ignored."""

    outcome: str
    detail: str = ""


# A payment that cannot apply because what it pays is already settled: the money goes back at once.
REFUNDED_AT_ONCE = frozenset({"INVOICE_ALREADY_PAID", "INVOICE_VOID", "APPLICATION_DECIDED"})


def _decided(application: ApplicationRecord, state: str, action: str, note: str, at: datetime) -> ApplicationRecord:
    decision = Decision(by="processor", at=at, action=action, note=note)
    return application.model_copy(update={"state": state, "decisions": [*application.decisions, decision]})


class ProcessorEvents:
    def __init__(self, ledger: Ledger, payments: Payments, processor: RefundsPort | None = None):
        self._members, self._payment_records, self._rule_book, self._events, self._applications = ledger
        self._payments = payments
        self._processor = processor

    def on_processor_event(self, event: ProcessorEvent, *, received_at: datetime) -> EventOutcome:
        """Apply a verified processor event. Safe to receive twice, at once, late and out of order."""
        if isinstance(event, IgnoredEvent):
            return EventOutcome("ignored", event.why)
        if isinstance(event, ProcessorRefund):
            return self._refund(event, received_at)
        return self._processor_payment(event, received_at)

    def _processor_payment(self, event: ProcessorPayment, received_at: datetime) -> EventOutcome:
        earlier = self._payment_records.payment_reference(event.reference)
        if earlier is not None:
            return self._seen_before(earlier.state)
        if not event.member_id or not event.invoice_id:
            return self._park(event, received_at, "UNKNOWN_INVOICE", "The payment names no invoice of ours; refund it.")
        try:
            self._payments.pay(
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
            again = self._payment_records.payment_reference(event.reference)
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
        if self._processor is not None:
            try:
                self._processor.refund(event.reference, reason=refused.code)
            except CcpError:
                logger.exception("automatic refund failed", extra={"event_id": event.event_id})
            else:
                return self._park(
                    event, received_at, refused.code, f"{refused.message} Refunded automatically.", refunded=True
                )
        return self._park(
            event, received_at, refused.code, f"{refused.message} The automatic refund failed: refund it by hand."
        )

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
        self._payment_records.park_payment(parked)
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

        refunded_on = business_date(received_at)
        refunded: list[tuple[MemberState, InvoiceRecord, PaymentRecord]] = []  # what the member is told of
        status_moved: list[tuple[CredentialRecord, CredentialRecord, list[InvoiceRecord]]] = []

        def attempt() -> EventOutcome:
            refunded.clear()
            status_moved.clear()
            reference = self._payment_records.payment_reference(event.reference)
            if reference is None:
                if self._payment_records.refunded_before_recorded(event.reference):
                    return EventOutcome("refunded", "before the payment was recorded: it will pay nothing")
                raise StaleWrite()  # the payment was recorded meanwhile: read it and refund it
            # A reference without its member is the mark a refund left before its payment came.
            if reference.state == "refunded" or reference.member_id is None:
                return EventOutcome("already_refunded")
            payment = self._payment_records.payment(reference.member_id, event.reference)
            state = self._members.member_state(reference.member_id)
            invoice = invoice_of(state, reference.invoice_id)
            if payment is None or invoice.payment_id != payment.payment_id:
                return self._park(
                    event, received_at, "PAYMENT_NOT_CURRENT", "The refunded payment no longer pays its invoice."
                )
            refunded_payment = payment.model_copy(
                update={"state": "refunded", "refunded_at": received_at, "refund_reason": event.reason}
            )
            refunded.append((state, invoice, refunded_payment))
            if invoice.purpose == "recertification":
                return self._reverse_recertification_fee(state, invoice, refunded_payment, event, received_at)
            unpaid = invoice.model_copy(update={"state": "refunded", "paid_on": None})
            credential = state.credential(invoice.credential)
            invoices = [unpaid if i.invoice_id == invoice.invoice_id else i for i in state.invoices]
            after = self._status_after(credential, invoices, refunded_on)
            self._payment_records.refund(
                invoice,
                refunded_payment,
                Settlement(credential=(credential, after) if credential is not None and after is not None else None),
                refunded_on=refunded_on,
            )
            if credential is not None and after is not None:
                status_moved.append((credential, after, [i for i in invoices if i.credential == credential.code]))
            return EventOutcome("refunded")

        outcome = retry_on_stale(attempt)
        if outcome.outcome == "refunded" and refunded:
            self._payments.tell_refund(*refunded[-1], refunded_on=refunded_on)
        for before, after, invoices in status_moved:
            self._payments.tell_status(before, after, invoices, moment=received_at)
        return outcome

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
        refunded_on = business_date(received_at)
        note = f"the fee went back to the payer ({event.reason})"
        if application.state in ("submitted", "staff_review"):
            waiting = _decided(
                application, "awaiting_payment", "fee reversed: waiting for the fee again", note, received_at
            )
            self._payment_records.refund(
                invoice,
                refunded_payment,
                Settlement(application=(application, waiting)),
                refunded_on=refunded_on,
            )
            return EventOutcome("refunded", "the application waits for its fee again")
        if application.state not in ("reinstated", "exam_authorized"):
            self._payment_records.refund(invoice, refunded_payment, Settlement(), refunded_on=refunded_on)
            return EventOutcome("refunded", f"the application was already {application.state}")
        reversed_ = _decided(application, "fee_reversed", "fee reversed: what it granted is undone", note, received_at)
        if application.state == "exam_authorized" or application.credential_before is None:
            self._payment_records.refund(
                invoice,
                refunded_payment,
                Settlement(application=(application, reversed_)),
                refunded_on=refunded_on,
            )
            if application.state == "exam_authorized":
                return EventOutcome("refunded", "the exam authorisation is withdrawn")
            # Reinstated before what it replaced was kept: staff see it fee_reversed and undo it by hand.
            return EventOutcome("refunded", "the reinstatement predates its kept credential: staff undo it")
        now = state.held(application.credential)
        # The credential as it was before the approval, keeping the badge issued since so it can be revoked.
        restored = application.credential_before.model_copy(update={"badge_id": now.badge_id})
        settlement = Settlement(
            credential=(now, restored),
            application=(application, reversed_),
            restored_invoices=application.voided_invoices,
        )
        self._payment_records.refund(invoice, refunded_payment, settlement, refunded_on=refunded_on)
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
