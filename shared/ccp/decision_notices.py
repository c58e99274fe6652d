"""The notices of staff decisions and of money that went back (docs/rules.md §9): what happened, what
it means and what to do, in the member's words; the member_note staff wrote for them, never the
internal note. Each goes once, through the notice ledger (its period is the case it is about)."""

from __future__ import annotations

from datetime import date

from ccp.documents import money
from ccp.domain.records import (
    ApplicationRecord,
    AuditRecord,
    Contact,
    CredentialRecord,
    Decision,
    InvoiceRecord,
    PaymentRecord,
)
from ccp.notices import Notice, PostalChannel
from ccp.rules.ce import progress_of
from ccp.rules.dates import add_years
from ccp.rules.status import StatusVerdict
from ccp.rules.versions import RuleSet

# Decisions and status changes go by post only when the member has no usable email (rules §9).
BY_POST: PostalChannel = "instead_of_email"
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
    return Notice(
        application.member_id, application.credential, kind, application.application_id, data, contact, postal=BY_POST
    )


PATH_WORDS = {"ccp": "by CCP (your recorded CE)", "exam": "by exam"}


def application_received(application: ApplicationRecord, contact: Contact) -> Notice:
    """An application whose fee is paid: it waits for staff review (once, whatever the fee's history)."""
    data = {
        "name": contact.name,
        "credential": application.credential,
        "applied_on": application.applied_on.isoformat(),
        "path_words": PATH_WORDS[application.path],
    }
    period = application.application_id
    return Notice(
        application.member_id, application.credential, "application_received", period, data, contact, postal=BY_POST
    )


def reinstated_notice(credential: CredentialRecord, contact: Contact, application_id: str) -> Notice:
    """Recertified: active again in a new cycle (the exam passed, or the CCP application approved)."""
    data = {
        "name": contact.name,
        "credential": credential.code,
        "cycle_start": credential.cycle_start.isoformat(),
        "cycle_end": credential.cycle_end.isoformat(),
    }
    return Notice(credential.member_id, credential.code, "reinstated", application_id, data, contact, postal=BY_POST)


def audit_notice(audit: AuditRecord, decision: Decision, contact: Contact) -> Notice:
    """An audit passed, failed, or failed because no proof came by the deadline."""
    no_answer = decision.by == "system"
    kind = "audit_passed" if audit.state == "passed" else "audit_failed"
    why = "No proof arrived by the deadline." if no_answer else _written(decision)
    return Notice(
        audit.member_id,
        audit.credential,
        kind,
        audit.audit_id,
        _audit_words(audit, contact) | {"why": why},
        contact,
        postal=BY_POST,
    )


def audit_reminder(audit: AuditRecord, contact: Contact) -> Notice:
    """An open audit with no proof yet, two weeks before its deadline."""
    data = _audit_words(audit, contact)
    return Notice(audit.member_id, audit.credential, "audit_reminder", audit.audit_id, data, contact, postal=BY_POST)


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
    return Notice(invoice.member_id, invoice.credential, "refund", period, data, contact, postal=BY_POST)


def status_notice(
    credential: CredentialRecord, verdict: StatusVerdict, invoices: list[InvoiceRecord], today: date, rules: RuleSet
) -> Notice:
    """A status change in a sentence that says why and what to do ("Your RMA certification is inactive
    because the 2027 renewal fee ... is unpaid"), never the status code (rules §9)."""
    code, status = credential.code, verdict.status
    if status == "active":
        sentence = f"Your {code} certification is active again: nothing is past due any more."
        next_step = "Thank you. Nothing more is needed now; keep recording the CE you complete."
    elif status == "inactive":
        sentence = (
            f"Your {code} certification is inactive because {_first_missed(credential, verdict, invoices, rules)}."
        )
        next_step = (
            "To be active again, pay what is due and record the CE points you earned in the cycle. "
            f"After {rules.lapse_years_to_recertify} years inactive, the certification lapses and must be recertified."
        )
    else:
        lapsed = verdict.lapsed_since
        if lapsed is not None and add_years(lapsed, rules.lapse_years_to_recertify) <= today:
            why = f"it has been inactive since {lapsed.isoformat()}, {rules.lapse_years_to_recertify} years or more"
        else:
            why = "an audit could not confirm the CCP points of your cycle"
        sentence = f"Your {code} certification has lapsed and must be recertified: {why}."
        next_step = (
            "Apply for recertification, by CCP or by exam, in the member portal. Renewal fees are no longer accepted."
        )
    data = {
        "name": credential.contact.name if credential.contact else "",
        "credential": code,
        "status_words": STATUS_WORDS[status],
        "sentence": sentence,
        "next_step": next_step,
    }
    return Notice(
        credential.member_id,
        code,
        "status_changed",
        f"{today.isoformat()}-{status}",
        data,
        credential.contact,
        postal=BY_POST,
    )


STATUS_WORDS = {"active": "active again", "inactive": "inactive", "must_recertify": "lapsed"}


def _first_missed(
    credential: CredentialRecord, verdict: StatusVerdict, invoices: list[InvoiceRecord], rules: RuleSet
) -> str:
    """The deadline that made the member inactive, in words: an unpaid fee, or a cycle ended unmet."""
    missed = verdict.lapsed_since
    unpaid = next((i for i in invoices if i.purpose == "renewal" and i.due_date == missed), None)
    if unpaid is not None:
        return (
            f"the {unpaid.anniversary.year} renewal fee (invoice {unpaid.invoice_id}, {money(unpaid.amount)}) "
            f"was due by {unpaid.due_date.isoformat()} and is unpaid"
        )
    progress = progress_of(credential.totals, credential=credential.code, grandfathered=False, rules=rules)
    return (
        f"your CCP cycle ended on {credential.cycle_end.isoformat()} without the required points "
        f"({progress.remaining_points} more were needed)"
    )
