import pytest

from ccp.access import authorize, caller_from_claims
from ccp.errors import Forbidden, Unauthorized

STAFF_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Staff"
MEMBER_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Members"
MEMBER = {"custom:member_id": "M1", "cognito:groups": [], "iss": MEMBER_ISSUER}
STAFF = {"cognito:groups": ["staff"], "iss": STAFF_ISSUER}


def staff_authorize(claims, resource, params, method="GET"):
    return authorize(claims, resource, params, method=method, staff_issuer=STAFF_ISSUER)


def test_a_member_reaches_only_their_own_records():
    assert staff_authorize(MEMBER, "/members/{member_id}/progress", {"member_id": "M1"}).member_id == "M1"
    with pytest.raises(Forbidden):
        staff_authorize(MEMBER, "/members/{member_id}/progress", {"member_id": "M2"})


def test_staff_reach_any_member_and_staff_routes():
    assert staff_authorize(STAFF, "/members/{member_id}", {"member_id": "M2"}).is_staff
    assert staff_authorize(STAFF, "/staff/members", None).is_staff


def test_a_member_cannot_reach_staff_routes():
    with pytest.raises(Forbidden):
        staff_authorize(MEMBER, "/staff/members", None)


def test_no_claims_is_unauthorized():
    with pytest.raises(Unauthorized):
        staff_authorize(None, "/members/{member_id}", {"member_id": "M1"})


def test_a_route_without_an_access_rule_is_refused_even_to_staff():
    with pytest.raises(Forbidden):
        staff_authorize(STAFF, "/internal/debug", None)


def test_groups_as_api_gateway_passes_them_are_understood():
    assert caller_from_claims({"cognito:groups": "[staff auditors]", "iss": STAFF_ISSUER}, STAFF_ISSUER).is_staff
    member = {"cognito:groups": "[members]", "custom:member_id": "M1", "iss": STAFF_ISSUER}
    assert not caller_from_claims(member, STAFF_ISSUER).is_staff


@pytest.mark.parametrize(
    "claims",
    [
        {"cognito:groups": ["staff"], "iss": MEMBER_ISSUER},  # a member-pool token that carries a staff group
        {"cognito:groups": ["staff"]},  # no issuer at all
        {"cognito:groups": ["x staff"], "iss": STAFF_ISSUER},  # a group whose name only contains it
        {"cognito:groups": ["staffers", "Staff"], "iss": STAFF_ISSUER},
    ],
)
def test_staff_are_the_exact_staff_group_of_a_staff_pool_token(claims):
    assert not caller_from_claims(claims, STAFF_ISSUER).is_staff
    with pytest.raises(Forbidden):
        staff_authorize(claims, "/staff/members", None)


def test_without_a_configured_staff_issuer_nobody_is_staff():
    assert not caller_from_claims(STAFF, None).is_staff
    assert not caller_from_claims(STAFF, "").is_staff


OWN_CASE_WRITES = [
    ("POST", "/members/{member_id}/invoices/{invoice_id}/payments", {"member_id": "M-7", "invoice_id": "RMA-1"}),
    ("POST", "/staff/members/{member_id}/invoices/{invoice_id}/void", {"member_id": "M-7", "invoice_id": "RMA-1"}),
    ("PATCH", "/members/{member_id}/ce-activities/{activity_id}", {"member_id": "M-7", "activity_id": "A1"}),
    ("DELETE", "/members/{member_id}/ce-activities/{activity_id}", {"member_id": "M-7", "activity_id": "A1"}),
    ("POST", "/members/{member_id}/ce-activities", {"member_id": "M-7"}),
    ("PATCH", "/members/{member_id}", {"member_id": "M-7"}),
    ("POST", "/staff/recertifications/{application_id}/decision", {"application_id": "M-7.RMA.1"}),
    ("POST", "/staff/recertifications/{application_id}/exam-result", {"application_id": "M-7.RMA.1"}),
    ("POST", "/staff/audits/{audit_id}/decision", {"audit_id": "M-7.2027.RMA"}),
    ("POST", "/staff/audits/{audit_id}/deadline", {"audit_id": "M-7.2027.RMA"}),
]


@pytest.mark.parametrize(("method", "resource", "params"), OWN_CASE_WRITES)
@pytest.mark.parametrize("own_id", ["M-7", "m-7"])
def test_staff_who_are_members_change_nothing_of_their_own_records_whatever_the_case(method, resource, params, own_id):
    claims = {**STAFF, "custom:member_id": own_id}
    with pytest.raises(Forbidden) as refused:
        staff_authorize(claims, resource, params, method)
    assert refused.value.code == "OWN_CASE"
    other = {k: v.replace("M-7", "M-8") for k, v in params.items()}
    assert staff_authorize(claims, resource, other, method).is_staff  # another member's case is theirs to act on


def test_staff_who_are_members_may_still_read_their_own_record():
    claims = {**STAFF, "custom:member_id": "M-7"}
    assert staff_authorize(claims, "/staff/members/{member_id}/record", {"member_id": "m-7"}).is_staff
