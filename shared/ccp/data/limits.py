"""The counts behind the confirmation-code limits (ccp.rules.limits): one item per address or member
and day, taken with one conditional update, so concurrent sends cannot both slip under the limit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from ccp.data import keys
from ccp.data.dynamo import translated_errors
from ccp.data.writes import StaleWrite, UnitOfWork, Update, at_most, before, missing
from ccp.errors import TooManyRequests
from ccp.rules.limits import CONFIRMATION_CODES, SendLimit, seconds_to_wait

KEPT_FOR = timedelta(days=2)
TOO_MANY_CODES = "Too many confirmation codes asked for. Use the last code we sent, or try again later."


class CodeSendLimiter:
    def __init__(self, table: Any, limit: SendLimit = CONFIRMATION_CODES):
        self._table = table
        self._limit = limit

    def take(self, subjects: list[str], *, day: date, now: datetime, next_day_at: datetime) -> None:
        """Count one send for every subject together (one transaction: all or none), or TooManyRequests
        with the seconds until a send is allowed again. `next_day_at` is when `day` ends."""
        work = UnitOfWork(self._table)
        # The rule's two limits as a condition (ccp.rules.limits.seconds_to_wait says the same).
        within_limits = (missing("sends") | before("sends", self._limit.per_day)) & (
            missing("last_sent_at") | at_most("last_sent_at", (now - self._limit.gap).isoformat())
        )
        count = Update().add("sends", 1).set(last_sent_at=now.isoformat(), expiration=int((now + KEPT_FOR).timestamp()))
        for subject in subjects:
            work.update(keys.code_sends_key(subject, day), count, role=subject, condition=within_limits)
        try:
            work.commit()
            return
        except StaleWrite:
            pass  # over a limit (or racing another send): say how long to wait
        waits = [self._wait(subject, day, now, next_day_at) for subject in subjects]
        raise TooManyRequests(TOO_MANY_CODES, code="TOO_MANY_CODES", retry_after=max(1, *waits))

    def _wait(self, subject: str, day: date, now: datetime, next_day_at: datetime) -> int:
        with translated_errors():
            item = self._table.get_item(Key=keys.code_sends_key(subject, day), ConsistentRead=True).get("Item") or {}
        last = item.get("last_sent_at")
        return seconds_to_wait(
            self._limit,
            sent_today=int(item.get("sends", 0)),
            last_sent_at=datetime.fromisoformat(str(last)) if last else None,
            now=now,
            day_ends_at=next_day_at,
        )
