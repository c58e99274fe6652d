"""Powertools Idempotency with its records in the program's one table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from ccp.data import keys
from ccp.data.dynamo import low_level_client
from ccp.errors import Conflict, RuleViolation
from ccp.settings import table_settings

# Records expire after a day (the table's TTL attribute is `expiration`, Powertools' default).
_CONFIG = IdempotencyConfig(
    event_key_jmespath="key",
    payload_validation_jmespath="body",
    expires_after_seconds=24 * 3600,
)


def run_once(
    *, scope: str, key: str, body: dict[str, Any], create: Callable[[], dict[str, Any]], lambda_context: Any
) -> dict[str, Any]:
    # One partition per scope (e.g. a member), so idempotency records do not pile into one hot key.
    persistence = DynamoDBPersistenceLayer(
        table_name=table_settings().table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=keys.idempotency_pk(scope),
        boto3_client=low_level_client(),
    )

    @idempotent_function(  # type: ignore[untyped-decorator]  # Powertools' decorator is untyped
        data_keyword_argument="request", persistence_store=persistence, config=_CONFIG
    )
    def _create(request: dict[str, Any]) -> dict[str, Any]:
        return create()

    if lambda_context is not None:
        _CONFIG.register_lambda_context(lambda_context)
    try:
        created: dict[str, Any] = _create(request={"key": key, "body": body})
        return created
    except IdempotencyValidationError as error:
        raise RuleViolation(
            "This Idempotency-Key was used with a different body.", code="IDEMPOTENCY_KEY_REUSED"
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict("A request with this Idempotency-Key is in progress.", code="REQUEST_IN_PROGRESS") from error
