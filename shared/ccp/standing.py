"""A credential's standing (status, invoice states) from its stored records, for a given day."""

from __future__ import annotations

from datetime import date

from ccp.data.records import CredentialRecord, InvoiceRecord
from ccp.rules.renewals import state_on
from ccp.rules.status import StatusFacts, StatusVerdict, status_on
from ccp.rules.versions import RuleBook


def invoice_state(invoice: InvoiceRecord, today: date) -> str:
    return state_on(invoice.state, invoice.available_on, today)


def credential_status(credential: CredentialRecord, invoices: list[InvoiceRecord], today: date, rule_book: RuleBook) -> StatusVerdict:
    unpaid = tuple(
        i.due_date for i in invoices if i.credential == credential.code and invoice_state(i, today) in ("locked", "open")
    )
    facts = StatusFacts(
        cycle_end=credential.cycle_end,
        requirement_met=credential.met_on is not None,
        grandfathered=credential.grandfathered,
        unpaid_due_dates=unpaid,
        recertification_required=credential.recertification_required,
    )
    return status_on(facts, today, rule_book.in_force_on(today))
