"""Recording a payment: the invoice paid, its payment and reference kept once across the body, and
what follows (a roll-over into the next cycle, a recertification application submitted, the receipt).
Used by the processor's events and by staff recording a cheque (docs/rules.md §4)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple, Protocol

from aws_lambda_powertools import Logger

from ccp.data.members import MemberRepository
from ccp.data.payment_records import PaymentRepository, Settlement
from ccp.data.recertification import RecertificationRepository
from ccp.data.writes import retry_on_stale
from ccp.decision_notices import status_notice
from ccp.domain.records import (
    ApplicationRecord,
    CredentialRecord,
    EarlierCredential,
    InvoiceRecord,
    MemberState,
    PaymentMethod,
    PaymentRecord,
)
from ccp.errors import CcpError, Conflict, NotFound, RuleViolation
from ccp.notices import Notice
from ccp.rules.dates import business_date
from ccp.rules.renewals import payment_refusal
from ccp.rules.standing import after_payment, credential_status, invoice_state
from ccp.rules.versions import RuleBook

logger = Logger(child=True)


class EventsPort(Protocol):
    def publish(self, detail_type: str, detail: dict) -> None: ...


class ReceiptsPort(Protocol):
    def send_receipt(self, state: MemberState, invoice: InvoiceRecord, payment: PaymentRecord) -> None: ...
    def send_application_received(
        self, state: MemberState, application: ApplicationRecord, moment: datetime
    ) -> None: ...
    def send_status(self, notice: Notice, moment: datetime) -> None: ...
    def send_refund(
        self, state: MemberState, invoice: InvoiceRecord, payment: PaymentRecord, *, refunded_on: date
    ) -> None: ...


class PaymentResult(NamedTuple):
    payment: PaymentRecord
    invoice: InvoiceRecord
    rolled_over: bool
    credential: CredentialRecord


REFUSALS = {
    "INVOICE_ALREADY_PAID": "This invoice is already paid.",
    "INVOICE_VOID": "This invoice was voided.",
    "MUST_RECERTIFY": "This credential must be recertified; renewal fees are not accepted.",
    "INVOICE_LOCKED": "This renewal closes a CCP cycle and is payable the day after the CCP requirement is met.",
}


def payment_id_for(member_id: str, processor_reference: str) -> str:
    return "PAY-" + hashlib.sha256(f"{member_id}|{processor_reference}".encode()).hexdigest()[:16].upper()


def offline_reference(member_id: str, method: str, reference: str) -> str:
    """Cheque numbers repeat across banks and payers: an offline reference is unique per member and method."""
    return f"offline:{member_id}:{method}:{reference}"


def invoice_of(state: MemberState, invoice_id: str | None) -> InvoiceRecord:
    invoice = next((i for i in state.invoices if i.invoice_id == invoice_id), None)
    if invoice is None:
        raise NotFound(f"No invoice {invoice_id}.", code="INVOICE_NOT_FOUND")
    return invoice


def refusal_on(state: MemberState, invoice: InvoiceRecord, today: date, rule_book: RuleBook) -> str | None:
    """Why the invoice cannot be paid on `today`, judged from the records (the stored status flag is not the judge)."""
    credential = state.credential(invoice.credential)
    status = (
        credential_status(credential, state.invoices_of(invoice.credential), today, rule_book).status
        if credential
        else "active"
    )
    return payment_refusal(state=invoice_state(invoice, today, credential), purpose=invoice.purpose, status=status)


class Ledger(NamedTuple):
    """What the billing use cases read and write, and the rules they judge by."""

    members: MemberRepository
    payment_records: PaymentRepository
    rule_book: RuleBook
    events: EventsPort
    applications: RecertificationRepository | None = None


class Payments:
    def __init__(self, ledger: Ledger, receipts: ReceiptsPort | None = None):
        self._members, self._payment_records, self._rule_book, self._events, self._applications = ledger
        self._receipts = receipts

    def pay(
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
            invoice = invoice_of(state, invoice_id)
            credential = state.held(invoice.credential)
            refusal = refusal_on(state, invoice, today, self._rule_book)
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
            settlement = Settlement(
                credential=(credential, after) if after is not None else None, archive=archive, application=application
            )
            self._payment_records.pay(invoice, payment, settlement, paid_on=today)
            if archive is not None and after is not None:
                self._announce_roll_over(archive.credential, after)
            self._send_receipt(state, paid, payment)
            if after is not None:
                self.tell_status(credential, after, [i for i in invoices if i.credential == credential.code], paid_at)
            if application is not None:
                self._tell_received(state, application[1], payment.paid_at)
            return PaymentResult(
                payment=payment, invoice=paid, rolled_over=archive is not None, credential=after or credential
            )

        return retry_on_stale(attempt)

    def tell_refund(
        self, state: MemberState, invoice: InvoiceRecord, payment: PaymentRecord, *, refunded_on: date
    ) -> None:
        """The member hears that the money went back and the invoice is unpaid again (once: the ledger)."""
        if self._receipts is not None:
            receipts = self._receipts
            self._tell("refund", lambda: receipts.send_refund(state, invoice, payment, refunded_on=refunded_on))

    def tell_status(
        self, before: CredentialRecord, after: CredentialRecord, invoices: list[InvoiceRecord], moment: datetime
    ) -> None:
        """A payment or a refund that moved the status: the member hears it in words, as from the sweep."""
        if self._receipts is None or after.status == before.status or after.contact is None:
            return
        today = business_date(moment)
        verdict = credential_status(after, invoices, today, self._rule_book)
        notice = status_notice(after, verdict, invoices, today, self._rule_book.in_force_on(after.cycle_start))
        receipts = self._receipts
        self._tell("status", lambda: receipts.send_status(notice, moment))

    def _tell_received(self, state: MemberState, application: ApplicationRecord, moment: datetime) -> None:
        if self._receipts is not None:
            receipts = self._receipts
            self._tell("application received", lambda: receipts.send_application_received(state, application, moment))

    def _send_receipt(self, state: MemberState, invoice: InvoiceRecord, payment: PaymentRecord) -> None:
        if self._receipts is not None:
            receipts = self._receipts
            self._tell("receipt", lambda: receipts.send_receipt(state, invoice, payment))

    @staticmethod
    def _tell(what: str, send: Callable[[], None]) -> None:
        """What the money moved is committed: a notice that fails here stays claimed in the ledger, and the
        next daily run sends it. Logged by kind only (no personal data)."""
        try:
            send()
        except CcpError:
            logger.exception("notice not sent after a payment or refund", extra={"notice": what})

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
    ) -> tuple[CredentialRecord | None, EarlierCredential | None]:
        """The credential's new state, if the payment changes it (roll-over, status), and the archived cycle."""
        updated, rolls_over = after_payment(credential, invoices, today, self._rule_book)
        return updated, (EarlierCredential(credential=credential, replaced_on=today) if rolls_over else None)

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
