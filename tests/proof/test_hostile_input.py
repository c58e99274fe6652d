"""Hostile input on every route of the template: bodies nested thousands deep, numbers of
thousands of digits, far dates, odd Unicode, in every field the OpenAPI document names and in
every query parameter. Never a 5xx; always the error envelope with a code."""

import json
import re

import pytest

from ccp_local import template as tpl
from ccp_local.events import staff_claims
from ccp_local.inprocess import deployed_stack
from tests.integration.renewal_helpers import chicago, new_member
from tests.support import figures

SPECS = {s.logical_id: s for s in tpl.functions()}
ROUTES = [r for r in tpl.api_routes() if r.method != "ANY"]

HOSTILE_VALUES = {
    "a 5,000-digit integer": "9" * 5000,
    "a number beyond float": "1e400",
    "minus zero": "-0.0",
    "a far future date": '"9999-12-31"',
    "a far past date": '"0001-01-01"',
    "a NUL character": '"a\\u0000b"',
    "a lone surrogate": '"\\ud800"',
    "right-to-left override and emoji": '"\\u202e\\ud83d\\ude00 \\u0085"',
    "100,000 characters": json.dumps("x" * 100_000),
    "an array nested 3,000 deep": "[" * 3000 + "]" * 3000,
    "an object nested 3,000 deep": '{"a":' * 3000 + "1" + "}" * 3000,
}
HOSTILE_BODIES = {
    "nested 5,000 deep": "[" * 5000 + "]" * 5000,
    "a bare number of 5,000 digits": "9" * 5000,
    "null": "null",
    "a string": '"hello"',
    "an array": "[]",
    "not UTF-8 JSON": '{"a": "\\udc80\\udc80"}',
}
# Path parameters (one segment each: no "/"), for the routes that take no body or query too.
HOSTILE_PATH = ["9" * 5000, "%00", "..", "%2e%2e%5c", "\u202e\U0001f600", "x" * 3000, "' OR 1=1 --", "a.b.c.d"]
HOSTILE_QUERY = ["9999-12-31", "0001-01-01", "9" * 5000, "%00", "%ED%A0%80", "%E2%80%AE", "-1", "x" * 3000]


def handler(route):
    return SPECS[route.function].handler


def body_fields(route):
    """The request body's top-level fields, as the function's OpenAPI document states them."""
    import importlib

    from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver

    module = importlib.import_module(handler(route).rsplit(".", 1)[0])
    app = next(v for v in vars(module).values() if isinstance(v, APIGatewayRestResolver))
    document = json.loads(app.get_openapi_json_schema())
    operation = document["paths"][route.path][route.method.lower()]
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    return sorted(schema.get("properties", {})), params


@pytest.fixture(scope="module")
def stack():
    with deployed_stack() as deployed:
        deployed.start_stripe()  # payments configured: the webhook judges what it is sent (the signature)
        deployed.member = new_member(deployed, email="hostile@example.org")
        yield deployed
        deployed.stripe.stop()


def concrete(route, own_member_id, **overrides):
    """The route's path for the test's member, with `overrides` in place of some parameters."""
    sample = {
        "member_id": own_member_id,
        "activity_id": "20260101000000-abcd1234",
        "invoice_id": "RMA-20260415",
        "application_id": f"{own_member_id}.ABCDEF12",
        "document_id": "DABCDEF123456",
        "audit_id": f"{own_member_id}.2025.RMA",
        "import_id": "20261202090000-0a1b2c3d",
        **overrides,
    }
    return re.sub(r"{(\w+)}", lambda m: sample[m.group(1)], route.path)


def refused_cleanly(response):
    assert response["statusCode"] < 500, response
    if response["statusCode"] >= 400:
        assert response["json"]["error"]["code"], response


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_hostile_input_on_every_route_is_never_a_server_error(stack, route):
    fields, params = body_fields(route)
    path = concrete(route, stack.member.member_id)
    cases = []  # (path with query, raw body)
    if route.method in ("POST", "PATCH"):
        bodies = list(HOSTILE_BODIES.values()) + [
            "{" + json.dumps(field) + ": " + value + "}" for field in fields for value in HOSTILE_VALUES.values()
        ]
        cases += [(path, body) for body in bodies]
    cases += [(f"{path}?{param}={value}", None) for param in params for value in HOSTILE_QUERY]
    cases += [(f"{path}?undeclared={value}", None) for value in HOSTILE_QUERY]  # a name no route reads
    empty = "{}" if route.method in ("POST", "PATCH") else None
    cases += [
        (concrete(route, stack.member.member_id, **{name: value}), empty)  # one parameter at a time
        for name in re.findall(r"{(\w+)}", route.path)
        for value in HOSTILE_PATH
    ]
    for hostile_path, body in cases:
        response = stack.api(
            handler(route),
            route.method,
            route.path,
            hostile_path,
            raw_body=body,
            claims=staff_claims(),
            at=chicago("2026-04-05T12:00"),
        )
        refused_cleanly(response)
    assert cases, "every route case sends something it could fail on"
    figures.add("hostile input", "requests sent (bodies, fields, path and query values on every route)", len(cases))
    figures.add("hostile input", "server errors", 0)
