"""A history brought from another system (docs/rules.md §8): where the program's record of a credential
begins, and the days of that history on which the daily runs could change anything. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from ccp.domain.values import Cycle
from ccp.rules.dates import add_months, add_years, cycle_starting, month_end, month_start
from ccp.rules.renewals import anniversary_in, belongs_to_cycle

DAY = timedelta(days=1)
# The daily runs, by their ledger names (ccp.rules.jobs.DAILY_JOBS).
INVOICE_UNLOCK, RENEWAL_RUN, STATUS_SWEEP = "invoice_unlock", "renewal_notices", "status_sweep"


def history_start(anchor: date, fees_paid: Iterable[date], import_day: date, cycle_years: int) -> date:
    """The start of the cycle the program's record of a credential begins with.

    Cycles the old system closed are not replayed: a cycle all of whose fees were paid, its closing fee
    included, closed compliant (the program takes that fee only once the points are in), so the record
    begins with the first cycle that had not closed by the import day: the one holding it, or an earlier
    one with a fee never paid (the member lapsed there, and the program judges them from it). A fee is
    known by its anniversary."""
    paid = set(fees_paid)
    cycle = cycle_starting(anchor, cycle_years)
    while cycle.next_start <= import_day and set(fees_of(anchor, cycle)) <= paid:
        cycle = cycle_starting(cycle.next_start, cycle_years)
    return cycle.start


def fees_of(anchor: date, cycle: Cycle) -> list[date]:
    """The anniversaries whose fees belong to a cycle: after its start, up to the one that closes it."""
    anniversaries = (
        anniversary_in(anchor, year, anchor.month) for year in range(cycle.start.year, cycle.next_start.year + 1)
    )
    return [a for a in anniversaries if a is not None and belongs_to_cycle(cycle, a)]


def cycle_ends(start: date, until: date, cycle_years: int) -> list[date]:
    """The ends of the chain's cycles from `start` up to `until`."""
    ends, cycle = [], cycle_starting(start, cycle_years)
    while cycle.end <= until:
        ends.append(cycle.end)
        cycle = cycle_starting(cycle.next_start, cycle_years)
    return ends


def days_the_runs_matter(
    first: date,
    before: date,
    *,
    anniversary_months: Iterable[int],
    deadlines: Iterable[date],
    lapse_years: Iterable[int],
    member_days: Iterable[date],
) -> dict[date, frozenset[str]]:
    """The days from `first` up to (not including) `before` on which a daily run could change a record,
    and which runs: the renewal run issues invoices on the 1st of an anniversary month (on other days it
    only sends notices, and notices of days before an import are not sent); the unlock opens an invoice
    on its issue day or the day after the points are in; the sweep judges a deadline (an invoice's due
    date, a cycle's end) the day after it passed, and again its lapse years later."""
    runs: dict[date, set[str]] = defaultdict(set)
    months = set(anniversary_months)
    all_deadlines = set(deadlines)
    month = month_start(first)
    while month < before:
        if month.month in months:
            runs[month] |= {INVOICE_UNLOCK, RENEWAL_RUN}
            all_deadlines.add(month_end(month))  # the month's invoices fall due on its last day
        month = add_months(month, 1)
    for deadline in all_deadlines:
        judged = {deadline + DAY}
        for years in lapse_years:
            judged |= {add_years(deadline, years), add_years(deadline, years) + DAY, add_years(deadline + DAY, years)}
        for day in judged:
            runs[day].add(STATUS_SWEEP)
    for day in member_days:
        runs[day + DAY].add(INVOICE_UNLOCK)
    return {day: frozenset(jobs) for day, jobs in sorted(runs.items()) if first <= day < before}
