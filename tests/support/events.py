"""Factories for the events our functions receive (API Gateway REST proxy, EventBridge)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit, parse_qsl

DEFAULT_TIME = datetime(2026, 6, 15, 17, 0, tzinfo=timezone.utc)


def member_claims(member_id: str) -> dict[str, Any]:
    return {"custom:member_id": member_id, "cognito:groups": [], "sub": str(uuid.uuid4())}


def staff_claims() -> dict[str, Any]:
    return {"cognito:groups": ["staff"], "sub": str(uuid.uuid4())}


def api_event(
    method: str,
    resource: str,
    path: str | None = None,
    *,
    body: Any = None,
    raw_body: str | None = None,
    claims: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    at: datetime = DEFAULT_TIME,
) -> dict[str, Any]:
    """An API Gateway REST proxy event. `resource` is the path template; `path` the concrete path
    (with an optional query string), whose values fill the template's parameters."""
    path = path or resource
    split = urlsplit(path)
    query = dict(parse_qsl(split.query)) or None
    names = re.findall(r"{(\w+)\+?}", resource)
    pattern = "^" + re.sub(r"{\w+\+?}", "([^/]+)", resource) + "$"
    match = re.match(pattern, split.path)
    params = dict(zip(names, match.groups())) if match and names else None
    return {
        "resource": resource,
        "path": split.path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params,
        "stageVariables": None,
        "body": raw_body if raw_body is not None else (json.dumps(body) if body is not None else None),
        "isBase64Encoded": False,
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
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": claims} if claims is not None else None,
        },
    }


def eventbridge_event(detail_type: str, detail: dict[str, Any], *, source: str, at: datetime = DEFAULT_TIME) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


class FakeLambdaContext:
    function_name = "test-function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    memory_limit_in_mb = 512
    aws_request_id = "test-request"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
