"""Member status as a pure function of the records' facts and a date (docs/rules.md §5)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal, NamedTuple

from ccp.rules.dates import add_years, years_between
from ccp.rules.versions import RuleSet

Status = Literal["active", "inactive", "must_recertify"]
SEVERITY: dict[str, int] = {"active": 0, "inactive": 1, "must_recertify": 2}


class StatusFacts(NamedTuple):
    cycle_end: date
    requirement_met: bool
    grandfathered: bool
    unpaid_due_dates: tuple[date, ...]
    # From this day on the member must recertify (a failed audit, or a lapse that reached 3 years):
    # paying later does not cure it, and a day before it is judged as it was then.
    must_recertify_from: date | None = None


class StatusVerdict(NamedTuple):
    status: Status
    lapsed_since: date | None  # the first missed deadline


def status_on(facts: StatusFacts, today: date, rules: RuleSet) -> StatusVerdict:
    missed = [due for due in facts.unpaid_due_dates if due < today]
    if not facts.grandfathered and not facts.requirement_met and facts.cycle_end < today:
        missed.append(facts.cycle_end)
    first = min(missed) if missed else None
    if facts.must_recertify_from is not None and facts.must_recertify_from <= today:
        return StatusVerdict("must_recertify", first)
    if first is None:
        return StatusVerdict("active", None)
    if years_between(first, today) >= rules.lapse_years_to_recertify:
        return StatusVerdict("must_recertify", first)
    return StatusVerdict("inactive", first)


def worst(statuses: list[str]) -> str:
    return max(statuses, key=SEVERITY.__getitem__, default="active")


class LapseDates(NamedTuple):
    """What happens if the member does nothing more: the day they become (or became) inactive and
    the day they would have to recertify. None when nothing is due (a grandfathered member with every
    fee paid and none to come cannot lapse)."""

    inactive_on: date | None
    must_recertify_on: date | None


def lapse_dates(facts: StatusFacts, next_due_date: date | None, rules: RuleSet) -> LapseDates:
    """`next_due_date`: the due date of the next fee not invoiced yet (it will not be paid either)."""
    deadlines = list(facts.unpaid_due_dates) + ([next_due_date] if next_due_date else [])
    if not facts.grandfathered and not facts.requirement_met:
        deadlines.append(facts.cycle_end)
    first = min(deadlines) if deadlines else None
    # Recertification is required from a recorded day (a failed audit), or once the first missed
    # deadline is old enough, whichever comes first: the same two ways status_on judges it.
    recertify = [facts.must_recertify_from] if facts.must_recertify_from is not None else []
    if first is not None:
        recertify.append(add_years(first, rules.lapse_years_to_recertify))
    return LapseDates(first + timedelta(days=1) if first else None, min(recertify) if recertify else None)
