"""Nothing is lost to a missed day (docs/rules.md §8): each daily job does every day it has not done,
in order, up to its event's day; a run that dies half way leaves the rest to the next; each notice
still goes once."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccp.rules.jobs import MAX_DAYS_A_RUN, days_behind, days_to_do
from tests.unit.program import Program

START = date(2025, 6, 1)


@given(st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=40))
def test_every_day_from_the_first_run_on_is_done_in_order_and_none_is_skipped(offsets):
    """Runs on any days (late, early, repeated, skipped): the days done, in the order done, never skip
    one past the last done, and at most a month a run."""
    last = None
    done: list[date] = []
    first = START + timedelta(days=offsets[0])
    for offset in offsets:
        event_day = START + timedelta(days=offset)
        days = days_to_do(last, event_day)
        assert 1 <= len(days) <= MAX_DAYS_A_RUN
        assert days == [days[0] + timedelta(days=n) for n in range(len(days))]  # consecutive, ascending
        if last is not None and event_day > last:
            assert days[0] == last + timedelta(days=1)  # from the first day not done
        elif last is not None:
            assert days == [event_day]  # a replay of a day done: that day again
        done += days
        last = max(last, days[-1]) if last else days[-1]
    new_days = sorted({d for d in done if d >= first})
    assert new_days == [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_a_job_that_never_ran_starts_at_its_first_run_and_behind_counts_the_days_before_today():
    assert days_to_do(None, date(2026, 3, 5)) == [date(2026, 3, 5)]
    assert days_behind(date(2026, 3, 4), date(2026, 3, 5)) == 0  # today's run may still be due
    assert days_behind(date(2026, 3, 1), date(2026, 3, 5)) == 3
    assert days_to_do(date(2026, 1, 1), date(2026, 6, 1))[-1] == date(2026, 1, 1) + timedelta(days=MAX_DAYS_A_RUN)


@pytest.fixture
def program():
    program = Program()
    program.member = program.enrol(date(2024, 7, 20), today=date(2024, 7, 20))
    return program


def test_a_skipped_week_is_caught_up_by_the_next_run_and_each_notice_goes_once(program):
    program.scheduled("renewal_notices", date(2025, 6, 28))
    summary = program.scheduled("renewal_notices", date(2025, 7, 4))  # the runs of Jun 29 .. Jul 3 never fired
    assert summary["days_done"] == [f"2025-0{d}" for d in ("6-29", "6-30", "7-01", "7-02", "7-03", "7-04")]
    assert summary["days_behind"] == 0 and summary["invoices_issued"] == 1
    program.scheduled("renewal_notices", date(2025, 7, 4))  # and again the same day
    assert [i.invoice_id for i in program.store.member_state(program.member).invoices] == ["RMA-20250720"]
    assert len(program.outbox.to("ann@example.org", "renewal_due")) == 1
    assert program.store.state("renewal_notices").last_day_done == date(2025, 7, 4)


def test_a_run_that_dies_half_way_leaves_its_undone_days_to_the_next(program, monkeypatch):
    program.scheduled("renewal_notices", date(2025, 6, 28))
    real_run_day = program.renewal_run.run_day

    def dies_on_the_first(moment, **kwargs):
        if moment.date() >= date(2025, 7, 1):
            raise TimeoutError("the function timed out")
        return real_run_day(moment, **kwargs)

    monkeypatch.setattr(program.renewal_run, "run_day", dies_on_the_first)
    with pytest.raises(TimeoutError):
        program.scheduled("renewal_notices", date(2025, 7, 3))
    state = program.store.state("renewal_notices")
    assert (state.last_day_done, state.last_error) == (date(2025, 6, 30), "TimeoutError")
    assert program.outbox.to("ann@example.org", "renewal_due") == []
    monkeypatch.undo()
    summary = program.scheduled("renewal_notices", date(2025, 7, 3))
    assert summary["days_done"] == ["2025-07-01", "2025-07-02", "2025-07-03"]
    assert len(program.outbox.to("ann@example.org", "renewal_due")) == 1


def test_a_sweep_that_missed_the_day_after_the_due_date_still_makes_the_member_inactive_once(program):
    program.scheduled("renewal_notices", date(2025, 7, 1))
    program.scheduled("status_sweep", date(2025, 7, 30))
    summary = program.scheduled("status_sweep", date(2025, 8, 6))  # Jul 31 .. Aug 5 never ran
    assert summary["status_changes"] == {"inactive": 1}
    assert program.store.credentials(program.member)[0].status == "inactive"
    assert len(program.outbox.to("ann@example.org", "status_changed")) == 1
