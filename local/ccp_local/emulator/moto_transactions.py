"""Transactions in embedded DynamoDB that cost what they touch, and honour ClientRequestToken.

moto 5.2 deep-copies every table a transaction touches (items, index state and the whole stream
history) before writing, to roll back on failure: each write costs O(table), and the local stack
grew by tens of MB per write. It also ignores `ClientRequestToken`, so botocore's retry after a
client-side timeout re-ran a committed transaction and reported it failed (409/503).

This replacement does what DynamoDB does: every condition is evaluated first, against the state
before any write (all or nothing); only then are the writes applied, keeping copies of just the
touched items to undo a write that fails midway. A token seen within ten minutes with the same
request returns success and changes nothing; with another request it is refused
(`IdempotentParameterMismatchException`), as on AWS.

It replaces moto internals, so it is pinned to the moto series it was written for
(`MOTO_SERIES`); `tests/unit/test_moto_internals.py` fails loudly when moto changes under it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import threading
import time
from typing import Any

from ccp_local.emulator.moto_atomic import WRITE_LOCK

MOTO_SERIES = "5.2."
TOKEN_SECONDS = 600  # DynamoDB keeps a ClientRequestToken for 10 minutes
_TOKENS: dict[str, tuple[str, float]] = {}  # token -> (request digest, when committed)
_REQUEST = threading.local()  # the token of the request being handled, set by the HTTP layer


def moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def item_level_transactions() -> None:
    """Install into moto's DynamoDB backend (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler

    if not moto_version().startswith(MOTO_SERIES):
        raise RuntimeError(
            f"ccp_local.emulator.moto_transactions was written for moto {MOTO_SERIES}x, not {moto_version()}: "
            "check it again"
        )
    if getattr(DynamoDBBackend.transact_write_items, "_ccp_item_level", False):
        return
    handler = DynamoHandler.transact_write_items

    @functools.wraps(handler)
    def with_token(self: Any) -> Any:
        _REQUEST.token = self.body.get("ClientRequestToken")
        try:
            return handler(self)
        finally:
            _REQUEST.token = None

    DynamoHandler.transact_write_items = with_token
    transact_write_items._ccp_item_level = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items


def _digest(transact_items: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(transact_items, sort_keys=True, default=str).encode()).hexdigest()


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        DynamodbException,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )
    from moto.dynamodb.models import get_filter_expression

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    with WRITE_LOCK:
        token = getattr(_REQUEST, "token", None)
        digest = _digest(transact_items)
        now = time.monotonic()
        if token:
            seen = _TOKENS.get(token)
            if seen and now - seen[1] < TOKEN_SECONDS:
                if seen[0] == digest:
                    return  # a retry of a transaction that committed: success, nothing changes
                raise DynamodbException(
                    "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                    "The request uses the same client token as a previous, but non-identical request.",
                )

        # 1. Every condition against the state before any write.
        planned: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        touched: set[tuple[str, str]] = set()
        errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
        for item in transact_items:
            if len(item) > 1:
                raise TransactWriteSingleOpException
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            if op_type == "Put":
                table = self.get_table(table_name)
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            identity = (str(table_name), str(dict(sorted(key.items()))))
            if identity in touched:
                raise MultipleTransactionsException()
            touched.add(identity)
            current = self.get_item(table_name, key)
            condition = op.get("ConditionExpression")
            if condition is not None:
                check = get_filter_expression(
                    condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                )
                if not check.expr(current):
                    old = (
                        current.to_json()["Attributes"]
                        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current
                        else None
                    )
                    errors.append(("ConditionalCheckFailed", ConditionalCheckFailed().message, old))
                    continue
            errors.append((None, None, None))
            planned.append((op_type, op, key))
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)

        # 2. The writes, undoable item by item.
        before = [
            (op["TableName"], key, copy.deepcopy(self.get_item(op["TableName"], key)))
            for op_type, op, key in planned
            if op_type != "ConditionCheck"
        ]
        try:
            for op_type, op, key in planned:
                names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                if op_type == "Put":
                    self.put_item(
                        op["TableName"],
                        op["Item"],
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
                elif op_type == "Delete":
                    self.delete_item(op["TableName"], key)
                elif op_type == "Update":
                    self.update_item(
                        op["TableName"],
                        key,
                        update_expression=op["UpdateExpression"],
                        condition_expression=None,
                        expression_attribute_names=names,
                        expression_attribute_values=values,
                    )
        except Exception as error:
            for table_name, key, old in before:
                if old is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, old.to_json()["Attributes"])
            if isinstance(error, (MultipleTransactionsException, MockValidationException)):
                raise
            raise TransactionCanceledException([(type(error).__name__, str(error), None)]) from error
        if token:
            _TOKENS[token] = (digest, now)
            for stale in [t for t, (_, at) in _TOKENS.items() if now - at >= TOKEN_SECONDS]:
                del _TOKENS[stale]
