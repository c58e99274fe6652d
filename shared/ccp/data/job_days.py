"""The scheduled jobs' own ledger: the last day each finished, so that a run catches up every day
a failed or missing run left (ccp.jobs.catch_up), and staff see how far behind each is."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from ccp.data import keys
from ccp.data.dynamo import conditionally, query_all, translated_errors
from ccp.data.writes import Update, before, missing
from ccp.domain.records import JobState


class JobDays:
    def __init__(self, table: Any):
        self._table = table

    def state(self, job: str) -> JobState | None:
        with translated_errors():
            item = self._table.get_item(Key=keys.job_key(job), ConsistentRead=True).get("Item")
        return JobState.model_validate(item) if item else None

    def states(self) -> list[JobState]:
        """Every job that ever ran: one query."""
        items = query_all(self._table, KeyConditionExpression=Key("pk").eq(keys.JOBS_PK), ConsistentRead=True)
        return [JobState.model_validate(item) for item in items]

    def finished(self, job: str, day: date, at: datetime) -> None:
        """`day` is done. The last day done only moves forward: a replay of an earlier day leaves it."""
        forward = Update().set(job=job, last_day_done=day.isoformat(), last_run_at=at.isoformat())
        moved = conditionally(
            self._table.update_item,
            Key=keys.job_key(job),
            **forward.request(missing("last_day_done") | before("last_day_done", day.isoformat())),
        )
        if not moved:
            with translated_errors():
                self._table.update_item(
                    Key=keys.job_key(job), **Update().set(job=job, last_run_at=at.isoformat()).request()
                )

    def failed(self, job: str, at: datetime, error: str) -> None:
        when = at.isoformat()
        failure = Update().set(job=job, last_run_at=when, last_error=error[:200], last_error_at=when)
        with translated_errors():
            self._table.update_item(Key=keys.job_key(job), **failure.request())
