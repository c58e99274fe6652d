"""What every API function shares at its boundary: error mapping, access control, request time,
JSON points, idempotency. Handlers stay thin: parse, one service call, map."""

import base64
import binascii
import json
import math
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.api_gateway import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestValidationError,
)
from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from ccp.access import Caller, authorize
from ccp.errors import (
    BadRequest,
    CcpError,
    MethodNotAllowed,
    NotFound,
    RuleViolation,
    UnsupportedMediaType,
)
from ccp.model import LazyModel
from ccp.rules.dates import business_date

JSON = "application/json"


def points_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# Points leave the API as JSON numbers (at most two decimals), never as strings.
Points = Annotated[Decimal, PlainSerializer(points_json, return_type=int | float, when_used="json")]


class ErrorDetail(LazyModel):
    code: str
    message: str
    details: list[Any]


class ErrorOut(LazyModel):
    """Every error answer: `{"error": {"code", "message", "details"}}` (docs/api.md conventions)."""

    error: ErrorDetail


ERROR_MEANINGS = {
    400: "The body is not valid JSON (MALFORMED_JSON).",
    401: "No token, or one that is invalid or expired.",
    403: "Someone else's records, or a staff route without the staff group.",
    404: "No such record (the code names what was not found).",
    409: "A duplicate, or the record's state does not allow this (the code names the state).",
    415: "The body is not application/json.",
    422: "Valid JSON that breaks the schema (VALIDATION_ERROR, UNKNOWN_FIELD) or a rule (the code names it).",
    429: "Asked too often (TOO_MANY_CODES); try again after the Retry-After seconds.",
    503: "Throttled by a dependency; retry after the Retry-After seconds.",
}
ALWAYS = (401, 403, 422, 503)
WITH_BODY = (400, 415)


def documented(status: int, description: str, *errors: int, content: dict[str, Any] | None = None) -> dict[int, Any]:
    """The OpenAPI responses of a route: its success (schema from the return type unless `content`
    is given) and every error status it can answer, each with the error envelope."""
    responses: dict[int, Any] = {
        status: {"description": description} | ({} if content is None else {"content": content})
    }
    for code in sorted({*ALWAYS, *errors}):
        responses[code] = {"description": ERROR_MEANINGS[code], "content": {JSON: {"model": ErrorOut}}}
    return responses


_SCHEMA_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}


def _finite_json_number(value: Any) -> Any:
    # json.loads reads NaN and Infinity, and pydantic would read "12" as a decimal: neither is a JSON number.
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or math.isnan(value)
        or value in (float("inf"), float("-inf"))
    ):
        raise ValueError("must be a finite JSON number")
    return value


def json_number(**bounds: float) -> Any:
    """A decimal that arrives as a finite JSON number (never a string), documented as exactly that.
    Rules with their own codes (at most two decimals, a points cap, the invoice amount) stay in the rules."""
    schema = {"type": "number", **{_SCHEMA_BOUNDS[name]: bound for name, bound in bounds.items()}}
    limits = Field(**bounds)  # type: ignore[call-overload]  # the bounds are gt/ge/lt/le, as _SCHEMA_BOUNDS names them
    return Annotated[Decimal, BeforeValidator(_finite_json_number), limits, WithJsonSchema(schema)]


def portal_cors() -> CORSConfig | None:
    """CORS for the portal's origin only (PORTAL_ORIGIN, set by the template), None without one."""
    origin = os.environ.get("PORTAL_ORIGIN")
    if not origin:
        return None
    return CORSConfig(
        allow_origin=origin,
        allow_headers=["Authorization", "Content-Type", "Accept", "Idempotency-Key"],
        max_age=600,
        allow_credentials=False,
    )


def error_response(error: CcpError) -> Response[str]:
    return Response(
        status_code=error.http_status,
        content_type=JSON,
        body=json.dumps(error.to_body()),
        headers=error.headers() or None,
    )


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
        return RuleViolation(
            "The request has fields this endpoint does not accept.", code="UNKNOWN_FIELD", details=details
        )
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
            method=event.get("httpMethod") or "GET",
            staff_issuer=os.environ.get("STAFF_POOL_ISSUER"),
        )
        _require_json_body(event.get("headers"), event.get("body"), bool(event.get("isBase64Encoded")))
    except CcpError as error:
        return {
            "statusCode": error.http_status,
            "multiValueHeaders": {"Content-Type": [JSON]},
            "body": json.dumps(error.to_body()),
            "isBase64Encoded": False,
        }
    app.append_context(caller=caller)  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated
    answer: dict[str, Any] = app.resolve(event, context)
    return answer


def install_boundary(app: APIGatewayRestResolver, logger: Logger) -> None:
    """Error mapping by type for one API function (access control is in `resolve`)."""

    @app.exception_handler(CcpError)
    def _ccp_error(error: CcpError) -> Response[str]:
        if error.http_status >= 500:
            logger.warning("request failed", extra={"code": error.code})
        return error_response(error)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[str]:
        return error_response(_validation_error(error))

    @app.not_found
    def _no_route(error: NotFoundError) -> Response[str]:
        # The template sends every other method on a known path here (ANY), so the path exists.
        allow = _methods_for(app, app.current_event.path)
        if allow:
            return error_response(MethodNotAllowed(f"Use {', '.join(allow)} on this path.", allow=allow))
        return error_response(NotFound("No such route.", code="ROUTE_NOT_FOUND"))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unexpected error")
        return error_response(CcpError("Something went wrong on our side."))


def _methods_for(app: APIGatewayRestResolver, path: str) -> list[str]:
    # Powertools keeps its routes in these two lists (pinned version); each has a compiled `rule`.
    routes = app._static_routes + app._dynamic_routes
    return sorted({route.method for route in routes if route.rule.match(path)})


def _require_json_body(headers: dict[str, str] | None, body: str | None, is_base64: bool) -> None:
    """Bodies are JSON text; anything else (a form post, bytes that are not UTF-8) is refused
    rather than misread."""
    if not body:
        return
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and media_type != JSON and not media_type.endswith("+json"):
        raise UnsupportedMediaType(f"Send the body as {JSON}, not {media_type}.")
    text = body
    if is_base64:
        try:
            text = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadRequest(
                "The request body is not valid JSON (JSON is UTF-8 text).", code="MALFORMED_JSON"
            ) from None
    if media_type == JSON or media_type.endswith("+json") or not media_type:
        _readable_json(text)


def _readable_json(text: str) -> None:
    """JSON that Python cannot read at all (nested thousands deep, a number of thousands of digits)
    is a 400 here, not a crash inside the framework's parser. Bodies are small: reading twice is cheap."""
    try:
        json.loads(text)
    except RecursionError:
        raise BadRequest("The request body is nested too deeply to read.", code="MALFORMED_JSON") from None
    except json.JSONDecodeError:
        pass  # plain invalid JSON: the framework's own parser reports it (400 MALFORMED_JSON)
    except ValueError:  # valid JSON, but an integer beyond Python's 4,300-digit limit
        raise BadRequest("The request body holds a number too long to read.", code="MALFORMED_JSON") from None


def current_caller(app: APIGatewayRestResolver) -> Caller:
    caller: Caller = app.context["caller"]
    return caller


def request_moment(app: APIGatewayRestResolver) -> datetime:
    """The request's own time, as API Gateway recorded it (replayable; never the clock)."""
    epoch_ms = app.current_event.request_context.request_time_epoch
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)


def request_today(app: APIGatewayRestResolver) -> date:
    return business_date(request_moment(app))


MEDIA_TYPES = {"pdf": "application/pdf", "csv": "text/csv"}


def negotiated_format(app: APIGatewayRestResolver, offered: tuple[str, ...]) -> str:
    """The offered document format the Accept header asks for (`pdf`, `csv`); `json` otherwise."""
    accept = next((v for k, v in (app.current_event.headers or {}).items() if k.lower() == "accept"), "") or ""
    return next((name for name in offered if name in MEDIA_TYPES and MEDIA_TYPES[name] in accept), "json")


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
    from ccp.data.idempotency import (
        run_once,  # only callers that send the header pay for the import
    )

    return run_once(scope=scope, key=key, body=body, create=create, lambda_context=app.lambda_context)
