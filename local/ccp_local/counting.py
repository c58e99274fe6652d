"""Count AWS requests (and DynamoDB items read) with botocore's event hooks, not by guessing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3


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


@contextmanager
def counting() -> Iterator[Counter]:
    """Counts requests per service.operation, and DynamoDB items read, of every client created
    while the block runs (they are created from the default session's event system)."""
    counts: Counter = Counter()

    def before(model: Any, **kwargs: Any) -> None:
        counts[f"{model.service_model.service_name}.{model.name}"] += 1

    def after(http_response: Any, parsed: dict, model: Any, **kwargs: Any) -> None:
        if model.service_model.service_name != "dynamodb":
            return
        if "Count" in parsed:  # Query, Scan
            counts["dynamodb.items_read"] += parsed["Count"]
        elif "Item" in parsed:  # GetItem
            counts["dynamodb.items_read"] += 1
        elif "Responses" in parsed:  # BatchGetItem, TransactGetItems
            counts["dynamodb.items_read"] += (
                sum(len(v) for v in parsed["Responses"].values())
                if isinstance(parsed["Responses"], dict)
                else len(parsed["Responses"])
            )

    events = boto3.DEFAULT_SESSION._session.get_component("event_emitter") if boto3.DEFAULT_SESSION else None
    if events is None:
        boto3.setup_default_session()
        events = boto3.DEFAULT_SESSION._session.get_component("event_emitter")
    events.register("before-call.*.*", before)
    events.register("after-call.*.*", after)
    try:
        yield counts
    finally:
        events.unregister("before-call.*.*", before)
        events.unregister("after-call.*.*", after)
