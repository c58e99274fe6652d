"""Receipts of paid invoices: the email (through the notice ledger, so it goes once) and the
document (JSON or a printable PDF); what a payment tells beside it (an application received, a refund)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ccp.api import points_json
from ccp.decision_notices import application_received, fee_description, refund_notice
from ccp.documents import day, finished, line, money, new_document, table
from ccp.domain.records import ApplicationRecord, InvoiceRecord, MemberState, PaymentRecord
from ccp.notices import Notice, NoticeSender
from ccp.rules.dates import business_date

ReceiptFormat = Literal["json", "pdf"]
METHOD_LABELS = {"card": "Card (online, through the payment processor)", "check": "Check", "money_order": "Money order"}


class ReceiptNotices:
    """Sends the receipt email of a payment, once per payment (a refunded invoice paid again gets a new one)."""

    def __init__(self, sender: NoticeSender):
        self._sender = sender

    def send_receipt(self, state: MemberState, invoice: InvoiceRecord, payment: PaymentRecord) -> None:
        contact = state.profile.contact
        data = {
            "name": contact.name,
            "receipt_number": payment.payment_id,
            "invoice_id": invoice.invoice_id,
            "description": fee_description(invoice),
            "amount": money(payment.amount),
            "paid_on": (invoice.paid_on or payment.paid_at.date()).isoformat(),
            "method": METHOD_LABELS[payment.method],
        }
        notice = Notice(
            state.profile.member_id,
            invoice.credential,
            "receipt",
            f"{invoice.invoice_id}.{payment.payment_id}",
            data,
            contact,
            postal="never",
        )
        self._sender.send(
            [notice], moment=payment.paid_at, batch_name=f"mail-batches/{payment.paid_at.date().isoformat()}/receipts"
        )

    def send_application_received(self, state: MemberState, application: ApplicationRecord, moment: datetime) -> None:
        notice = application_received(application, state.profile.contact)
        day = business_date(moment).isoformat()
        self._sender.send([notice], moment=moment, batch_name=f"mail-batches/{day}/applications_received")

    def send_status(self, notice: Notice, moment: datetime) -> None:
        day = business_date(moment).isoformat()
        self._sender.send([notice], moment=moment, batch_name=f"mail-batches/{day}/status_changed")

    def send_refund(
        self, state: MemberState, invoice: InvoiceRecord, payment: PaymentRecord, *, refunded_on: date
    ) -> None:
        notice = refund_notice(invoice, payment, state.profile.contact, refunded_on)
        moment = payment.refunded_at or payment.paid_at
        self._sender.send([notice], moment=moment, batch_name=f"mail-batches/{refunded_on.isoformat()}/refunds")


def as_json(state: MemberState, invoice: InvoiceRecord, payment: PaymentRecord) -> dict[str, Any]:
    profile = state.profile
    return {
        "receipt_number": payment.payment_id,
        "member_id": profile.member_id,
        "name": f"{profile.first_name} {profile.last_name}",
        "invoice_id": invoice.invoice_id,
        "credential": invoice.credential,
        "description": fee_description(invoice),
        "amount": points_json(payment.amount),
        "currency": payment.currency,
        "paid_on": invoice.paid_on.isoformat() if invoice.paid_on else None,
        "paid_at": payment.paid_at.isoformat(),
        "method": payment.method,
        "reference": _shown_reference(payment),
    }


def _shown_reference(payment: PaymentRecord) -> str:
    # Offline references are stored scoped to the member and method; show what staff typed.
    return payment.processor_reference.rsplit(":", 1)[-1] if payment.method != "card" else payment.processor_reference


def as_pdf(state: MemberState, invoice: InvoiceRecord, payment: PaymentRecord, *, generated_at: datetime) -> bytes:
    receipt = as_json(state, invoice, payment)
    document = new_document("Receipt", business_date(generated_at), footer_note=f"Receipt {receipt['receipt_number']}")
    document.add_page()
    line(document, f"Receipt {receipt['receipt_number']}", size=14, bold=True)
    document.ln(2)
    rows = [
        ["Received from", f"{receipt['name']} (member {receipt['member_id']})"],
        ["For", receipt["description"]],
        ["Invoice", receipt["invoice_id"]],
        ["Amount", f"{money(payment.amount, payment.currency)} {payment.currency.upper()}"],
        ["Paid on", day(invoice.paid_on)],
        ["Method", METHOD_LABELS[payment.method]],
        ["Reference", str(receipt["reference"])],
    ]
    table(document, rows, (40, 140), headings=False)
    document.ln(6)
    line(document, "Thank you. Keep this receipt for your records.")
    return finished(document)
