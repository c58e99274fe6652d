"""Embedded DynamoDB that gives its memory back.

Two things in moto 5.2 kept every item the local stack ever touched:
- every instance of a moto model is appended to its class's `instances_tracked` list (for moto's
  dashboard), and DynamoDB creates item objects for every answer (a query deep-copies the items
  it returns): a member's transcript of 150 activities kept ~0.4 MB each time it was asked for;
- every stream record (with the old and new item) is kept for the life of the process. DynamoDB
  keeps 24 hours of a stream; the local stack keeps the last `STREAM_RECORDS` records of each shard
  (nothing local reads further back), with monotonic sequence numbers, and only the changes its
  stream mappings' filters pass on (`record_only_stream_keys`).
Pinned with the other moto patches (ccp_local.emulator.moto_transactions.MOTO_SERIES).
"""

from __future__ import annotations

import functools
from typing import Any

STREAM_RECORDS = 5_000
# The sort-key prefixes the local stream mappings' filters accept (set by the local stack); empty: all.
STREAM_KEYS: list[str] = []


def record_only_stream_keys(prefixes: tuple[str, ...]) -> None:
    """Keep in the stream only the changes a local mapping's filter would pass on (Lambda drops the
    rest before the function; locally they are not even kept, which spares every write the copy)."""
    STREAM_KEYS[:] = prefixes


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


def bounded_dynamodb_memory(limit: int = STREAM_RECORDS) -> None:
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamRecord, StreamShard

    for model in (Item, StreamRecord):  # created per answer and per write: not for the dashboard
        model.__new__ = staticmethod(_untracked_new)  # type: ignore[method-assign, assignment]
    if getattr(StreamShard.add, "_ccp_bounded", False):
        return
    original = StreamShard.add

    @functools.wraps(original)
    def add(self: Any, old: Any, new: Any) -> None:
        item = new if new is not None else old
        sk = getattr(item.attrs.get("sk"), "value", "") if item is not None else ""
        if STREAM_KEYS and not str(sk).startswith(tuple(STREAM_KEYS)):
            return  # no local consumer would be given it (its mapping's filter): not recorded at all
        original(self, old, new)
        extra = len(self.items) - limit
        if extra > 0:
            del self.items[:extra]
            self.starting_sequence_number += extra  # the next record's number (start + length) stays the same

    add._ccp_bounded = True  # type: ignore[attr-defined]
    StreamShard.add = add
