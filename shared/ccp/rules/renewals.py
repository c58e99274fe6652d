"""Annual fees, the end-of-cycle lock, the notice cadence and roll-over (docs/rules.md §2, §4).

Pure functions of dates and records' facts.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from ccp.domain.values import Cycle, InvoiceState
from ccp.rules.dates import add_months, month_end, month_start
from ccp.rules.versions import RuleSet

# A refunded invoice was paid and the money went back (refund, lost dispute): unpaid again, payable again.
UNPAID_STATES = frozenset({"locked", "open", "refunded"})


class NoticeKind(StrEnum):
    RENEWAL_UPCOMING = "renewal_upcoming"  # 1st of the month before the anniversary month
    RENEWAL_DUE = "renewal_due"  # 1st of the anniversary month: the invoice is issued
    PAST_DUE = "past_due"  # 1st of the month after: the invoice is still unpaid
    CE_REMINDER = "ce_reminder"  # months before a cycle ends while points are missing
    INVOICE_PAYABLE = "invoice_payable"  # the end-of-cycle invoice unlocked
    STATUS_CHANGED = "status_changed"
    CYCLE_ENDING = "cycle_ending"  # 90 and 30 days before an unmet cycle ends (rules §9), every day


def anniversary_in(anchor: date, year: int, month: int) -> date | None:
    """The anniversary of `anchor` in that month, if it is the anchor's month (29 Feb -> 28 Feb)."""
    if month != anchor.month:
        return None
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def invoice_id_for(code: str, anniversary: date) -> str:
    return f"{code}-{anniversary:%Y%m%d}"


def due_date_for(anniversary: date) -> date:
    """Issued on the 1st of the anniversary month, due by its last day."""
    return month_end(anniversary)


def issue_date_for(anniversary: date) -> date:
    return month_start(anniversary)


def closes_cycle(cycle: Cycle, anniversary: date) -> bool:
    """The renewal whose anniversary starts the next cycle closes the open one."""
    return anniversary == cycle.next_start


def belongs_to_cycle(cycle: Cycle, anniversary: date) -> bool:
    """The fees of a cycle: anniversaries after its start, up to and including the one that closes it."""
    return cycle.start < anniversary <= cycle.next_start


class Lock(NamedTuple):
    locked: bool
    available_on: date | None


def lock_for(*, closes: bool, grandfathered: bool, met_on: date | None, issued_on: date) -> Lock:
    """An end-of-cycle invoice is payable from the day after the requirement is first met."""
    if not closes or grandfathered:
        return Lock(False, issued_on)
    if met_on is None:
        return Lock(True, None)
    available = max(issued_on, met_on + timedelta(days=1))
    return Lock(available > issued_on, available)


def state_on(state: InvoiceState, available_on: date | None, today: date) -> InvoiceState:
    """The invoice's state on a given day: a locked invoice is open from `available_on` on."""
    if state == "locked" and available_on is not None and available_on <= today:
        return "open"
    return state


class NoticeWork(NamedTuple):
    """One kind of notice a daily run sends: for the anniversaries (or cycle ends, or due dates) of a month,
    or, for cycle-ending reminders, of one day."""

    kind: NoticeKind
    month: date  # first day of the month the work reads (cycle-ending reminders: the day the cycles end)
    months_before: int | None = None  # for CE reminders: 6, 3 or 1
    run_day: date | None = None  # the day the run does it (the rules in force then word the notice)
    days_before: int | None = None  # for cycle-ending reminders: 90 or 30

    @property
    def period(self) -> str:
        if self.days_before is not None:
            return f"{self.month:%Y-%m-%d}-{self.days_before}d"
        suffix = f"-{self.months_before}m" if self.months_before is not None else ""
        return f"{self.month:%Y-%m}{suffix}"


def notice_work_on(day: date, rules: RuleSet) -> list[NoticeWork]:
    """What the daily renewal run does on `day`: the monthly notices on the 1st of a month, and every
    day the reminders of unmet cycles ending 90 and 30 days later."""
    work = [
        NoticeWork(NoticeKind.CYCLE_ENDING, day + timedelta(days=n), run_day=day, days_before=n)
        for n in rules.cycle_ending_reminder_days
    ]
    if day.day != 1:
        return work
    work += [
        NoticeWork(NoticeKind.RENEWAL_DUE, day, run_day=day),
        NoticeWork(NoticeKind.RENEWAL_UPCOMING, add_months(day, rules.notice_months_before_anniversary), run_day=day),
        NoticeWork(NoticeKind.PAST_DUE, add_months(day, -1), run_day=day),
    ]
    for months in rules.compliance_reminder_months_before_cycle_end:
        work.append(NoticeWork(NoticeKind.CE_REMINDER, add_months(day, months), months_before=months, run_day=day))
    return work


class CycleInvoice(NamedTuple):
    anniversary: date
    state: InvoiceState


def ready_to_roll_over(cycle: Cycle, *, met: bool, grandfathered: bool, invoices: list[CycleInvoice]) -> bool:
    """Compliant: the requirement is met (or not required) and every fee of the cycle is paid,
    including the end-of-cycle renewal."""
    mine = [i for i in invoices if belongs_to_cycle(cycle, i.anniversary)]
    closing_paid = any(closes_cycle(cycle, i.anniversary) and i.state == "paid" for i in mine)
    all_paid = all(i.state in ("paid", "void") for i in mine)
    return (met or grandfathered) and closing_paid and all_paid


def payment_refusal(*, state: InvoiceState, purpose: str, status: str) -> str | None:
    """Why an invoice cannot be paid on a day, as a rule code (None: it can). `state` and `status` are
    the invoice's and the credential's on that day, judged from the records (never a stored flag):
    a member who must recertify pays no old renewal fee, the way back is recertification (§4, §7)."""
    if state == "paid":
        return "INVOICE_ALREADY_PAID"
    if state == "void":
        return "INVOICE_VOID"
    if purpose == "renewal" and status == "must_recertify":
        return "MUST_RECERTIFY"
    if state == "locked":
        return "INVOICE_LOCKED"
    return None
