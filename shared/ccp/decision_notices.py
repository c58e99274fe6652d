"""The notices of staff decisions and of money that went back (docs/rules.md §9): what happened, what
it means and what to do, in the member's words; the member_note staff wrote for them, never the
internal note. Each goes once, through the notice ledger (its period is the case it is about)."""

from __future__ import annotations

from datetime import date

from ccp.documents import money
from ccp.domain.records import ApplicationRecord, AuditRecord, Contact, Decision, InvoiceRecord, PaymentRecord
from ccp.notices import Notice

NO_NOTE = "No further words were given; ask the program office if you have questions."


def _written(decision: Decision) -> str:
    return decision.member_note or NO_NOTE


def fee_description(invoice: InvoiceRecord) -> str:
    """What an invoice is for, in the words receipts and refund notices use."""
    if invoice.purpose == "recertification":
        return f"{invoice.credential} recertification fee"
    return f"{invoice.credential} annual renewal fee, anniversary {invoice.anniversary.isoformat()}"


def application_notice(application: ApplicationRecord, decision: Decision, contact: Contact) -> Notice | None:
    """An application rejected, authorised for the exam, or an exam failed (a reinstatement has its own)."""
    kind = {"rejected": "application_rejected", "exam_authorized": "exam_authorized", "exam_failed": "exam_failed"}.get(
        application.state
    )
    if kind is None:
        return None
    data = {
        "name": contact.name,
        "credential": application.credential,
        "applied_on": application.applied_on.isoformat(),
        "exam_date": application.exam_date.isoformat() if application.exam_date else "",
        "member_note": _written(decision),
    }
    return Notice(application.member_id, application.credential, kind, application.application_id, data, contact)


def audit_notice(audit: AuditRecord, decision: Decision, contact: Contact) -> Notice:
    """An audit passed, failed, or failed because no proof came by the deadline."""
    no_answer = decision.by == "system"
    kind = "audit_passed" if audit.state == "passed" else "audit_failed"
    why = "No proof arrived by the deadline." if no_answer else _written(decision)
    return Notice(
        audit.member_id, audit.credential, kind, audit.audit_id, _audit_words(audit, contact) | {"why": why}, contact
    )


def audit_reminder(audit: AuditRecord, contact: Contact) -> Notice:
    """An open audit with no proof yet, two weeks before its deadline."""
    data = _audit_words(audit, contact)
    return Notice(audit.member_id, audit.credential, "audit_reminder", audit.audit_id, data, contact)


def _audit_words(audit: AuditRecord, contact: Contact) -> dict[str, str]:
    return {
        "name": contact.name,
        "credential": audit.credential,
        "cycle_start": audit.cycle_start.isoformat(),
        "cycle_end": audit.cycle_end.isoformat(),
        "deadline": audit.deadline.isoformat(),
    }


def refund_notice(invoice: InvoiceRecord, payment: PaymentRecord, contact: Contact, refunded_on: date) -> Notice:
    """Money that went back: the invoice is unpaid again (a renewal: payable again by its due date)."""
    data = {
        "name": contact.name,
        "amount": money(payment.amount),
        "description": fee_description(invoice),
        "invoice_id": invoice.invoice_id,
        "refunded_on": refunded_on.isoformat(),
        "due_date": invoice.due_date.isoformat(),
    }
    period = f"{invoice.invoice_id}.{payment.payment_id}"
    return Notice(invoice.member_id, invoice.credential, "refund", period, data, contact, postal=False)
