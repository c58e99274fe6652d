"""Invoices and payments; roll-over into the next cycle when the last fee of a compliant cycle is paid."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from aws_lambda_powertools import Logger

from ccp.data.members import MemberRepository, StaleWrite
from ccp.data.records import CredentialRecord, InvoiceRecord, PaymentRecord
from ccp.data.recertification import RecertificationRepository
from ccp.data.renewals import CycleArchive, RenewalRepository
from ccp.errors import Conflict, NotFound, Retryable, RuleViolation
from ccp.rules.dates import cycle_starting
from ccp.rules.renewals import CycleInvoice, ready_to_roll_over
from ccp.rules.versions import RuleBook
from ccp.standing import credential_status, invoice_state

logger = Logger(child=True)
WRITE_ATTEMPTS = 4


class EventsPort(Protocol):
    def publish(self, detail_type: str, detail: dict) -> None: ...


@dataclass(frozen=True)
class InvoiceView:
    invoice: InvoiceRecord
    state: str  # on the request's day


@dataclass(frozen=True)
class PaymentResult:
    payment: PaymentRecord
    invoice: InvoiceRecord
    rolled_over: bool
    credential: CredentialRecord


def payment_id_for(member_id: str, processor_reference: str) -> str:
    return "PAY-" + hashlib.sha256(f"{member_id}|{processor_reference}".encode()).hexdigest()[:16].upper()


def rolled_over(credential: CredentialRecord, today: date, rule_book: RuleBook) -> CredentialRecord:
    """The credential in its next cycle: totals reset, nothing met yet."""
    rules = rule_book.in_force_on(credential.cycle.next_start)
    cycle = cycle_starting(credential.cycle.next_start, rules.cycle_years)
    return credential.model_copy(
        update={
            "cycle_start": cycle.start, "cycle_end": cycle.end, "recorded": {}, "eligible": {}, "met_on": None,
            "closing_invoice_id": None, "audit_in_progress": False,
        }
    )


class BillingService:
    def __init__(
        self, members: MemberRepository, renewals: RenewalRepository, rule_book: RuleBook, events: EventsPort,
        applications: RecertificationRepository | None = None,
    ):
        self._members = members
        self._renewals = renewals
        self._rule_book = rule_book
        self._events = events
        self._applications = applications

    def invoices(self, member_id: str, today: date) -> list[InvoiceView]:
        state = self._members.member_state(member_id)
        return [
            InvoiceView(i, invoice_state(i, today, state.credential(i.credential)))
            for i in sorted(state.invoices, key=lambda i: (i.anniversary, i.credential))
        ]

    def pay(self, member_id: str, invoice_id: str, *, amount: Decimal, processor_reference: str, now: datetime, today: date) -> PaymentResult:
        for _ in range(WRITE_ATTEMPTS):
            state = self._members.member_state(member_id)
            invoice = next((i for i in state.invoices if i.invoice_id == invoice_id), None)
            if invoice is None:
                raise NotFound(f"No invoice {invoice_id}.", code="INVOICE_NOT_FOUND")
            credential = state.credential(invoice.credential)
            self._ensure_payable(invoice, credential, amount, today)
            payment = PaymentRecord(
                member_id=member_id, payment_id=payment_id_for(member_id, processor_reference), invoice_id=invoice_id,
                amount=amount, processor_reference=processor_reference, paid_at=now,
            )
            paid = invoice.model_copy(update={"state": "paid", "paid_on": today, "payment_id": payment.payment_id})
            invoices = [paid if i.invoice_id == invoice_id else i for i in state.invoices]
            if invoice.purpose == "recertification":
                after, archive, application = None, None, self._application_paid(invoice)
            else:
                (after, archive), application = self._after_payment(credential, invoices, today), None
            try:
                self._renewals.pay(invoice, payment, credential, after, archive, application)
            except StaleWrite:
                continue
            if archive is not None:
                self._announce_roll_over(archive.credential, after)
            return PaymentResult(payment=payment, invoice=paid, rolled_over=archive is not None, credential=after or credential)
        raise Retryable("Too many simultaneous changes to this member; try again.")

    def _ensure_payable(self, invoice: InvoiceRecord, credential: CredentialRecord, amount: Decimal, today: date) -> None:
        state = invoice_state(invoice, today, credential)
        if state == "paid":
            raise Conflict("This invoice is already paid.", code="INVOICE_ALREADY_PAID")
        if state == "void":
            raise Conflict("This invoice was voided.", code="INVOICE_VOID")
        if invoice.purpose == "renewal" and (credential.recertification_required or credential.status == "must_recertify"):
            raise Conflict("This credential must be recertified; renewal fees are not accepted.", code="MUST_RECERTIFY")
        if state == "locked":
            raise Conflict(
                "This renewal closes a CCP cycle and is payable the day after the CCP requirement is met.",
                code="INVOICE_LOCKED",
            )
        if amount != invoice.amount:
            raise RuleViolation(f"The amount must be {invoice.amount}.", code="AMOUNT_MISMATCH")

    def _application_paid(self, invoice: InvoiceRecord):
        """Paying the fee submits the application (to staff review when a felony was declared)."""
        before = self._applications.application(invoice.member_id, invoice.application_id)
        after = before.model_copy(update={"state": "staff_review" if before.felony_conviction else "submitted"})
        return before, after

    def _after_payment(
        self, credential: CredentialRecord, invoices: list[InvoiceRecord], today: date
    ) -> tuple[CredentialRecord | None, CycleArchive | None]:
        """The credential's new state, if the payment changes it (roll-over, status), and the archived cycle."""
        mine = [i for i in invoices if i.credential == credential.code]
        cycle_invoices = [CycleInvoice(i.anniversary, invoice_state(i, today, credential)) for i in mine]
        updated, archive = credential, None
        if ready_to_roll_over(credential.cycle, met=credential.met_on is not None, grandfathered=credential.grandfathered, invoices=cycle_invoices):
            archive = CycleArchive(credential=credential, rolled_over_on=today)
            updated = rolled_over(credential, today, self._rule_book)
        verdict = credential_status(updated, mine, today, self._rule_book)
        if verdict.status != credential.status:
            updated = updated.model_copy(update={"status": verdict.status, "status_since": today})
        return (updated if updated is not credential else None), archive

    def _announce_roll_over(self, old: CredentialRecord, new: CredentialRecord) -> None:
        detail = {
            "member_id": old.member_id, "credential": old.code, "previous_cycle_start": old.cycle_start.isoformat(),
            "previous_cycle_end": old.cycle_end.isoformat(), "cycle_start": new.cycle_start.isoformat(), "cycle_end": new.cycle_end.isoformat(),
        }
        try:
            self._events.publish("CycleRolledOver", detail)
        except Exception:  # noqa: BLE001 - the roll-over is committed; the archived cycle item records it
            logger.exception("CycleRolledOver event not published", extra={"credential": old.code})
