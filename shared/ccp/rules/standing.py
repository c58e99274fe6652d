"""A credential's standing and its transitions, from its stored records, for a given day: status,
invoice states, the end-of-cycle lock, the renewal invoice an anniversary brings, roll-over after
payment, reinstatement. Pure: records and dates in, records out (the services write them).

Lapse thresholds come from the rule version of the credential's cycle (a later version never
changes an earlier cycle's outcome)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from ccp.domain.records import CredentialRecord, EarlierCredential, InvoiceRecord
from ccp.domain.values import InvoiceState
from ccp.rules.dates import cycle_containing, cycle_starting
from ccp.rules.renewals import (
    UNPAID_STATES,
    CycleInvoice,
    anniversary_in,
    closes_cycle,
    due_date_for,
    invoice_id_for,
    issue_date_for,
    lock_for,
    ready_to_roll_over,
    state_on,
)
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
    credential's requirement was met, whether or not the unlock job has run yet. Asked for an earlier
    day, an invoice is what it was then (a later event never rewrites an earlier day): unpaid before its
    payment, paid while a payment that later went back held, owed before its void."""
    if any(p.paid_on <= today < p.refunded_on for p in invoice.earlier_payments):
        return "paid"
    if invoice.state == "paid" and invoice.paid_on is not None and invoice.paid_on > today:
        return "open"
    if invoice.state == "void" and invoice.voided_on is not None and invoice.voided_on > today:
        return "open"  # owed until voided (locked or open: both unpaid)
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


def credential_on(current: CredentialRecord, earlier: Sequence[EarlierCredential], day: date) -> CredentialRecord:
    """The credential as the records held it at the end of `day`: the earliest version replaced after
    that day (by a roll-over or a reinstatement), else the current one."""
    replaced_later = [e for e in earlier if e.credential.code == current.code and e.replaced_on > day]
    if not replaced_later:
        return current
    return min(replaced_later, key=lambda e: (e.replaced_on, e.credential.cycle_start)).credential


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
    """What the records held about the credential on `today` (the credential as it stood then)."""
    recertify_from = credential.must_recertify_from
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
        requirement_met=credential.met_on is not None and credential.met_on <= today,
        grandfathered=credential.grandfathered,
        unpaid_due_dates=unpaid,
        # Decided on a later day (the sweep, a failed audit): not a fact of this one.
        must_recertify_from=recertify_from if recertify_from is not None and recertify_from <= today else None,
    )


# ---- transitions ------------------------------------------------------------------------------


def renewal_invoice(credential: CredentialRecord, anniversary: date, rule_book: RuleBook) -> InvoiceRecord:
    """The renewal invoice an anniversary brings: the fee in force then, and locked when it closes the
    open cycle while the requirement is unmet (payable from the day after it is met, docs/rules.md §4)."""
    rules = rule_book.in_force_on(anniversary)
    cycle = (
        credential.cycle
        if credential.cycle.start < anniversary <= credential.cycle.next_start
        else cycle_containing(credential.cycle_start, anniversary - timedelta(days=1), rules.cycle_years)
    )
    closes = closes_cycle(cycle, anniversary) and cycle.start == credential.cycle_start
    issued_on = issue_date_for(anniversary)
    lock = lock_for(
        closes=closes, grandfathered=credential.grandfathered, met_on=credential.met_on, issued_on=issued_on
    )
    return InvoiceRecord(
        member_id=credential.member_id,
        invoice_id=invoice_id_for(credential.code, anniversary),
        credential=credential.code,
        anniversary=anniversary,
        amount=rules.credential(credential.code).annual_fee,
        currency=rules.fee_currency,
        issued_on=issued_on,
        due_date=due_date_for(anniversary),
        state="locked" if lock.locked else "open",
        closes_cycle=closes,
        cycle_start=cycle.start,
        available_on=lock.available_on,
        contact=credential.contact,
    )


def closing_invoice_change(
    before: CredentialRecord, met_on: date | None, closing: InvoiceRecord | None
) -> tuple[InvoiceRecord | None, InvoiceRecord | None]:
    """What a change of the cycle's points does to its closing invoice: (to unlock, to lock again).
    Met for the first time: a locked closing invoice is payable from the next day (§4). Points removed
    below the requirement: an unpaid closing invoice is locked again (§3)."""
    if closing is None:
        return None, None
    if met_on is not None and before.met_on is None and closing.state == "locked":
        return closing.model_copy(update={"available_on": met_on + timedelta(days=1)}), None
    if met_on is None and before.met_on is not None and closing.state in ("locked", "open"):
        return None, closing
    return None, None


def rolled_over(credential: CredentialRecord, rule_book: RuleBook) -> CredentialRecord:
    """The credential in its next cycle: totals reset, nothing met yet."""
    rules = rule_book.in_force_on(credential.cycle.next_start)
    cycle = cycle_starting(credential.cycle.next_start, rules.cycle_years)
    return credential.model_copy(
        update={
            "cycle_start": cycle.start,
            "cycle_end": cycle.end,
            "recorded": {},
            "eligible": {},
            "met_on": None,
            "closing_invoice_id": None,
        }
    )


def after_payment(
    credential: CredentialRecord, invoices: list[InvoiceRecord], today: date, rule_book: RuleBook
) -> tuple[CredentialRecord | None, bool]:
    """The credential after a payment on `today` (None: unchanged), and whether its cycle rolled over:
    a cycle rolls over once its requirement is met (or grandfathered) and its fees are paid (§2, §4);
    the status is judged again from the records."""
    mine = [i for i in invoices if i.credential == credential.code]
    cycle_invoices = [CycleInvoice(i.anniversary, invoice_state(i, today, credential)) for i in mine]
    updated = credential
    rolls_over = ready_to_roll_over(
        credential.cycle,
        met=credential.met_on is not None,
        grandfathered=credential.grandfathered,
        invoices=cycle_invoices,
    )
    if rolls_over:
        updated = rolled_over(credential, rule_book)
    verdict = credential_status(updated, mine, today, rule_book)
    if verdict.status != credential.status:
        updated = updated.model_copy(update={"status": verdict.status, "status_since": today})
    return (updated if updated is not credential else None), rolls_over


def reinstated(credential: CredentialRecord, day: date, rule_book: RuleBook) -> CredentialRecord:
    """Recertified on `day`: a new cycle from that day, active, grandfathering lost (docs/rules.md §1, §7).
    Reinstated again on the day its cycle began (a reinstatement undone, then done again), the cycle is
    the same one: the CE completed in it that day stays counted."""
    cycle = cycle_starting(day, rule_book.in_force_on(day).cycle_years)
    same = credential.cycle_start == cycle.start
    return credential.model_copy(
        update={
            "cycle_start": cycle.start,
            "cycle_end": cycle.end,
            "anniversary_anchor": day,
            "recorded": credential.recorded if same else {},
            "eligible": credential.eligible if same else {},
            "met_on": credential.met_on if same else None,
            "status": "active",
            "status_since": day,
            "recertification_required": False,
            "recertification_required_on": None,
            "lapsed_since": None,
            "grandfathered": False,
            "closing_invoice_id": None,
        }
    )
