"""Calendar arithmetic of the program, in the body's business time zone.

Cycles (docs/rules.md §2): end = start + 3 years - 1 day; the next cycle starts the day after.
Year arithmetic on 29 February lands on 28 February (python-dateutil's relativedelta does so).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from ccp.domain.values import Cycle

BUSINESS_TZ = ZoneInfo("America/Chicago")


def business_date(moment: datetime) -> date:
    """The business date of a timestamp (naive timestamps are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BUSINESS_TZ).date()


def add_years(day: date, years: int) -> date:
    shifted: date = day + relativedelta(years=years)
    return shifted


def add_months(day: date, months: int) -> date:
    shifted: date = day + relativedelta(months=months)
    return shifted


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def cycle_starting(start: date, years: int = 3) -> Cycle:
    return Cycle(start=start, end=add_years(start, years) - timedelta(days=1))


def cycle_containing(first_start: date, day: date, years: int = 3) -> Cycle:
    """The cycle of the chain that begins at `first_start` which holds `day` (day >= first_start).

    Cycles are chained (each starts the day after the previous ends), so a chain that began on
    29 February runs on 28 February afterwards; hence iteration, not `first_start + 3n years`.
    """
    if day < first_start:
        raise ValueError("day is before the first cycle")
    cycle = cycle_starting(first_start, years)
    while not cycle.contains(day):
        cycle = cycle_starting(cycle.next_start, years)
    return cycle


def years_between(earlier: date, later: date) -> int:
    """Whole years from `earlier` to `later`, to the day (0 when later < earlier)."""
    if later < earlier:
        return 0
    years: int = relativedelta(later, earlier).years
    return years
