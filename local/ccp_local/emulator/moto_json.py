"""A fast answer for embedded DynamoDB's item operations.

moto 5.2 serialises every answer by walking botocore's shape model value by value; for DynamoDB's
item operations that walk was about half of each request (≈ 8 ms a call, profiled). Their answers
are already in DynamoDB's wire format (`{"S": "..."}`, `{"N": "..."}`), so plain JSON says the same
thing: the fast path writes it directly, dropping absent members as the serialiser does.
`tests/unit/test_moto_internals.py` holds the two to the same parsed answers. Pinned with the other
moto patches (ccp_local.emulator.moto_transactions.MOTO_SERIES).
"""

from __future__ import annotations

import base64
import functools
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

# The operations the program calls on a hot path; table administration keeps moto's serialiser.
FAST_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "TransactWriteItems",
        "BatchWriteItem",
        "BatchGetItem",
    }
)
CONTENT_TYPE = "application/x-amz-json-1.0"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()  # blobs travel as base64 in DynamoDB's JSON
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def fast_dynamodb_answers(enabled: bool = True) -> None:
    from moto.dynamodb.responses import DynamoResult

    original = getattr(DynamoResult.execute_result, "_ccp_original", DynamoResult.execute_result)
    if not enabled:
        DynamoResult.execute_result = original
        return

    @functools.wraps(original)
    def execute_result(self: Any, context: Any) -> Any:
        if context.operation_model.name not in FAST_OPERATIONS:
            return original(self, context)
        return 200, {"Content-Type": CONTENT_TYPE}, json.dumps(_plain(self.result), separators=(",", ":"))

    execute_result._ccp_original = original  # type: ignore[attr-defined]
    DynamoResult.execute_result = execute_result
