"""A credential's standing (status, invoice states) from its stored records, for a given day.

Lapse thresholds come from the rule version of the credential's cycle (a later version never
changes an earlier cycle's outcome)."""

from __future__ import annotations

from datetime import date, timedelta

from ccp.data.records import CredentialRecord, InvoiceRecord
from ccp.rules.renewals import UNPAID_STATES, InvoiceState, anniversary_in, due_date_for, state_on
from ccp.rules.status import (
    LapseDates,
    StatusFacts,
    StatusVerdict,
    lapse_dates,
    status_on,
)
from ccp.rules.versions import RuleBook


def invoice_state(invoice: InvoiceRecord, today: date, credential: CredentialRecord | None = None) -> InvoiceState:
    """The invoice's state on `today`. A locked end-of-cycle invoice is open from the day after the
    credential's requirement was met, whether or not the unlock job has run yet. Asked for a day
    before its payment, a paid invoice was still unpaid (a later event never rewrites an earlier day)."""
    if invoice.state == "paid" and invoice.paid_on is not None and invoice.paid_on > today:
        return "open"
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


def credential_status(
    credential: CredentialRecord, invoices: list[InvoiceRecord], today: date, rule_book: RuleBook
) -> StatusVerdict:
    return status_on(_facts(credential, invoices, today), today, rule_book.in_force_on(credential.cycle_start))


def credential_lapse_dates(
    credential: CredentialRecord, invoices: list[InvoiceRecord], today: date, rule_book: RuleBook
) -> LapseDates:
    """If the member does nothing more: when they become inactive, when they must recertify."""
    mine = [i for i in invoices if i.credential == credential.code and i.purpose == "renewal"]
    issued = {i.anniversary for i in mine}
    upcoming = next(
        (
            a
            for year in range(today.year - 1, today.year + 2)
            if (a := anniversary_in(credential.anchor, year, credential.anchor.month))
            and a not in issued
            and due_date_for(a) >= today
            and a > credential.anchor
        ),
        None,
    )
    next_due = due_date_for(upcoming) if upcoming else None
    return lapse_dates(_facts(credential, invoices, today), next_due, rule_book.in_force_on(credential.cycle_start))


def _facts(credential: CredentialRecord, invoices: list[InvoiceRecord], today: date) -> StatusFacts:
    unpaid = tuple(
        i.due_date
        for i in invoices
        if i.credential == credential.code
        and i.purpose == "renewal"
        and i.issued_on <= today
        and invoice_state(i, today, credential) in UNPAID_STATES
    )
    return StatusFacts(
        cycle_end=credential.cycle_end,
        requirement_met=credential.met_on is not None,
        grandfathered=credential.grandfathered,
        unpaid_due_dates=unpaid,
        must_recertify_from=credential.must_recertify_from,
    )
