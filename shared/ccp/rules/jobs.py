"""Which days a scheduled job does on a run (docs/rules.md §8, "nothing is lost to a missed day").

Pure: the last day the job finished and the day of its event in, the days to do out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

# At most this many days a run: a job a long way behind catches up a month a run, oldest first (never
# skipping one), and its alarm says it is behind until it is not.
MAX_DAYS_A_RUN = 31


def days_to_do(last_done: date | None, event_day: date, *, most: int = MAX_DAYS_A_RUN) -> list[date]:
    """Every day after `last_done` up to `event_day`, in order, at most `most` of them (the oldest).

    A job that never ran starts at its event's day (a new deployment has no past to catch up); an event
    for a day already done does that day again (a replay: the ledgers keep each notice once).
    """
    if last_done is None or event_day <= last_done:
        return [event_day]
    first = last_done + timedelta(days=1)
    count = min((event_day - first).days + 1, most)
    return [first + timedelta(days=n) for n in range(count)]


def first_day_undone(last_days_done: Iterable[date | None], today: date) -> date:
    """The first day some daily job has still to do: `today` when none is behind (a job that never ran
    has no past to do)."""
    return min([today, *(day + timedelta(days=1) for day in last_days_done if day is not None)])


def days_behind(last_done: date | None, today: date) -> int:
    """Days before `today` the job has not done yet (0: it is up to date; today's run may still be due)."""
    if last_done is None:
        return 0
    return max(0, (today - last_done).days - 1)


# The program's daily jobs, each with the Chicago time of its schedule in infra/template.yaml (a test
# holds the two together): the names their ledger and GET /staff/jobs use.
DAILY_JOBS: dict[str, str] = {
    "invoice_unlock": "00:05",
    "renewal_notices": "06:00",
    "status_sweep": "06:30",
    "audit_expiry": "06:45",
}
