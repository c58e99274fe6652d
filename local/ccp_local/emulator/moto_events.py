"""EventBridge rules with Lambda targets, in embedded AWS.

moto's EventBridge delivers to SQS, logs and other buses, and raises NotImplementedError for a
Lambda target, so `aws events put-events` with a `CourseCompleted` event answered 500 and never
reached the function. The local stack hands matching events for Lambda targets to its own runtime,
asynchronously as EventBridge does, shaped as EventBridge delivers them (`time` as ISO 8601).
Pinned with the other moto patches (ccp_local.emulator.moto_transactions.MOTO_SERIES).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Invoker = Callable[[str, dict[str, Any]], Any]  # (function ARN, event)
_INVOKER: dict[str, Invoker] = {}


def route_lambda_targets(invoke: Invoker) -> None:
    from moto.events.models import Rule
    from moto.utilities.arns import parse_arn

    _INVOKER["invoke"] = invoke
    if getattr(Rule.send_to_targets, "_ccp_lambda", False):
        return
    original = Rule.send_to_targets

    @functools.wraps(original)
    def send_to_targets(self: Any, original_event: dict[str, Any], transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        targets = self.targets
        lambdas = [t for t in targets if parse_arn(t["Arn"]).service == "lambda"]
        if lambdas:
            self.targets = [t for t in targets if t not in lambdas]
        try:
            original(self, original_event, transform_input)
        finally:
            self.targets = targets
        for target in lambdas:
            threading.Thread(target=_deliver, args=(target["Arn"], _as_delivered(original_event)), daemon=True).start()

    send_to_targets._ccp_lambda = True  # type: ignore[attr-defined]
    Rule.send_to_targets = send_to_targets


def _as_delivered(event: dict[str, Any]) -> dict[str, Any]:
    delivered = {k: v for k, v in event.items() if k != "ingestion-time"}
    when = delivered.get("time")
    if isinstance(when, (int, float)):
        delivered["time"] = datetime.fromtimestamp(when, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif isinstance(when, datetime):
        delivered["time"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return delivered


def _deliver(arn: str, event: dict[str, Any]) -> None:
    with contextlib.suppress(Exception):
        _INVOKER["invoke"](arn, event)
