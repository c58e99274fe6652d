"""What every API function shares at its boundary: error mapping, access control, request time,
JSON points, idempotency. Handlers stay thin: parse, one service call, map."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, Callable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import PlainSerializer

from ccp.access import Caller, authorize
from ccp.errors import BadRequest, CcpError, NotFound, RuleViolation, UnsupportedMediaType
from ccp.rules.dates import business_date

JSON = "application/json"


def points_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# Points leave the API as JSON numbers (at most two decimals), never as strings.
Points = Annotated[Decimal, PlainSerializer(points_json, return_type=int | float, when_used="json")]


def error_response(error: CcpError) -> Response:
    return Response(status_code=error.http_status, content_type=JSON, body=json.dumps(error.to_body()))


def _validation_error(error: RequestValidationError) -> CcpError:
    problems = error.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return BadRequest("The request body is not valid JSON.", code="MALFORMED_JSON")
    details = [
        {
            "field": ".".join(str(part) for part in p.get("loc", ()) if part != "body"),
            "type": p.get("type"),
            "message": p.get("msg"),
        }
        for p in problems
    ]
    if any(p.get("type") == "extra_forbidden" for p in problems):
        return RuleViolation("The request has fields this endpoint does not accept.", code="UNKNOWN_FIELD", details=details)
    return RuleViolation("The request does not match the schema.", code="VALIDATION_ERROR", details=details)


def resolve(app: APIGatewayRestResolver, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Access control first (deny by default), then Powertools routing and validation.

    It runs before `app.resolve` because Powertools validates the request before any middleware:
    a caller who may not touch a record must hear 403, not a schema complaint about their body.
    """
    request_context = event.get("requestContext") or {}
    try:
        caller = authorize(
            (request_context.get("authorizer") or {}).get("claims"),
            event.get("resource") or "",
            event.get("pathParameters"),
        )
        _require_json_body(event.get("headers"), event.get("body"))
    except CcpError as error:
        return {
            "statusCode": error.http_status,
            "multiValueHeaders": {"Content-Type": [JSON]},
            "body": json.dumps(error.to_body()),
            "isBase64Encoded": False,
        }
    app.append_context(caller=caller)
    return app.resolve(event, context)


def install_boundary(app: APIGatewayRestResolver, logger: Logger) -> None:
    """Error mapping by type for one API function (access control is in `resolve`)."""

    @app.exception_handler(CcpError)
    def _ccp_error(error: CcpError) -> Response:
        if error.http_status >= 500:
            logger.warning("request failed", extra={"code": error.code})
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response:
        return error_response(_validation_error(error))

    @app.not_found
    def _no_route(error: NotFoundError) -> Response:
        return error_response(NotFound("No such route.", code="ROUTE_NOT_FOUND"))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unexpected error")
        return error_response(CcpError("Something went wrong on our side."))



def _require_json_body(headers: dict[str, str] | None, body: str | None) -> None:
    """Bodies are JSON; anything else (a form post, say) is refused rather than misread."""
    if not body:
        return
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and media_type != JSON and not media_type.endswith("+json"):
        raise UnsupportedMediaType(f"Send the body as {JSON}, not {media_type}.")


def current_caller(app: APIGatewayRestResolver) -> Caller:
    return app.context["caller"]


def request_moment(app: APIGatewayRestResolver) -> datetime:
    """The request's own time, as API Gateway recorded it (replayable; never the clock)."""
    epoch_ms = app.current_event.request_context.request_time_epoch
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)


def request_today(app: APIGatewayRestResolver):
    return business_date(request_moment(app))


def idempotency_key(app: APIGatewayRestResolver) -> str | None:
    headers = {k.lower(): v for k, v in (app.current_event.headers or {}).items()}
    key = headers.get("idempotency-key")
    if key is not None and not (1 <= len(key) <= 128):
        raise RuleViolation("Idempotency-Key must be 1 to 128 characters.", code="INVALID_IDEMPOTENCY_KEY")
    return key


def once_per_key(
    app: APIGatewayRestResolver,
    scope: str,
    body: dict[str, Any],
    create: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """Run `create` once per (scope, Idempotency-Key); the same key and body return the first result.

    Without the header the call simply runs. The record lives in the one table (Powertools
    Idempotency), in a partition of its own per scope.
    """
    key = idempotency_key(app)
    if key is None:
        return create()
    from ccp.data.idempotency import run_once  # only callers that send the header pay for the import

    return run_once(scope=scope, key=key, body=body, create=create, lambda_context=app.lambda_context)
