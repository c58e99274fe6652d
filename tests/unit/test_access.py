import pytest

from ccp.access import authorize, caller_from_claims
from ccp.errors import Forbidden, Unauthorized

MEMBER = {"custom:member_id": "M1", "cognito:groups": []}
STAFF = {"cognito:groups": ["staff"]}


def test_a_member_reaches_only_their_own_records():
    assert authorize(MEMBER, "/members/{member_id}/progress", {"member_id": "M1"}).member_id == "M1"
    with pytest.raises(Forbidden):
        authorize(MEMBER, "/members/{member_id}/progress", {"member_id": "M2"})


def test_staff_reach_any_member_and_staff_routes():
    assert authorize(STAFF, "/members/{member_id}", {"member_id": "M2"}).is_staff
    assert authorize(STAFF, "/staff/members", None).is_staff


def test_a_member_cannot_reach_staff_routes():
    with pytest.raises(Forbidden):
        authorize(MEMBER, "/staff/members", None)


def test_no_claims_is_unauthorized():
    with pytest.raises(Unauthorized):
        authorize(None, "/members/{member_id}", {"member_id": "M1"})


def test_a_route_without_an_access_rule_is_refused_even_to_staff():
    with pytest.raises(Forbidden):
        authorize(STAFF, "/internal/debug", None)


def test_groups_as_api_gateway_passes_them_are_understood():
    assert caller_from_claims({"cognito:groups": "[staff auditors]"}).is_staff
    assert not caller_from_claims({"cognito:groups": "[members]", "custom:member_id": "M1"}).is_staff
