"""The program's counters (one partition of the table) and the guard that applies a stream event once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from ccp.data import keys
from ccp.data.dynamo import query_all, transact

SEEN_FOR = timedelta(days=2)  # longer than a stream keeps a record (24 hours)


class FiguresRepository:
    def __init__(self, table: Any):
        self._table = table
        self._client = table.meta.client
        self._name = table.name

    def apply(self, event_id: str, moves: dict[str, int], now: datetime) -> bool:
        """The counter moves of one stream event, once: False if this event was applied before."""
        seen = {
            "Put": {
                "TableName": self._name,
                "Item": {**keys.figures_seen_key(event_id), "expiration": int((now + SEEN_FOR).timestamp())},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        updates = [
            {
                "Update": {
                    "TableName": self._name,
                    "Key": keys.figure_key(name),
                    "UpdateExpression": "ADD n :by",
                    "ExpressionAttributeValues": {":by": by},
                }
            }
            for name, by in sorted(moves.items())
        ]
        failed = transact(self._client, [seen, *updates], ["seen"] + ["figure"] * len(updates))
        if failed == {"seen"}:
            return False
        if failed:
            from ccp.errors import Retryable

            raise Retryable("The figures could not be updated; the stream retries.")
        return True

    def counters(self) -> dict[str, int]:
        """Every counter: one query of their partition."""
        items = query_all(self._table, KeyConditionExpression=Key("pk").eq(keys.FIGURES_PK))
        return {item["sk"]: int(item.get("n", 0)) for item in items}
