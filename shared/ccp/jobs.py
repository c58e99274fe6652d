"""The boundary of scheduled and queued functions: the moment they run for comes from the event, and
every day a missed run left is done by the next one (`catch_up`)."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from pydantic import AwareDatetime, ConfigDict, Field, ValidationError

from ccp.domain.records import JobState
from ccp.errors import InvalidEvent
from ccp.model import LazyModel
from ccp.rules.dates import BUSINESS_TZ, business_date
from ccp.rules.jobs import days_to_do


class EventBridgeEvent(LazyModel):
    """The EventBridge envelope (the fields Powertools' EventBridgeModel requires). Our own because
    importing Powertools' parser models loads every model of every AWS event source: about 110 ms
    of cold start for this one class."""

    model_config = ConfigDict(populate_by_name=True)

    version: str
    id: str
    source: str
    account: str
    time: AwareDatetime
    region: str
    resources: list[str]
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, Any]
    replay_name: str | None = Field(default=None, alias="replay-name")


def scheduled_moment(event: object) -> datetime:
    """The `time` of an EventBridge (Scheduler) event: the job's "now", so any day can be replayed.

    A malformed event is refused (InvalidEvent) before anything changes.
    """
    try:
        return EventBridgeEvent.model_validate(event).time
    except ValidationError as error:
        raise InvalidEvent(f"Not a scheduled event ({error.error_count()} problems).") from error


class JobLedgerPort(Protocol):
    def state(self, job: str) -> JobState | None: ...
    def finished(self, job: str, day: date, at: datetime) -> None: ...
    def failed(self, job: str, at: datetime, error: str) -> None: ...


def catch_up(
    job: str, moment: datetime, run_day: Callable[[datetime], dict[str, Any]], ledger: JobLedgerPort
) -> dict[str, Any]:
    """Run `run_day` for every day the job has not done up to the day of `moment`, in order
    (ccp.rules.jobs.days_to_do), each day at the same hour as the event's, and keep each day done as it
    finishes: a run that fails half way leaves the rest to the next run, which starts at its first
    undone day. The answer adds up the days' summaries, with `days_done` and `days_behind`."""
    event_day = business_date(moment)
    state = ledger.state(job)
    days = days_to_do(state.last_day_done if state else None, event_day)
    summaries = []
    for day in days:
        try:
            summaries.append(run_day(moment if day == event_day else same_hour_on(day, moment)))
        except Exception as error:
            ledger.failed(job, moment, type(error).__name__)
            raise
        ledger.finished(job, day, moment)
    done_through = max(days[-1], state.last_day_done) if state and state.last_day_done else days[-1]
    return {
        **merge_summaries(summaries),
        "date": event_day.isoformat(),
        "days_done": [d.isoformat() for d in days],
        "days_behind": max(0, (event_day - done_through).days),  # a replay of a day done is behind nothing
    }


def same_hour_on(day: date, moment: datetime) -> datetime:
    """The moment's wall-clock time (the program's time zone) on another day: a caught-up day's "now"."""
    local = moment.astimezone(BUSINESS_TZ)
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=BUSINESS_TZ).astimezone(moment.tzinfo)


def merge_summaries(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Add job summaries: numbers add up, nested dicts merge, lists concatenate."""
    merged: dict[str, Any] = {}
    for summary in summaries:
        for key, value in (summary or {}).items():
            if isinstance(value, bool) or key == "date":
                merged.setdefault(key, value)
            elif isinstance(value, (int, float)):
                merged[key] = merged.get(key, 0) + value
            elif isinstance(value, dict):
                merged[key] = merge_summaries([merged.get(key, {}), value])
            elif isinstance(value, list):
                merged[key] = merged.get(key, []) + value
            else:
                merged.setdefault(key, value)
    return merged
