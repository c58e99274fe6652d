"""Member status as a pure function of the records' facts and a date (RULES.md §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from ccp.rules.dates import years_between
from ccp.rules.versions import RuleSet

Status = Literal["active", "inactive", "must_recertify"]
SEVERITY: dict[str, int] = {"active": 0, "inactive": 1, "must_recertify": 2}


@dataclass(frozen=True)
class StatusFacts:
    cycle_end: date
    requirement_met: bool
    grandfathered: bool
    unpaid_due_dates: tuple[date, ...]
    # Set by a failed audit, or once a lapse reached 3 years: paying later does not cure it.
    recertification_required: bool = False


@dataclass(frozen=True)
class StatusVerdict:
    status: Status
    lapsed_since: date | None  # the first missed deadline


def status_on(facts: StatusFacts, today: date, rules: RuleSet) -> StatusVerdict:
    missed = [due for due in facts.unpaid_due_dates if due < today]
    if not facts.grandfathered and not facts.requirement_met and facts.cycle_end < today:
        missed.append(facts.cycle_end)
    first = min(missed) if missed else None
    if facts.recertification_required:
        return StatusVerdict("must_recertify", first)
    if first is None:
        return StatusVerdict("active", None)
    if years_between(first, today) >= rules.lapse_years_to_recertify:
        return StatusVerdict("must_recertify", first)
    return StatusVerdict("inactive", first)


def worst(statuses: list[str]) -> str:
    return max(statuses, key=SEVERITY.__getitem__, default="active")
