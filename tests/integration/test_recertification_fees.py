"""A recertification fee is money like any other (rules §4): when it goes back, what it paid for goes
too, and paying it again never reopens a decided application."""

import pytest

from ccp_local.events import staff_claims
from ccp_local.inprocess import deployed_stack
from ccp_local.stripe_fake import completed_event, refunded_event
from tests.integration.renewal_helpers import chicago, new_member

RECERTIFY = "recertify.handler.lambda_handler"
VERIFY = "record_ce.verify_handler.lambda_handler"
APPLIED = "2022-06-01T10:00"  # eleven years after the cycle ended unmet: the exam is the way back


@pytest.fixture
def stack():
    with deployed_stack() as deployed:
        deployed.start_credly()
        deployed.start_stripe()
        yield deployed
        deployed.stripe.stop()
        deployed.credly.stop()


def recertify(stack, method, resource, path, at, claims, body=None):
    return stack.api(RECERTIFY, method, resource, path, claims=claims, at=chicago(at), body=body)


def apply_for_the_exam(stack):
    member = new_member(stack, certified_on="2008-03-01", at="2010-01-01T10:00", email="exam@example.org")
    body = {"credential": "RMA", "path": "exam", "felony_conviction": False, "attested": True, "activities": []}
    applied = recertify(
        stack,
        "POST",
        "/members/{member_id}/recertifications",
        f"/members/{member.member_id}/recertifications",
        APPLIED,
        member.claims,
        body,
    )
    assert applied["statusCode"] == 201, applied
    return member, applied["json"]


def pay_by_card(stack, member, invoice_id, at):
    started = member.checkout(invoice_id, chicago(at))
    assert started["statusCode"] == 201, started
    session = stack.stripe.mark_paid(started["json"]["checkout_id"])
    return session, stack.webhook(completed_event(session, chicago(at)), at=chicago(at))["json"]["outcome"]


def application(stack, member, application_id, at="2022-08-01T10:00"):
    path = f"/members/{member.member_id}/recertifications/{application_id}"
    return recertify(stack, "GET", "/members/{member_id}/recertifications/{application_id}", path, at, member.claims)[
        "json"
    ]


def staff_decides(stack, application_id, suffix, body, at):
    path = f"/staff/recertifications/{application_id}/{suffix}"
    answer = recertify(
        stack, "POST", "/staff/recertifications/{application_id}/" + suffix, path, at, staff_claims(), body
    )
    assert answer["statusCode"] == 200, answer
    return answer["json"]


def test_a_refunded_fee_of_an_undecided_application_leaves_it_waiting_for_its_fee(stack):
    member, app = apply_for_the_exam(stack)
    session, outcome = pay_by_card(stack, member, app["fee_invoice_id"], APPLIED)
    assert outcome == "recorded" and application(stack, member, app["application_id"])["state"] == "submitted"
    refund = refunded_event(session, chicago("2022-06-05T10:00"))
    assert stack.webhook(refund, at=chicago("2022-06-05T10:00"))["json"]["outcome"] == "refunded"
    assert application(stack, member, app["application_id"])["state"] == "awaiting_payment"
    path = f"/staff/recertifications/{app['application_id']}/decision"
    refused = recertify(
        stack,
        "POST",
        "/staff/recertifications/{application_id}/decision",
        path,
        "2022-06-06T10:00",
        staff_claims(),
        {"decision": "approve"},
    )
    assert (refused["statusCode"], refused["json"]["error"]["code"]) == (409, "FEE_NOT_PAID")
    # Paid again, it is submitted again: nothing was decided yet.
    _, again = pay_by_card(stack, member, app["fee_invoice_id"], "2022-06-07T10:00")
    assert again == "recorded" and application(stack, member, app["application_id"])["state"] == "submitted"


def test_a_reversed_fee_undoes_the_reinstatement_it_paid_for_and_paying_again_never_reopens_it(stack):
    member, app = apply_for_the_exam(stack)
    session, outcome = pay_by_card(stack, member, app["fee_invoice_id"], APPLIED)
    assert outcome == "recorded"
    before = member.profile(chicago(APPLIED))["credentials"][0]
    staff_decides(stack, app["application_id"], "decision", {"decision": "approve"}, APPLIED)
    passed = staff_decides(
        stack, app["application_id"], "exam-result", {"passed": True, "exam_date": "2022-07-15"}, "2022-07-20T10:00"
    )
    assert passed["state"] == "reinstated"
    stack.drain_badges()
    assert len(stack.credly.live()) == 1

    # The payer wins a dispute on the fee: the reinstatement it paid for is undone.
    lost = refunded_event(session, chicago("2022-08-01T10:00"))
    assert stack.webhook(lost, at=chicago("2022-08-01T10:00"))["json"]["outcome"] == "refunded"
    profile = member.profile(chicago("2022-08-02T10:00"))
    assert profile["status"] == "must_recertify"
    credential = profile["credentials"][0]
    assert (credential["cycle_start"], credential["cycle_end"]) == (before["cycle_start"], before["cycle_end"])
    verified = stack.api(
        VERIFY, "GET", "/verify/{member_id}", f"/verify/{member.member_id}", at=chicago("2022-08-02T10:00")
    )
    assert verified["json"]["credentials"][0]["status"] == "lapsed"
    stack.drain_badges()
    assert [b["state"] for b in stack.credly.badges.values()] == ["revoked"]
    reversed_ = application(stack, member, app["application_id"])
    assert reversed_["state"] == "fee_reversed"
    queue = recertify(
        stack,
        "GET",
        "/staff/recertifications",
        "/staff/recertifications?state=fee_reversed",
        "2022-08-02T10:00",
        staff_claims(),
    )["json"]["applications"]
    assert [a["application_id"] for a in queue] == [app["application_id"]]  # staff see it

    # Paying the same fee again reopens nothing: the money goes straight back, and staff see why.
    second, outcome = pay_by_card(stack, member, app["fee_invoice_id"], "2022-08-03T10:00")
    assert second["id"] != session["id"]  # the spent session is not offered again
    assert outcome == "refunded_and_parked"
    assert application(stack, member, app["application_id"])["state"] == "fee_reversed"
    assert [r["refund"]["payment_intent"] for r in stack.stripe.refunds] == [second["payment_intent"]]
    parked = stack.api(
        "renewals.billing_api.lambda_handler",
        "GET",
        "/staff/payments/parked",
        "/staff/payments/parked",
        claims=staff_claims(),
        at=chicago("2022-08-03T10:05"),
    )["json"]["payments"]
    assert [(p["reason"], p["refunded_automatically"]) for p in parked] == [("APPLICATION_DECIDED", True)]
    assert member.profile(chicago("2022-08-03T10:05"))["status"] == "must_recertify"
