"""DynamoDB access: clients, error translation, the one transaction helper. Only the data layer
(`ccp.data`) imports boto3; services and rules reach AWS through its repositories."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ccp import dependency, freeze_imported
from ccp.errors import Retryable
from ccp.settings import table_settings

freeze_imported()  # boto3's objects too (see ccp.freeze_imported)

# Bounded retries and timeouts: an API caller hears about a throttle within seconds,
# never after the SDK's long default back-off.
API_BOTO_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=3,
)

# Scheduled jobs and queue workers have no person waiting: they ride out a throttle longer.
# Legacy mode because it has no retry quota: standard mode stops retrying altogether once a
# sustained throttle has drained its quota (measured: at 30% throttled, within a few hundred
# calls), and a job would then fail on the first throttle. Under a 30% throttle 0.3 ** 8: one
# call in 15,000 still fails; the run fails, Lambda runs it again, and the ledger keeps it once.
JOB_BOTO_CONFIG = Config(
    retries={"mode": "legacy", "total_max_attempts": 8},
    connect_timeout=3,
    read_timeout=10,
)

THROTTLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


def table(table_name: str | None = None, *, for_jobs: bool = False) -> Any:
    """The program's one table, created on first use (never at import time). Named or not, the same
    table is the same object in a thread (what request counts and retries see). One a thread: a boto3
    resource is not thread-safe (its condition builder numbers placeholders as it goes); a Lambda
    container runs one request at a time, and tests that run sixteen at once run them as containers."""
    return _table(table_name or table_settings().table_name, for_jobs, threading.get_ident())


@dependency
def _table(name: str, for_jobs: bool, thread: int) -> Any:
    return boto3.resource("dynamodb", config=JOB_BOTO_CONFIG if for_jobs else API_BOTO_CONFIG).Table(name)


@dependency
def low_level_client() -> Any:
    """A plain DynamoDB client (wire-format items), for libraries such as Powertools Idempotency."""
    return boto3.client("dynamodb", config=API_BOTO_CONFIG)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def translated_errors() -> Iterator[None]:
    """Throttles and outages become `Retryable`; other client errors stay for the caller to map."""
    try:
        yield
    except ClientError as error:
        if error_code(error) in THROTTLE_CODES:
            raise Retryable("The data store is busy; try again shortly.") from error
        raise
    except BotoCoreError as error:
        raise Retryable("The data store could not be reached; try again shortly.") from error


def conditionally(write: Callable[..., Any], **request: Any) -> bool:
    """One conditional write (`put_item`, `update_item`, ...): True when it was applied, False when
    its condition did not hold. Throttles become `Retryable`; other errors pass through."""
    try:
        with translated_errors():
            write(**request)
        return True
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise


def transact(client: Any, items: list[dict[str, Any]], roles: list[str]) -> set[str]:
    """One transaction (TransactWriteItems), the only helper that runs them. `roles` names each item's
    part ("credential", "invoice", ...): the answer is the set of roles whose condition failed, empty
    when the transaction went through (a cancellation for another reason, a conflict with a concurrent
    transaction, answers {"conflict"}). Throttles become `Retryable`; other errors pass through."""
    try:
        with translated_errors():
            client.transact_write_items(TransactItems=items)
        return set()
    except ClientError as error:
        if error_code(error) != "TransactionCanceledException":
            raise
        reasons = error.response.get("CancellationReasons", [])
        failed = {
            role for role, reason in zip(roles, reasons, strict=False) if reason.get("Code") == "ConditionalCheckFailed"
        }
        return failed or {"conflict"}


def query_all(table_resource: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """All pages of a query."""
    items: list[dict[str, Any]] = []
    while True:
        with translated_errors():
            page = table_resource.query(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
