"""Payments and refunds in the single table: each with its invoice, its processor reference (unique
across the table) and what it pays for (a roll-over, a status, an application), in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from boto3.dynamodb.conditions import Key

from ccp.data import keys
from ccp.data.dynamo import conditionally, query_all, translated_errors
from ccp.data.invoices import STILL_UNPAID
from ccp.data.items import (
    application_item,
    archive_item,
    credential_item,
    invoice_item,
    invoice_key,
    payment_item,
    to_item,
)
from ccp.data.writes import UnitOfWork, Update, absent, equals, refusal
from ccp.domain.records import (
    ApplicationRecord,
    CredentialRecord,
    EarlierCredential,
    InvoiceRecord,
    PaidPeriod,
    ParkedPayment,
    PaymentRecord,
)
from ccp.errors import Conflict

PAY_REFUSALS = (
    refusal(
        "payment",
        "reference",
        error=lambda: Conflict("This payment reference was already recorded.", code="DUPLICATE_PAYMENT"),
    ),
    refusal("invoice", error=lambda: Conflict("This invoice is already paid.", code="INVOICE_ALREADY_PAID")),
)
REFUND_REFUSALS = (
    refusal(
        "invoice",
        "payment",
        error=lambda: Conflict("This payment is no longer the one that pays the invoice.", code="PAYMENT_NOT_CURRENT"),
    ),
)


class PaymentReference(NamedTuple):
    """Who used a payment reference, and whether the money is still with us."""

    reference: str
    state: str  # paid | refunded
    member_id: str | None = None
    invoice_id: str | None = None
    payment_id: str | None = None


class Settlement(NamedTuple):
    """What a payment or refund changes beside the invoice: each part written only over what was read."""

    credential: tuple[CredentialRecord, CredentialRecord] | None = None  # (as read, as it becomes)
    archive: EarlierCredential | None = None  # the cycle a roll-over closes
    application: tuple[ApplicationRecord, ApplicationRecord] | None = None
    restored_invoices: Sequence[InvoiceRecord] = ()  # invoices a reversed reinstatement had voided


class PaymentRepository:
    def __init__(self, table: Any):
        self._table = table

    def pay(self, invoice: InvoiceRecord, payment: PaymentRecord, settlement: Settlement, *, paid_on: date) -> None:
        """The payment, the paid invoice, the reference guard and (when they follow) the roll-over or
        status change: one transaction. `paid_on` is the business day of the payment (the caller's)."""
        work = UnitOfWork(self._table)
        paid = (
            Update()
            .set(state="paid", paid_on=paid_on.isoformat(), payment_id=payment.payment_id)
            # its checkout session is spent: a refund later offers a new one
            .remove("gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "checkout_id", "checkout_url", "checkout_expires_at")
        )
        work.update(invoice_key(invoice), paid, role="invoice", condition=STILL_UNPAID)
        work.put_new(payment_item(payment), role="payment")
        reference = PaymentReference(
            payment.processor_reference, "paid", payment.member_id, payment.invoice_id, payment.payment_id
        )
        work.put_new(reference_item(reference), role="reference")
        self._settle(work, settlement)
        work.commit(PAY_REFUSALS)

    def refund(
        self, invoice: InvoiceRecord, refunded: PaymentRecord, settlement: Settlement, *, refunded_on: date
    ) -> None:
        """The money went back: the invoice is unpaid again (listed by its due date again, so notices and
        the status sweep see it), the payment and its reference say so, and the status follows. One
        transaction; conditional on the invoice still being paid by this payment. The days it was paid
        stay kept (`earlier_payments`): a day before the refund was a paid day."""
        work = UnitOfWork(self._table)
        unpaid = Update().set(state="refunded").remove("paid_on")
        if invoice.paid_on is not None:
            unpaid.append("earlier_payments", [to_item(PaidPeriod(paid_on=invoice.paid_on, refunded_on=refunded_on))])
        if invoice.purpose == "renewal":
            unpaid.set(**keys.due_keys(invoice.member_id, invoice.credential, invoice.due_date))
        paid_by_it = equals("state", "paid") & equals("payment_id", refunded.payment_id)
        work.update(invoice_key(invoice), unpaid, role="invoice", condition=paid_by_it)
        work.put(payment_item(refunded), role="payment", condition=equals("state", "paid"))
        work.update(
            {"pk": keys.payment_reference_pk(refunded.processor_reference), "sk": keys.PAYMENT_REFERENCE_SK},
            Update().set(state="refunded"),
            role="reference",
        )
        self._settle(work, settlement)
        for restored in settlement.restored_invoices:
            work.put(invoice_item(restored), role="restored")
        work.commit(REFUND_REFUSALS)

    @staticmethod
    def _settle(work: UnitOfWork, settlement: Settlement) -> None:
        if settlement.archive is not None:
            work.put_new(archive_item(settlement.archive), role="archive")  # a cycle rolls over once
        if settlement.credential is not None:
            before, after = settlement.credential
            work.replace(credential_item(after), read_version=before.version, role="credential")
        if settlement.application is not None:  # a recertification fee: what it paid for moves with it
            before_application, after_application = settlement.application
            work.replace(
                application_item(after_application), read_version=before_application.version, role="application"
            )

    def payment_reference(self, reference: str) -> PaymentReference | None:
        with translated_errors():
            item = self._table.get_item(
                Key={"pk": keys.payment_reference_pk(reference), "sk": keys.PAYMENT_REFERENCE_SK}, ConsistentRead=True
            ).get("Item")
        if item is None:
            return None
        return PaymentReference(
            reference, item["state"], item.get("member_id"), item.get("invoice_id"), item.get("payment_id")
        )

    def payment(self, member_id: str, reference: str) -> PaymentRecord | None:
        with translated_errors():
            item = self._table.get_item(
                Key={"pk": keys.member_pk(member_id), "sk": keys.payment_sk(reference)}, ConsistentRead=True
            ).get("Item")
        return PaymentRecord.model_validate(item) if item else None

    def payments_of(self, member_id: str) -> list[PaymentRecord]:
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id)) & Key("sk").begins_with(keys.payment_sk("")),
            ConsistentRead=True,
        )
        return [PaymentRecord.model_validate(item) for item in items]

    def refunded_before_recorded(self, reference: str) -> bool:
        """A refund that arrived before its payment: the reference is marked refunded so that the late
        payment event finds it and pays nothing. False when the reference already existed."""
        item = reference_item(PaymentReference(reference, "refunded"))
        return conditionally(self._table.put_item, Item=item, **absent().request())

    def park_payment(self, parked: ParkedPayment) -> bool:
        """Keep a processor event for staff; False when this event was parked already."""
        item = {
            "pk": keys.processor_event_pk(parked.event_id),
            "sk": keys.processor_event_pk(parked.event_id),
            "entity": "parked_payment",
            **keys.parked_payment_keys(parked.received_at.isoformat(), parked.event_id),
            **to_item(parked),
        }
        return conditionally(self._table.put_item, Item=item, **absent().request())

    def parked_payments(self, limit: int = 100) -> list[ParkedPayment]:
        with translated_errors():
            response = self._table.query(
                IndexName="gsi2",
                KeyConditionExpression=Key("gsi2pk").eq(keys.PARKED_PAYMENTS),
                ScanIndexForward=False,
                Limit=limit,
            )
        return [ParkedPayment.model_validate(item) for item in response.get("Items", [])]


def reference_item(reference: PaymentReference) -> dict[str, Any]:
    item = {
        "pk": keys.payment_reference_pk(reference.reference),
        "sk": keys.PAYMENT_REFERENCE_SK,
        "entity": "payment_reference",
        "state": reference.state,
        "member_id": reference.member_id,
        "invoice_id": reference.invoice_id,
        "payment_id": reference.payment_id,
    }
    return {k: v for k, v in item.items() if v is not None}
