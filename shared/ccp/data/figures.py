"""The program's counters (one partition of the table) and the guard that applies a stream event once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from ccp.data import keys
from ccp.data.dynamo import query_all
from ccp.data.writes import StaleWrite, UnitOfWork, Update, refusal
from ccp.errors import Retryable

SEEN_FOR = timedelta(days=2)  # longer than a stream keeps a record (24 hours)
# DynamoDB takes 100 items per TransactWriteItems; smaller transactions keep each one short, so the
# counters never hold up the writes that move them (locally they share one lock with the API's).
MAX_TRANSACTION_ITEMS = 25


class _SeenBefore(Exception):
    """The stream event (or one of a chunk's) was applied before."""


def _seen_before() -> Exception:
    return _SeenBefore()


def _not_updated() -> Exception:
    return Retryable("The figures could not be updated; the stream retries.")


class FiguresRepository:
    def __init__(self, table: Any):
        self._table = table

    def apply(self, event_id: str, moves: dict[str, int], now: datetime) -> bool:
        """The counter moves of one stream event, once: False if this event was applied before."""
        try:
            self._moves([event_id], moves, now).commit([refusal("seen", error=_seen_before)], otherwise=_not_updated)
        except _SeenBefore:
            return False
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
        try:
            self._moves([event_id for event_id, _ in chunk], summed, now).commit()
        except StaleWrite:
            # Some event of the chunk was applied before (a retried batch): one by one, each once.
            return sum(self.apply(event_id, moves, now) for event_id, moves in chunk)
        return len(chunk)

    def _moves(self, event_ids: list[str], moves: dict[str, int], now: datetime) -> UnitOfWork:
        """A guard per event (each applied once) and one addition per counter."""
        work = UnitOfWork(self._table)
        expiration = int((now + SEEN_FOR).timestamp())
        for event_id in event_ids:
            work.put_new({**keys.figures_seen_key(event_id), "expiration": expiration}, role="seen")
        for name, by in sorted(moves.items()):
            if by:
                work.update(keys.figure_key(name), Update().add("n", by), role="figure")
        return work

    def counters(self) -> dict[str, int]:
        """Every counter: one query of their partition."""
        items = query_all(self._table, KeyConditionExpression=Key("pk").eq(keys.FIGURES_PK))
        return {item["sk"]: int(item.get("n", 0)) for item in items}
