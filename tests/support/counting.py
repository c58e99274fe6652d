"""Count AWS requests with botocore's event hooks (not by guessing)."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Any, Iterator


@contextmanager
def counted_requests(client: Any) -> Iterator[Counter]:
    """Counts the operations `client` sends while the block runs, by operation name."""
    counts: Counter = Counter()

    def count(model: Any, **kwargs: Any) -> None:
        counts[model.name] += 1

    client.meta.events.register("before-call.*.*", count)
    try:
        yield counts
    finally:
        client.meta.events.unregister("before-call.*.*", count)
