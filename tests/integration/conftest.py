import json
import os

import pytest

from ccp_local.events import FakeLambdaContext, api_event, member_claims, staff_claims
from tests.support.aws import TABLE_NAME, create_table, member_logins_and_mail
from tests.support.embedded_aws import aws  # noqa: F401  (and embedded DynamoDB installed)


@pytest.fixture
def table(aws):
    from ccp_local.inprocess import reset_cached_dependencies

    os.environ["TABLE_NAME"] = TABLE_NAME
    reset_cached_dependencies()
    created = create_table()
    member_logins_and_mail()  # creating a member makes their login
    yield created
    reset_cached_dependencies()


class Api:
    """Calls the real record_ce handler with API Gateway events, as a given caller."""

    def __init__(self, handler):
        self._handler = handler

    def call(self, method, resource, path=None, *, claims=None, **kwargs):
        event = api_event(method, resource, path, claims=claims, **kwargs)
        response = self._handler(event, FakeLambdaContext())
        body = response.get("body")
        headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        headers.update({k.lower(): v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()})
        response["content_type"] = headers.get("content-type", "")
        if response["content_type"].startswith("application/json") and body:
            response["json"] = json.loads(body)
        return response


@pytest.fixture
def user_pool(table):
    """The members' user pool (made with the table, as are the sender and the confirmation email)."""
    return os.environ["USER_POOL_ID"]


@pytest.fixture
def api(table):
    from record_ce.handler import lambda_handler

    return Api(lambda_handler)


@pytest.fixture
def new_member(api):
    """Creates a member through the staff route; returns (member_id, member claims). Each is a person of
    their own: one email a member (the second is pat.lee.2@example.org, and so on)."""
    made = []

    def create(credentials=None, **overrides):
        made.append(1)
        body = {
            "first_name": "Pat",
            "last_name": "Lee",
            "email": "pat.lee@example.org" if len(made) == 1 else f"pat.lee.{len(made)}@example.org",
            "mailing_address": {"line1": "1 Main St", "city": "Chicago", "state": "IL", "postal_code": "60601"},
            "credentials": credentials or [{"code": "RMA", "certified_on": "2025-03-10"}],
            **overrides,
        }
        response = api.call("POST", "/staff/members", body=body, claims=staff_claims())
        assert response["statusCode"] == 201, response
        member_id = response["json"]["member_id"]
        return member_id, member_claims(member_id)

    return create


@pytest.fixture
def member(api, new_member):
    """A member holding RMA (certified 2025-03-10: cycle 2025-03-10 .. 2028-03-09), as seen by themself."""
    from tests.integration.helpers import MemberApi

    member_id, claims = new_member()
    return MemberApi(api, member_id, claims)
