"""Every route of the template, called by the wrong caller: refused, and no DynamoDB request is made."""

import re

import pytest

from ccp.access import public, rule_for, staff_only
from ccp_local import template as tpl
from ccp_local.counting import counted_requests
from ccp_local.events import member_claims, staff_claims
from ccp_local.inprocess import deployed_stack
from tests.support import figures

ROUTES = tpl.api_routes()
SPECS = {s.logical_id: s for s in tpl.functions()}
VICTIM = "MVICTIM0001"
SAMPLE = {
    "member_id": VICTIM,
    "activity_id": "20260101000000-abcd1234",
    "invoice_id": "RMA-20260410",
    "application_id": f"{VICTIM}.ABCDEF12",
    "document_id": "DABCDEF123456",
    "audit_id": f"{VICTIM}.2025.RMA",
    "import_id": "20261202090000-0a1b2c3d",
}


def concrete(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: SAMPLE[m.group(1)], path)


def handler_path(route) -> str:
    return SPECS[route.function].handler


@pytest.fixture(scope="module")
def stack():
    with deployed_stack() as deployed:
        yield deployed


def clients():
    from ccp.data.dynamo import low_level_client, table

    return table().meta.client, low_level_client()


def call(stack, route, claims):
    body = {"anything": True} if route.method in ("POST", "PATCH") else None
    clients()  # built before counting, so only requests count
    with counted_requests(clients()[0]) as on_table, counted_requests(clients()[1]) as low_level:
        response = stack.api(
            handler_path(route), route.method, route.path, concrete(route.path), claims=claims, body=body
        )
    requests = sum(on_table.values()) + sum(low_level.values())
    if response["statusCode"] in (401, 403):
        figures.add("access matrix", "wrong-caller cases refused (403/401)")
        figures.add("access matrix", "DynamoDB requests made for a refused caller", requests)
    return response, requests


MEMBER_ROUTES = [r for r in ROUTES if r.path.startswith("/members/{member_id}")]
STAFF_ROUTES = [r for r in ROUTES if rule_for(r.path) is staff_only]  # /staff/... and offline payments
# The processor's webhook (signed, not signed in) and public verification (nothing personal but a name).
PUBLIC_ROUTES = [r for r in ROUTES if rule_for(r.path) is public]


def route_id(route):
    return f"{route.method} {route.path}"


@pytest.mark.parametrize("route", MEMBER_ROUTES, ids=route_id)
def test_a_member_on_another_members_records_is_refused_before_any_data_access(stack, route):
    response, requests = call(stack, route, member_claims("MINTRUDER01"))
    assert response["statusCode"] == 403
    assert requests == 0


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=route_id)
def test_a_member_on_a_staff_route_is_refused_before_any_data_access(stack, route):
    response, requests = call(stack, route, member_claims(VICTIM))
    assert response["statusCode"] == 403
    assert requests == 0


@pytest.mark.parametrize("route", [r for r in ROUTES if r not in PUBLIC_ROUTES], ids=route_id)
def test_no_token_is_401_before_any_data_access(stack, route):
    response, requests = call(stack, route, None)
    assert response["statusCode"] == 401
    assert requests == 0


@pytest.mark.parametrize("signature", ["", "t=1700000000,v1=" + "0" * 64], ids=["unsigned", "wrongly signed"])
@pytest.mark.parametrize("route", [r for r in PUBLIC_ROUTES if r.path.startswith("/webhooks/")], ids=route_id)
def test_a_public_webhook_refuses_an_unproven_body_before_any_data_access(stack, route, signature):
    stack.start_stripe()  # a real signing secret: the signature is what refuses
    try:
        response, requests = deliver_forged_payment(stack, route, signature)
    finally:
        stack.stripe.stop()
    assert (response["statusCode"], response["json"]["error"]["code"]) == (400, "BAD_SIGNATURE")
    assert requests == 0
    figures.add("access matrix", "unproven webhook bodies refused (400 BAD_SIGNATURE), nothing read or stored")


@pytest.mark.parametrize("secret", ["", "set-me"], ids=["blank (as deployed)", "placeholder"])
@pytest.mark.parametrize("route", [r for r in PUBLIC_ROUTES if r.path.startswith("/webhooks/")], ids=route_id)
def test_with_a_placeholder_signing_secret_the_webhook_refuses_even_a_matching_signature(stack, route, secret):
    import json

    import boto3
    from aws_lambda_powertools.utilities import parameters

    from ccp_local.stripe_fake import sign

    boto3.client("secretsmanager").put_secret_value(
        SecretId=stack.deployment.physical_ids["PaymentsSecret"],
        SecretString=json.dumps({"api_key": "", "webhook_secret": secret}),
    )
    parameters.clear_caches()
    response, requests = deliver_forged_payment(stack, route, lambda body: sign(body, secret or "set-me"))
    assert (response["statusCode"], response["json"]["error"]["code"]) == (503, "PAYMENTS_NOT_CONFIGURED")
    assert requests == 0
    figures.add("access matrix", "events signed with a placeholder secret refused (503), nothing read or stored")


def deliver_forged_payment(stack, route, signature):
    """A payment event for the victim's invoice, with `signature` (or a function of the body making one);
    the answer and the DynamoDB requests it made."""
    import json

    from ccp_local.stripe_fake import completed_event

    body = completed_event(
        {
            "id": "cs_1",
            "payment_status": "paid",
            "payment_intent": "pi_1",
            "amount_total": 5000,
            "currency": "usd",
            "metadata": {"member_id": VICTIM, "invoice_id": "RMA-20260410"},
        }
    )
    raw = json.dumps(body)
    header = signature(raw) if callable(signature) else signature
    clients()
    with counted_requests(clients()[0]) as on_table, counted_requests(clients()[1]) as low_level:
        response = stack.api(
            handler_path(route),
            "POST",
            route.path,
            route.path,
            raw_body=raw,
            headers={"Stripe-Signature": header} if header else {},
        )
    return response, sum(on_table.values()) + sum(low_level.values())


OWN_CASE_ROUTES = [
    r
    for r in ROUTES
    if r.method not in ("GET", "ANY")
    and re.search(r"{(member_id|application_id|audit_id)}", r.path)
    and rule_for(r.path) is not public
]


@pytest.mark.parametrize("route", OWN_CASE_ROUTES, ids=route_id)
def test_staff_who_are_members_change_nothing_of_their_own_case_before_any_data_access(stack, route):
    response, requests = call(stack, route, staff_claims(member_id=VICTIM.lower()))  # compared without case
    assert (response["statusCode"], response["json"]["error"]["code"]) == (403, "OWN_CASE")
    assert requests == 0
    figures.add("access matrix", "own-case staff writes refused (403 OWN_CASE)")


def test_every_route_is_in_the_matrix():
    assert {route_id(r) for r in ROUTES} == {route_id(r) for r in MEMBER_ROUTES + STAFF_ROUTES + PUBLIC_ROUTES}
    assert {r.path for r in PUBLIC_ROUTES} == {"/webhooks/payments", "/verify/{member_id}"}


def test_staff_pass_the_access_check_on_every_route(stack):
    for route in ROUTES:
        response, _ = call(stack, route, staff_claims())
        assert response["statusCode"] not in (401, 403), route_id(route)
