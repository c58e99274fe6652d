"""Give embedded DynamoDB the atomicity real DynamoDB has.

moto checks a write's condition and then applies it with no lock, so two threads can both pass
`attribute_not_exists`. DynamoDB guarantees a conditional write (and a transaction) is atomic;
the ledger and the optimistic locks rely on that. One lock around moto's writing operations
restores the guarantee, so concurrency tests test our code rather than moto's race.
"""

from __future__ import annotations

import functools
import threading

WRITE_LOCK = threading.RLock()  # also guards ccp_local.emulator.moto_gsi's partition map
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")


def make_dynamodb_writes_atomic() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES:
        original = getattr(DynamoDBBackend, name, None)
        if original is None or getattr(original, "_ccp_atomic", False):
            continue

        @functools.wraps(original)
        def atomic(self, *args, __original=original, **kwargs):
            with WRITE_LOCK:
                return __original(self, *args, **kwargs)

        atomic._ccp_atomic = True
        setattr(DynamoDBBackend, name, atomic)
