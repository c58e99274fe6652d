"""How often confirmation codes may be sent: to one address and for one member, at most
`per_day` a day and never again within `gap` of the last (docs/api.md, TOO_MANY_CODES).

One conditional update per subject and day: concurrent sends cannot both slip under the limit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ccp.data import keys
from ccp.data.dynamo import conditionally, translated_errors
from ccp.errors import TooManyRequests

KEPT_FOR = timedelta(days=2)


class CodeSendLimiter:
    def __init__(self, table: Any, *, per_day: int = 5, gap: timedelta = timedelta(minutes=10)):
        self._table = table
        self._per_day = per_day
        self._gap = gap

    def take(self, subjects: list[str], *, day: date, now: datetime, next_day_at: datetime) -> None:
        """Count one send for each subject, or TooManyRequests (with the seconds until a send is
        allowed again) and count none after the first refused. `next_day_at` is when `day` ends."""
        for subject in subjects:
            key = keys.code_sends_key(subject, day)
            taken = conditionally(
                self._table.update_item,
                Key=key,
                UpdateExpression="ADD sends :one SET last_sent_at = :now, expiration = :expires",
                ConditionExpression="(attribute_not_exists(sends) OR sends < :most)"
                " AND (attribute_not_exists(last_sent_at) OR last_sent_at <= :gap_ago)",
                ExpressionAttributeValues={
                    ":one": 1,
                    ":most": self._per_day,
                    ":now": now.isoformat(),
                    ":gap_ago": (now - self._gap).isoformat(),
                    ":expires": int((now + KEPT_FOR).timestamp()),
                },
            )
            if not taken:
                raise TooManyRequests(
                    "Too many confirmation codes asked for. Use the last code we sent, or try again later.",
                    code="TOO_MANY_CODES",
                    retry_after=self._wait(key, now, next_day_at),
                )

    def _wait(self, key: dict[str, str], now: datetime, next_day_at: datetime) -> int:
        with translated_errors():
            item = self._table.get_item(Key=key, ConsistentRead=True).get("Item") or {}
        if int(item.get("sends", 0)) >= self._per_day:
            return max(1, int((next_day_at - now).total_seconds()))
        last = datetime.fromisoformat(str(item.get("last_sent_at") or now.isoformat()))
        return max(1, int((last + self._gap - now).total_seconds()))
