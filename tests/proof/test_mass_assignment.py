"""A client can never set a server-owned field: every one sent is refused (422) and nothing is stored."""

import itertools

import pytest

from ccp_local.events import member_claims, staff_claims
from ccp_local.inprocess import deployed_stack
from tests.integration.renewal_helpers import chicago, new_member
from tests.support import figures

CE = {
    "credentials": ["RMA"],
    "category": "formal_education",
    "title": "Course",
    "points": 3,
    "start_date": "2026-01-05",
    "end_date": "2026-01-05",
    "attested": True,
}
MEMBER = {
    "first_name": "Mass",
    "last_name": "Assign",
    "email": "mass@example.org",
    "credentials": [{"code": "RMA", "certified_on": "2025-03-10"}],
}
PAYMENT = {"amount": 50, "method": "check", "reference": "1001"}
APPLICATION = {"credential": "RMA", "path": "exam", "felony_conviction": False, "attested": True}
DOCUMENT = {"purpose": "audit", "content_type": "application/pdf", "filename": "proof.pdf", "size_bytes": 1000}

CASES = [
    # (handler, method, resource, suffix, body, server-owned fields)
    (
        "record_ce.handler.lambda_handler",
        "POST",
        "/members/{member_id}/ce-activities",
        "/ce-activities",
        CE,
        {
            "status": "active",
            "counted_points": 99,
            "eligible": {"RMA": 99},
            "member_id": "OTHER",
            "activity_id": "X",
            "source": "course_platform",
            "cycle_start": "2020-01-01",
        },
    ),
    (
        "record_ce.handler.lambda_handler",
        "PATCH",
        "/members/{member_id}/ce-activities/{activity_id}",
        "/ce-activities/20260101000000-abcd1234",
        {"points": 2, "attested": True},
        {"counted_points": 99, "credentials": ["MLS"], "member_id": "OTHER"},
    ),
    (
        "renewals.billing_api.lambda_handler",
        "POST",
        "/members/{member_id}/invoices/{invoice_id}/payments",
        "/invoices/RMA-20260410/payments",
        PAYMENT,
        {
            "state": "paid",
            "invoice_id": "RMA-20990101",
            "paid_on": "2026-01-01",
            "member_id": "OTHER",
            "payment_id": "PAY-1",
            "processor_reference": "ch_1",
            "recorded_by": "someone",
            "currency": "eur",
        },
    ),
    (
        "recertify.handler.lambda_handler",
        "POST",
        "/members/{member_id}/recertifications",
        "/recertifications",
        APPLICATION,
        {
            "state": "reinstated",
            "decisions": [],
            "counted_points": 99,
            "fee_invoice_id": "RC-00000000",
            "member_id": "OTHER",
        },
    ),
    (
        "recertify.handler.lambda_handler",
        "POST",
        "/members/{member_id}/documents",
        "/documents",
        DOCUMENT,
        {
            "outcome": "passed",
            "audit_state": "passed",
            "state": "passed",
            "member_id": "OTHER",
            "key": "documents/other.pdf",
        },
    ),
]


OWNERS = itertools.count(1)


@pytest.fixture(scope="module")
def stack():
    with deployed_stack() as deployed:
        yield deployed


@pytest.mark.parametrize("handler,method,resource,suffix,body,fields", CASES, ids=[f"{c[1]} {c[2]}" for c in CASES])
def test_server_owned_fields_in_a_body_are_refused(stack, handler, method, resource, suffix, body, fields):
    member = new_member(stack, email=f"owner.{next(OWNERS)}@example.org")  # one stack: a person per case
    for field, value in fields.items():
        # Offline payments are a staff route; the rest are the member's own.
        claims = staff_claims() if suffix.endswith("/payments") else member_claims(member.member_id)
        response = stack.api(
            handler,
            method,
            resource,
            f"/members/{member.member_id}{suffix}",
            claims=claims,
            at=chicago("2026-04-05T12:00"),
            body={**body, field: value},
        )
        assert response["statusCode"] == 422, (field, response)
        assert response["json"]["error"]["code"] == "UNKNOWN_FIELD", field
        figures.add("mass assignment", "server-owned fields sent by a client, refused with 422")
    assert member.profile(chicago("2026-04-05T12:00"))["status"] == "active"
    listed = stack.api(
        "record_ce.handler.lambda_handler",
        "GET",
        "/members/{member_id}/ce-activities",
        f"/members/{member.member_id}/ce-activities",
        claims=member_claims(member.member_id),
        at=chicago("2026-04-05T12:00"),
    )
    assert listed["json"]["activities"] == []
    figures.record("mass assignment", "of those stored", 0)


@pytest.mark.parametrize(
    "field,value",
    [("status", "active"), ("member_id", "M1"), ("cycle_start", "2020-01-01"), ("recertification_required", False)],
)
def test_staff_cannot_set_server_owned_fields_of_a_new_member(stack, field, value):
    response = stack.api(
        "record_ce.handler.lambda_handler",
        "POST",
        "/staff/members",
        "/staff/members",
        claims=staff_claims(),
        at=chicago("2026-04-05T12:00"),
        body={**MEMBER, field: value},
    )
    assert (response["statusCode"], response["json"]["error"]["code"]) == (422, "UNKNOWN_FIELD")
    figures.add("mass assignment", "server-owned fields sent by a client, refused with 422")
