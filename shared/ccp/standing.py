"""A credential's standing (status, invoice states) from its stored records, for a given day."""

from __future__ import annotations

from datetime import date, timedelta

from ccp.data.records import CredentialRecord, InvoiceRecord
from ccp.rules.renewals import UNPAID_STATES, state_on
from ccp.rules.status import StatusFacts, StatusVerdict, status_on
from ccp.rules.versions import RuleBook


def invoice_state(invoice: InvoiceRecord, today: date, credential: CredentialRecord | None = None) -> str:
    """The invoice's state on `today`. A locked end-of-cycle invoice is open from the day after the
    credential's requirement was met, whether or not the unlock job has run yet."""
    available = invoice.available_on
    if (
        invoice.state == "locked"
        and credential is not None
        and credential.met_on is not None
        and invoice.closes_cycle
        and invoice.cycle_start == credential.cycle_start
    ):
        day_after = credential.met_on + timedelta(days=1)
        available = min(available, day_after) if available else day_after
    return state_on(invoice.state, available, today)


def credential_status(credential: CredentialRecord, invoices: list[InvoiceRecord], today: date, rule_book: RuleBook) -> StatusVerdict:
    unpaid = tuple(
        i.due_date
        for i in invoices
        if i.credential == credential.code and i.purpose == "renewal" and invoice_state(i, today, credential) in UNPAID_STATES
    )
    facts = StatusFacts(
        cycle_end=credential.cycle_end,
        requirement_met=credential.met_on is not None,
        grandfathered=credential.grandfathered,
        unpaid_due_dates=unpaid,
        recertification_required=credential.recertification_required,
    )
    return status_on(facts, today, rule_book.in_force_on(today))
