"""How often something may be sent on a member's request (confirmation codes): at most `per_day` a
day and never again within `gap` of the last. Pure: the data layer keeps the counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple


class SendLimit(NamedTuple):
    per_day: int = 5
    gap: timedelta = timedelta(minutes=10)


CONFIRMATION_CODES = SendLimit()  # five a day, ten minutes apart (docs/api.md, TOO_MANY_CODES)


def seconds_to_wait(
    limit: SendLimit, *, sent_today: int, last_sent_at: datetime | None, now: datetime, day_ends_at: datetime
) -> int:
    """0 when one more may be sent now; otherwise the seconds until one may (for Retry-After)."""
    if sent_today >= limit.per_day:
        return max(1, int((day_ends_at - now).total_seconds()))
    if last_sent_at is not None and now - last_sent_at < limit.gap:
        return max(1, int((last_sent_at + limit.gap - now).total_seconds()))
    return 0
