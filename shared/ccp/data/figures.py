"""The program's counters (one partition of the table) and the guard that applies a stream event once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from ccp.data import keys
from ccp.data.dynamo import query_all, transact
from ccp.errors import Retryable

SEEN_FOR = timedelta(days=2)  # longer than a stream keeps a record (24 hours)
# DynamoDB takes 100 items per TransactWriteItems; smaller transactions keep each one short, so the
# counters never hold up the writes that move them (locally they share one lock with the API's).
MAX_TRANSACTION_ITEMS = 25


class FiguresRepository:
    def __init__(self, table: Any):
        self._table = table
        self._client = table.meta.client
        self._name = table.name

    def apply(self, event_id: str, moves: dict[str, int], now: datetime) -> bool:
        """The counter moves of one stream event, once: False if this event was applied before."""
        updates = [self._update(name, by) for name, by in sorted(moves.items())]
        failed = transact(self._client, [self._guard(event_id, now), *updates], ["seen"] + ["figure"] * len(updates))
        if failed == {"seen"}:
            return False
        if failed:
            raise Retryable("The figures could not be updated; the stream retries.")
        return True

    def apply_all(self, events: list[tuple[str, dict[str, int]]], now: datetime) -> int:
        """Many stream events' moves, summed per counter, in as few transactions as fit (a guard
        item per event and one update per counter, at most 100 items each). A chunk holding an event
        applied before is applied event by event instead. How many events were applied."""
        applied = 0
        chunk: list[tuple[str, dict[str, int]]] = []
        names: set[str] = set()
        for event_id, moves in events:
            if chunk and len(chunk) + 1 + len(names | moves.keys()) > MAX_TRANSACTION_ITEMS:
                applied += self._apply_chunk(chunk, now)
                chunk, names = [], set()
            chunk.append((event_id, moves))
            names |= moves.keys()
        if chunk:
            applied += self._apply_chunk(chunk, now)
        return applied

    def _apply_chunk(self, chunk: list[tuple[str, dict[str, int]]], now: datetime) -> int:
        summed: dict[str, int] = {}
        for _, moves in chunk:
            for name, by in moves.items():
                summed[name] = summed.get(name, 0) + by
        guards = [self._guard(event_id, now) for event_id, _ in chunk]
        updates = [self._update(name, by) for name, by in sorted(summed.items()) if by]
        failed = transact(self._client, [*guards, *updates], ["seen"] * len(guards) + ["figure"] * len(updates))
        if not failed:
            return len(chunk)
        # Some event of the chunk was applied before (a retried batch): one by one, each once.
        return sum(self.apply(event_id, moves, now) for event_id, moves in chunk)

    def _guard(self, event_id: str, now: datetime) -> dict[str, Any]:
        item = {**keys.figures_seen_key(event_id), "expiration": int((now + SEEN_FOR).timestamp())}
        return {"Put": {"TableName": self._name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}

    def _update(self, name: str, by: int) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._name,
                "Key": keys.figure_key(name),
                "UpdateExpression": "ADD n :by",
                "ExpressionAttributeValues": {":by": by},
            }
        }

    def counters(self) -> dict[str, int]:
        """Every counter: one query of their partition."""
        items = query_all(self._table, KeyConditionExpression=Key("pk").eq(keys.FIGURES_PK))
        return {item["sk"]: int(item.get("n", 0)) for item in items}
