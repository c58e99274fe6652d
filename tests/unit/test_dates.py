from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccp.rules.dates import add_years, business_date, cycle_containing, cycle_starting, years_between

days = st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31))


def test_cycle_of_a_may_2006_certification_is_due_before_may_2009():
    cycle = cycle_starting(date(2006, 5, 1))
    assert cycle.end == date(2009, 4, 30)
    assert cycle.next_start == date(2009, 5, 1)


def test_cycle_starting_on_29_february_ends_on_27_february():
    cycle = cycle_starting(date(2024, 2, 29))
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert cycle.end == date(2027, 2, 27)
    assert cycle.next_start == date(2027, 2, 28)


def test_cycles_of_a_29_february_chain_stay_on_28_february():
    # 2036 is a leap year, yet the chain started 2024-02-29 runs 2027-02-28, 2030-02-28, ... 2036-02-28.
    assert cycle_containing(date(2024, 2, 29), date(2036, 3, 1)).start == date(2036, 2, 28)
    assert cycle_containing(date(2024, 2, 29), date(2036, 2, 27)).start == date(2033, 2, 28)


def test_business_date_is_the_chicago_calendar_day():
    # 03:30 UTC on 16 June is still 15 June in Chicago (CDT, UTC-5).
    assert business_date(datetime(2026, 6, 16, 3, 30, tzinfo=UTC)) == date(2026, 6, 15)
    # 06:30 UTC on 1 January is 00:30 in Chicago (CST, UTC-6).
    assert business_date(datetime(2026, 1, 1, 6, 30, tzinfo=UTC)) == date(2026, 1, 1)
    assert business_date(datetime(2026, 1, 1, 5, 59, tzinfo=UTC)) == date(2025, 12, 31)


def test_cycle_containing_refuses_a_day_before_the_first_cycle():
    with pytest.raises(ValueError):
        cycle_containing(date(2020, 1, 1), date(2019, 12, 31))


@given(start=days)
def test_every_cycle_lasts_three_years_less_a_day(start):
    cycle = cycle_starting(start)
    assert cycle.start == start
    assert add_years(start, 3) - timedelta(days=1) == cycle.end
    assert 1094 <= (cycle.end - cycle.start).days + 1 <= 1097


@given(first=days, offset=st.integers(min_value=0, max_value=40 * 366))
def test_cycle_containing_holds_the_day_and_chains_without_gaps(first, offset):
    day = first + timedelta(days=offset)
    cycle = cycle_containing(first, day)
    assert cycle.contains(day)
    if cycle.start != first:
        previous = cycle_containing(first, cycle.start - timedelta(days=1))
        assert previous.next_start == cycle.start


@given(earlier=days, later=days)
def test_years_between_counts_whole_years_to_the_day(earlier, later):
    years = years_between(earlier, later)
    if later < earlier:
        assert years == 0
    else:
        assert add_years(earlier, years) <= later
        assert add_years(earlier, years + 1) > later
