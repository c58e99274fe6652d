"""A bounded DynamoDB stream history in embedded AWS.

moto keeps every stream record (with the old and new item) for the life of the process, so a
local stack's memory grew with every write it ever took. DynamoDB keeps 24 hours of a stream; the
local stack keeps the last `STREAM_RECORDS` records of each shard (nothing local reads further
back). Sequence numbers stay monotonic. Pinned with the other moto patches
(ccp_local.moto_transactions.MOTO_SERIES).
"""

from __future__ import annotations

import functools
from typing import Any

STREAM_RECORDS = 1_000


def bounded_stream_history(limit: int = STREAM_RECORDS) -> None:
    from moto.dynamodb.models.table import StreamShard

    if getattr(StreamShard.add, "_ccp_bounded", False):
        return
    original = StreamShard.add

    @functools.wraps(original)
    def add(self: Any, old: Any, new: Any) -> None:
        original(self, old, new)
        extra = len(self.items) - limit
        if extra > 0:
            del self.items[:extra]
            self.starting_sequence_number += extra  # the next record's number (start + length) stays the same

    add._ccp_bounded = True  # type: ignore[attr-defined]
    StreamShard.add = add
