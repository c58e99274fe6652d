"""Which CE counts, and how much (docs/rules.md §2-3).

Everything here is a function of the activity, the cycle, the rule version and "today":
nothing reads the clock or the store. The data layer keeps, per credential cycle, the points
*recorded* and the points *eligible* (after per-activity rules such as the employment cut-off)
per category; caps are applied when progress is computed, so the running totals never depend
on the order in which activities arrived.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import NamedTuple

from ccp.domain.values import ZERO, ActivityClaim, Category, Cycle, CycleTotals
from ccp.errors import RuleViolation
from ccp.model import LazyModel
from ccp.rules.versions import RuleSet

CENT = Decimal("0.01")


def check_claim(claim: ActivityClaim, *, attested: bool, today: date, rules: RuleSet) -> None:
    """Checks that do not depend on the credential cycle."""
    if not attested:
        raise RuleViolation("The entry must be attested as correct.", code="NOT_ATTESTED")
    if claim.points <= ZERO or claim.points > rules.max_points_per_activity:
        raise RuleViolation(
            f"Points must be more than 0 and at most {rules.max_points_per_activity}.", code="POINTS_OUT_OF_RANGE"
        )
    if claim.points != claim.points.quantize(CENT):
        raise RuleViolation("Points have at most two decimal places.", code="POINTS_OUT_OF_RANGE")
    if claim.start_date > claim.end_date:
        raise RuleViolation("The start date is after the end date.", code="INVALID_DATE_RANGE")
    if claim.end_date > today:
        raise RuleViolation("An activity cannot end after today.", code="FUTURE_DATE")
    if claim.category == Category.EMPLOYMENT and claim.start_date > rules.employment_cutoff:
        raise RuleViolation(
            f"Employment after {rules.employment_cutoff.isoformat()} earns no CCP points.",
            code="EMPLOYMENT_AFTER_CUTOFF",
        )


def eligible_points(claim: ActivityClaim, cycle: Cycle, rules: RuleSet) -> Decimal:
    """Points of `claim` that may count toward `cycle` (before category caps).

    Raises when the activity was not completed inside the cycle. Employment counts only its
    days from the cycle start through the cut-off, pro-rated by day; the rest is earned, not
    counted.
    """
    if claim.end_date < cycle.start:
        raise RuleViolation(
            f"Completed before the cycle that starts {cycle.start.isoformat()}.", code="COMPLETED_BEFORE_CYCLE"
        )
    if claim.end_date > cycle.end:
        raise RuleViolation(
            f"Completed after the cycle that ends {cycle.end.isoformat()}; record it in the next cycle.",
            code="COMPLETED_AFTER_CYCLE",
        )
    if claim.category != Category.EMPLOYMENT:
        return claim.points
    window_start = max(claim.start_date, cycle.start)
    window_end = min(claim.end_date, rules.employment_cutoff)
    if window_end < window_start:
        raise RuleViolation(
            f"This cycle has no employment points: employment counts only through "
            f"{rules.employment_cutoff.isoformat()} and from the cycle start.",
            code="EMPLOYMENT_AFTER_CUTOFF",
        )
    counted_days = (window_end - window_start).days + 1
    total_days = (claim.end_date - claim.start_date).days + 1
    return (claim.points * counted_days / total_days).quantize(CENT, rounding=ROUND_DOWN)


def duplicate_key(credential: str, claim: ActivityClaim) -> str:
    """The identity of an activity for the duplicate rule: (credential, title, end date).

    Titles are compared case- and spacing-insensitively, so a member's manual copy of an
    auto-recorded course is caught; the provider and the category are left out on purpose (docs/rules.md
    §3): a changed provider or a second category never lets one course count twice.
    """

    def norm(text: str | None) -> str:
        return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())

    raw = "|".join([credential, norm(claim.title), claim.end_date.isoformat()])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


class CategoryProgress(LazyModel):
    recorded: Decimal
    counted: Decimal
    cap: Decimal | None


class Progress(LazyModel):
    required_points: Decimal
    recorded_points: Decimal
    counted_points: Decimal
    remaining_points: Decimal
    by_category: dict[Category, CategoryProgress]

    @property
    def met(self) -> bool:
        return self.remaining_points == ZERO


def category_cap(category: Category, nominal_requirement: Decimal, rules: RuleSet) -> Decimal | None:
    share = rules.categories[category].cap_share
    if share is None:
        return None
    return (nominal_requirement * share).quantize(CENT, rounding=ROUND_DOWN)


def progress_of(totals: CycleTotals, *, credential: str, grandfathered: bool, rules: RuleSet) -> Progress:
    """Recorded, counted (after caps) and remaining points of one credential cycle."""
    nominal = rules.credential(credential).required_points
    required = ZERO if grandfathered else nominal
    by_category: dict[Category, CategoryProgress] = {}
    for category in Category:
        cap = category_cap(category, nominal, rules)
        eligible = totals.eligible.get(category, ZERO)
        counted = eligible if cap is None else min(eligible, cap)
        by_category[category] = CategoryProgress(recorded=totals.recorded.get(category, ZERO), counted=counted, cap=cap)
    recorded = sum((c.recorded for c in by_category.values()), ZERO)
    counted = sum((c.counted for c in by_category.values()), ZERO)
    return Progress(
        required_points=required,
        recorded_points=recorded,
        counted_points=counted,
        remaining_points=max(ZERO, required - counted),
        by_category=by_category,
    )


# Why part of an activity is earned but not counted, each part on its own (docs/rules.md §3).
BEFORE_CYCLE = "before_cycle"  # employment days before the cycle started
AFTER_CUTOFF = "after_cutoff"  # employment days after the employment cut-off date
OVER_CAP = "over_cap"  # eligible points over the category's cap for the cycle


class CountedRow(NamedTuple):
    """What one activity counts toward its cycle, and each part of the rest with its reason."""

    counted: Decimal
    not_counted: Decimal
    parts: dict[str, Decimal]  # reason -> points; they add up to `not_counted`

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(self.parts)


def eligibility_gap(claim: ActivityClaim, eligible: Decimal, cycle: Cycle, rules: RuleSet) -> dict[str, Decimal]:
    """The points of `claim` that are not eligible (`claim.points - eligible`), split by why: employment
    days before the cycle start, and days after the cut-off. The parts add up to the gap exactly (the
    day pro-rating's rounding goes to the later part)."""
    gap = claim.points - eligible
    if gap <= 0:
        return {}
    one_day = timedelta(days=1)
    total_days = (claim.end_date - claim.start_date).days + 1
    before_end = min(claim.end_date, cycle.start - one_day)
    before_days = max(0, (before_end - claim.start_date).days + 1)
    after_start = max(claim.start_date, rules.employment_cutoff + one_day)
    after_days = max(0, (claim.end_date - after_start).days + 1)
    if not after_days:
        return {BEFORE_CYCLE: gap}
    if not before_days:
        return {AFTER_CUTOFF: gap}
    before = min(gap, (claim.points * before_days / total_days).quantize(CENT, rounding=ROUND_DOWN))
    return {k: v for k, v in ((BEFORE_CYCLE, before), (AFTER_CUTOFF, gap - before)) if v > 0}


def counted_by_activity(
    activities: list[tuple[ActivityClaim, Decimal]], progress: Progress, gaps: list[dict[str, Decimal]]
) -> list[CountedRow]:
    """How much of each activity (claim, eligible points) counts, taken in the order given: a
    category's cap fills in that order, earliest first. The rows add up to `progress`, category by
    category and in total, when they are the activities its totals were made from. `gaps` are each
    activity's points that are not eligible, by reason (`eligibility_gap`)."""
    left = {category: row.cap for category, row in progress.by_category.items()}
    rows = []
    for (claim, eligible), gap in zip(activities, gaps, strict=True):
        cap_left = left.get(claim.category)
        counted = eligible if cap_left is None else max(ZERO, min(eligible, cap_left))
        if cap_left is not None:
            left[claim.category] = cap_left - counted
        parts = dict(gap)
        if counted < eligible:
            parts[OVER_CAP] = eligible - counted
        rows.append(CountedRow(counted=counted, not_counted=claim.points - counted, parts=parts))
    return rows


def is_grandfathered(certified_on: date, rules: RuleSet) -> bool:
    return certified_on < rules.grandfathered_if_certified_before


def next_met_on(previous: date | None, progress: Progress, *, grandfathered: bool, today: date) -> date | None:
    """The day the requirement was first met; kept while it stays met, cleared if it no longer is.

    Grandfathered members have no requirement, so there is nothing to meet (and nothing to lock).
    """
    if grandfathered or not progress.met:
        return None
    return previous or today


def totals_of(activities: list[tuple[ActivityClaim, Decimal]]) -> CycleTotals:
    """Totals of a cycle folded from its activities (recorded points, eligible points)."""
    totals = CycleTotals()
    for claim, eligible in activities:
        totals = totals.plus(claim.category, claim.points, eligible)
    return totals
