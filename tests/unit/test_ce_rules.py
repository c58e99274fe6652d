from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccp.domain.values import ActivityClaim, Category, CycleTotals
from ccp.errors import RuleViolation
from ccp.rules.ce import check_claim, duplicate_key, eligible_points, is_grandfathered, next_met_on, progress_of
from ccp.rules.dates import cycle_starting
from ccp.rules.versions import default_rule_book

RULES = default_rule_book().in_force_on(date(2026, 1, 1))
CYCLE = cycle_starting(date(2018, 6, 1))  # 2018-06-01 .. 2021-05-31
TODAY = date(2026, 6, 15)


def claim(
    category=Category.PROFESSIONAL_EDUCATION,
    points="5",
    start=date(2019, 1, 1),
    end=date(2019, 1, 2),
    title="Course",
    provider=None,
):
    return ActivityClaim(
        category=category, title=title, provider=provider, points=Decimal(points), start_date=start, end_date=end
    )


def rule_code(fn, *args, **kwargs):
    with pytest.raises(RuleViolation) as refused:
        fn(*args, **kwargs)
    return refused.value.code


def test_an_unattested_entry_is_refused():
    assert rule_code(check_claim, claim(), attested=False, today=TODAY, rules=RULES) == "NOT_ATTESTED"


@pytest.mark.parametrize("points", ["0", "-1", "100.01", "1.234"])
def test_points_outside_0_to_100_or_with_three_decimals_are_refused(points):
    assert (
        rule_code(check_claim, claim(points=points), attested=True, today=TODAY, rules=RULES) == "POINTS_OUT_OF_RANGE"
    )


def test_an_activity_may_not_end_after_today():
    future = claim(start=TODAY, end=date(2026, 6, 16))
    assert rule_code(check_claim, future, attested=True, today=TODAY, rules=RULES) == "FUTURE_DATE"


def test_an_activity_may_not_end_before_it_starts():
    backwards = claim(start=date(2019, 2, 1), end=date(2019, 1, 1))
    assert rule_code(check_claim, backwards, attested=True, today=TODAY, rules=RULES) == "INVALID_DATE_RANGE"


def test_an_activity_completed_before_the_cycle_does_not_count():
    early = claim(start=date(2018, 5, 1), end=date(2018, 5, 31))
    assert rule_code(eligible_points, early, CYCLE, RULES) == "COMPLETED_BEFORE_CYCLE"


def test_an_activity_started_before_the_cycle_and_completed_inside_it_counts():
    assert eligible_points(claim(start=date(2018, 5, 1), end=date(2018, 6, 1)), CYCLE, RULES) == Decimal("5")


def test_an_activity_completed_after_the_cycle_belongs_to_the_next():
    late = claim(start=date(2021, 6, 1), end=date(2021, 6, 1))
    assert rule_code(eligible_points, late, CYCLE, RULES) == "COMPLETED_AFTER_CYCLE"


def test_employment_wholly_after_the_cutoff_is_refused():
    work = claim(Category.EMPLOYMENT, "4", start=date(2021, 1, 1), end=date(2021, 5, 1))
    assert rule_code(check_claim, work, attested=True, today=TODAY, rules=RULES) == "EMPLOYMENT_AFTER_CUTOFF"


def test_employment_crossing_the_cutoff_counts_only_its_days_up_to_it():
    # 2020-01-01 .. 2021-12-31 is 731 days; 366 of them are in 2020.
    work = claim(Category.EMPLOYMENT, "8", start=date(2020, 1, 1), end=date(2021, 5, 31))
    counted = eligible_points(work, CYCLE, RULES)
    total_days = (date(2021, 5, 31) - date(2020, 1, 1)).days + 1
    assert counted == (Decimal(8) * 366 / total_days).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert counted < Decimal(8)


def test_employment_counts_only_from_the_cycle_start():
    # Worked 2018-01-01 .. 2018-12-31; the cycle starts 2018-06-01: 214 of 365 days count.
    work = claim(Category.EMPLOYMENT, "4", start=date(2018, 1, 1), end=date(2018, 12, 31))
    assert eligible_points(work, CYCLE, RULES) == (Decimal(4) * 214 / 365).quantize(
        Decimal("0.01"), rounding="ROUND_DOWN"
    )


def test_a_cycle_starting_in_2021_has_no_employment_points():
    cycle = cycle_starting(date(2021, 1, 1))
    work = claim(Category.EMPLOYMENT, "4", start=date(2020, 6, 1), end=date(2021, 1, 10))
    assert rule_code(eligible_points, work, cycle, RULES) == "EMPLOYMENT_AFTER_CUTOFF"


def test_points_above_a_category_cap_are_earned_not_counted():
    totals = (
        CycleTotals()
        .plus(Category.AUTHORSHIP, Decimal(20), Decimal(20))
        .plus(Category.PROFESSIONAL_EDUCATION, Decimal(10), Decimal(10))
    )
    progress = progress_of(totals, credential="RMA", grandfathered=False, rules=RULES)
    assert progress.by_category[Category.AUTHORSHIP].cap == Decimal(15)
    assert progress.by_category[Category.AUTHORSHIP].counted == Decimal(15)
    assert progress.recorded_points == Decimal(30)
    assert progress.counted_points == Decimal(25)
    assert progress.remaining_points == Decimal(5)
    assert not progress.met


def test_organizational_participation_is_capped_at_a_third_of_the_requirement():
    totals = CycleTotals().plus(Category.ORGANIZATIONAL_PARTICIPATION, Decimal(40), Decimal(40))
    assert progress_of(totals, credential="MLS", grandfathered=False, rules=RULES).counted_points == Decimal("14.85")


def test_requirements_follow_the_credential():
    empty = CycleTotals()
    required = {
        code: progress_of(empty, credential=code, grandfathered=False, rules=RULES).required_points
        for code in ("RMA", "RPT", "MLS", "MDT", "MT")
    }
    assert required == {"RMA": 30, "RPT": 24, "MLS": 45, "MDT": 36, "MT": 45}


def test_grandfathered_members_need_no_points():
    assert is_grandfathered(date(2005, 12, 31), RULES)
    assert not is_grandfathered(date(2006, 1, 1), RULES)
    progress = progress_of(CycleTotals(), credential="RMA", grandfathered=True, rules=RULES)
    assert progress.required_points == 0 and progress.met


def test_the_requirement_is_met_on_the_day_the_last_points_are_recorded_and_kept():
    met = progress_of(
        CycleTotals().plus(Category.FORMAL_EDUCATION, Decimal(30), Decimal(30)),
        credential="RMA",
        grandfathered=False,
        rules=RULES,
    )
    assert next_met_on(None, met, grandfathered=False, today=date(2026, 3, 1)) == date(2026, 3, 1)
    assert next_met_on(date(2026, 2, 1), met, grandfathered=False, today=date(2026, 3, 1)) == date(2026, 2, 1)
    unmet = progress_of(CycleTotals(), credential="RMA", grandfathered=False, rules=RULES)
    assert next_met_on(date(2026, 2, 1), unmet, grandfathered=False, today=date(2026, 3, 1)) is None


def test_duplicate_key_ignores_case_and_spacing_but_not_the_end_date():
    a = claim(title="Infection  Control", provider="AMT")
    b = claim(title="infection control", provider=" amt ")
    c = claim(title="infection control", provider="AMT", end=date(2019, 1, 3))
    assert duplicate_key("RMA", a) == duplicate_key("RMA", b)
    assert duplicate_key("RMA", a) != duplicate_key("RMA", c)
    assert duplicate_key("RMA", a) != duplicate_key("RPT", a)


def test_one_course_under_another_category_is_the_same_activity_for_the_duplicate_rule():
    """RULES §3 (2026-12-02): the category left the key, so one course cannot count under two."""
    course = claim(title="Phlebotomy update", category=Category.PROFESSIONAL_EDUCATION)
    again = claim(title="Phlebotomy Update ", category=Category.ORGANIZATIONAL_PARTICIPATION, provider="Other")
    assert duplicate_key("RMA", course) == duplicate_key("RMA", again)


@given(
    points=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2),
    start_offset=st.integers(min_value=-400, max_value=1200),
    length=st.integers(min_value=0, max_value=900),
    category=st.sampled_from(list(Category)),
)
def test_eligible_points_never_exceed_the_points_recorded(points, start_offset, length, category):
    from datetime import timedelta

    start = CYCLE.start + timedelta(days=start_offset)
    end = start + timedelta(days=length)
    try:
        counted = eligible_points(claim(category, str(points), start=start, end=end), CYCLE, RULES)
    except RuleViolation:
        return
    assert Decimal(0) <= counted <= points


@given(
    start=st.dates(min_value=date(2015, 1, 1), max_value=date(2022, 12, 31)),
    days=st.integers(min_value=0, max_value=2500),
    cents=st.integers(min_value=1, max_value=4000),
    cycle_start=st.dates(min_value=date(2016, 1, 1), max_value=date(2021, 12, 31)),
)
def test_the_uncounted_days_of_employment_split_by_reason_add_up_to_what_is_not_eligible(
    start, days, cents, cycle_start
):
    from ccp.rules.ce import AFTER_CUTOFF, BEFORE_CYCLE, eligibility_gap
    from ccp.rules.dates import cycle_starting
    from ccp.rules.versions import default_rule_book

    rules = default_rule_book().versions[0]
    cycle = cycle_starting(cycle_start, rules.cycle_years)
    claim = ActivityClaim(
        category=Category.EMPLOYMENT,
        title="Work",
        points=Decimal(cents) / 100,
        start_date=start,
        end_date=start + timedelta(days=days),
    )
    try:
        eligible = eligible_points(claim, cycle, rules)
    except RuleViolation:
        return  # not in this cycle at all: refused when recorded
    parts = eligibility_gap(claim, eligible, cycle, rules)
    assert sum(parts.values(), Decimal(0)) == claim.points - eligible
    assert all(v > 0 for v in parts.values())
    assert (BEFORE_CYCLE in parts) <= (claim.start_date < cycle.start)
    assert (AFTER_CUTOFF in parts) <= (claim.end_date > rules.employment_cutoff)
