"""The events our functions receive (API Gateway REST proxy, EventBridge), built the way AWS
builds them. The local gateway and the tests both use these, so they cannot drift apart."""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

DEFAULT_TIME = datetime(2026, 6, 15, 17, 0, tzinfo=UTC)


def member_claims(member_id: str) -> dict[str, Any]:
    return {"custom:member_id": member_id, "cognito:groups": [], "sub": str(uuid.uuid4())}


def staff_claims(member_id: str | None = None) -> dict[str, Any]:
    """A staff-pool ID token's claims: the staff group, issued by the stack's staff pool (its
    STAFF_POOL_ISSUER), and the member id of a staff user who is also a member."""
    claims: dict[str, Any] = {
        "cognito:groups": ["staff"],
        "sub": str(uuid.uuid4()),
        "iss": os.environ.get("STAFF_POOL_ISSUER", ""),
    }
    return claims | ({"custom:member_id": member_id} if member_id else {})


def path_pattern(resource: str) -> re.Pattern[str]:
    """The regex of an API Gateway path template (`{name}` is one segment, `{name+}` the rest)."""
    pattern = re.sub(r"{(\w+)\+}", r"(?P<\1>.+)", resource)
    pattern = re.sub(r"{(\w+)}", r"(?P<\1>[^/]+)", pattern)
    return re.compile("^" + pattern + "$")


def api_event(
    method: str,
    resource: str,
    path: str | None = None,
    *,
    body: Any = None,
    raw_body: str | None = None,
    is_base64: bool = False,
    claims: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    at: datetime = DEFAULT_TIME,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway REST proxy event. `resource` is the path template; `path` the concrete path
    (with an optional query string), whose values fill the template's parameters."""
    path = path or resource
    split = urlsplit(path)
    pairs = parse_qsl(split.query, keep_blank_values=True)
    query = dict(pairs) or None
    multi_query: dict[str, list[str]] = {}
    for key, value in pairs:
        multi_query.setdefault(key, []).append(value)
    match = path_pattern(resource).match(unquote(split.path))
    params = match.groupdict() if match and match.groupdict() else None
    headers = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": resource,
        "path": split.path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": params,
        "stageVariables": None,
        "body": raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
        "isBase64Encoded": is_base64,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/v1{split.path}",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(at.timestamp() * 1000),
            "requestTime": at.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "accountId": "123456789012",
            "apiId": "local",
            "identity": {"sourceIp": source_ip},
            "authorizer": {"claims": claims} if claims is not None else None,
        },
    }


def scheduled_event(at: datetime, rule_arn: str = "arn:aws:events:us-east-1:123456789012:rule/local") -> dict[str, Any]:
    """What an EventBridge schedule delivers: the job reads "today" from `time`."""
    return eventbridge_event("Scheduled Event", {}, source="aws.events", at=at, resources=[rule_arn])


def eventbridge_event(
    detail_type: str,
    detail: dict[str, Any],
    *,
    source: str,
    at: datetime = DEFAULT_TIME,
    resources: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": resources or [],
        "detail": detail,
    }


class FakeLambdaContext:
    """A Lambda context for calling handlers directly (tests, benchmarks)."""

    function_name = "test-function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    memory_limit_in_mb = 512
    aws_request_id = "test-request"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
