"""The staff console's own routes through the deployed template's real handlers: a member's whole
record with its history, voiding an invoice, a later audit deadline, parked payments."""

import pytest

from ccp_local.counting import counted_requests
from ccp_local.events import staff_claims
from ccp_local.inprocess import deployed_stack
from tests.integration.renewal_helpers import chicago, new_member
from tests.integration.test_recertification import audited, call, member_call

RECORD_CE = "record_ce.handler.lambda_handler"


@pytest.fixture
def stack():
    with deployed_stack() as deployed:
        yield deployed


BILLING = "renewals.billing_api.lambda_handler"


def staff_call(stack, handler, method, resource, path, at, body=None, claims=None):
    return stack.api(handler, method, resource, path, claims=claims or staff_claims(), at=chicago(at), body=body)


def record(stack, member_id, at="2024-03-06T10:00"):
    return staff_call(
        stack, RECORD_CE, "GET", "/staff/members/{member_id}/record", f"/staff/members/{member_id}/record", at
    )


def void(stack, member_id, invoice_id, reason="issued in error", at="2024-03-06T10:00", **extra):
    return staff_call(
        stack,
        BILLING,
        "POST",
        "/staff/members/{member_id}/invoices/{invoice_id}/void",
        f"/staff/members/{member_id}/invoices/{invoice_id}/void",
        at,
        {"reason": reason, **extra},
    )


def test_a_members_record_is_one_query_and_its_history_says_who_changed_what(stack):
    member = new_member(stack, certified_on="2021-03-10", at="2021-04-01T10:00", email="rec@example.org")
    member.record(chicago("2023-05-01T10:00"), end_date="2023-04-01", title="Pharmacology")
    stack.job("renewal_notices", chicago("2024-03-01T06:00"))
    member.pay("RMA-20240310", chicago("2024-03-05T10:00"), reference="2001")

    from ccp.data.dynamo import low_level_client, table

    table(), low_level_client()
    with counted_requests(table().meta.client) as requests, counted_requests(low_level_client()) as low:
        found = record(stack, member.member_id)
    assert found["statusCode"] == 200, found
    assert sum(requests.values()) + sum(low.values()) == 1  # one Query of the member's partition
    body = found["json"]
    assert body["member"]["name"] == "Ann Bee"
    assert [c["code"] for c in body["credentials"]] == ["RMA"]
    assert [a["title"] for a in body["activities"]] == ["Pharmacology"]
    assert [(i["invoice_id"], i["state"]) for i in body["invoices"]] == [("RMA-20240310", "paid")]
    [payment] = body["payments"]
    assert payment["method"] == "check" and len(payment["recorded_by"]) == 36  # the staff user's Cognito subject
    assert {(n["kind"], n["channel"], n["state"]) for n in body["notices"]} >= {("renewal_due", "email", "sent")}
    assert all("contact" not in part for part in body["notices"] + body["credentials"] + body["invoices"])
    what = [entry["what"] for entry in body["history"]]
    assert "payment 50 (check) for RMA-20240310" in what
    assert "recorded CE 'Pharmacology' (30 points)" in what
    assert any(w.startswith("renewal_due notice sent by email") for w in what)
    assert body["history"] == sorted(body["history"], key=lambda e: e["at"], reverse=True)

    assert record(stack, "MNOBODY0000")["statusCode"] == 404


def test_staff_void_an_unpaid_invoice_with_a_reason_and_it_is_no_longer_due(stack):
    member = new_member(stack, certified_on="2022-03-10", at="2022-04-01T10:00", email="void@example.org")
    stack.job("renewal_notices", chicago("2024-03-01T06:00"))
    refused = void(stack, member.member_id, "RMA-20240310", reason="")
    assert refused["statusCode"] == 422
    told = "We sent this invoice twice; the one in the post is the one to pay."
    voided = void(stack, member.member_id, "RMA-20240310", reason="duplicate of a paper invoice", member_note=told)
    assert voided["statusCode"] == 200, voided
    assert voided["json"]["state"] == "void"
    assert voided["json"]["history"][0]["note"] == "duplicate of a paper invoice"
    assert len(voided["json"]["history"][0]["by"]) == 36  # the staff user's Cognito subject
    seen = member.invoices(chicago("2024-03-06T10:00"))["RMA-20240310"]
    assert (seen["state"], seen["member_note"]) == ("void", told)  # never the internal reason
    # No longer due: neither payable nor chased by the past-due notices of the month after.
    assert member.checkout("RMA-20240310", chicago("2024-03-06T10:00"))["json"]["error"]["code"] == "INVOICE_NOT_OPEN"
    summary = stack.job("renewal_notices", chicago("2024-04-15T06:00"))
    assert summary.get("notices", {}).get("past_due", {}).get("email", 0) == 0
    again = void(stack, member.member_id, "RMA-20240310")
    assert (again["statusCode"], again["json"]["error"]["code"]) == (409, "INVOICE_NOT_OPEN")


def test_a_paid_invoice_cannot_be_voided(stack):
    member = new_member(stack, certified_on="2022-03-10", at="2022-04-01T10:00", email="paid@example.org")
    stack.job("renewal_notices", chicago("2024-03-01T06:00"))
    member.pay("RMA-20240310", chicago("2024-03-05T10:00"))
    refused = void(stack, member.member_id, "RMA-20240310")
    assert (refused["statusCode"], refused["json"]["error"]["code"]) == (409, "INVOICE_NOT_OPEN")


def test_an_audit_deadline_moves_only_later_and_never_past_a_year_after_the_first(stack):
    _, audit = audited(stack, "late@example.org")
    assert audit["deadline"] == "2025-03-16"
    path = f"/staff/audits/{audit['audit_id']}/deadline"
    refusals = {
        "2025-03-01": "DEADLINE_NOT_LATER",
        "2025-01-10": "DEADLINE_NOT_LATER",
        "9999-12-31": "DEADLINE_TOO_LATE",
        "2026-03-17": "DEADLINE_TOO_LATE",  # a year and a day after the first deadline
    }
    for deadline, code in refusals.items():
        body = {"deadline": deadline, "reason": "in hospital in February"}
        moved = call(stack, "POST", "/staff/audits/{audit_id}/deadline", path, "2025-02-01T10:00", staff_claims(), body)
        assert (moved["statusCode"], moved["json"]["error"]["code"]) == (422, code), deadline
    # A year after the first deadline is the latest, also after an earlier move.
    for deadline in ("2025-04-30", "2026-03-16"):
        body = {"deadline": deadline, "reason": "in hospital in February"}
        moved = call(stack, "POST", "/staff/audits/{audit_id}/deadline", path, "2025-02-01T10:00", staff_claims(), body)
        assert (moved["statusCode"], moved["json"]["deadline"]) == (200, deadline)
    again = call(
        stack,
        "POST",
        "/staff/audits/{audit_id}/deadline",
        path,
        "2025-02-02T10:00",
        staff_claims(),
        {"deadline": "2026-03-17", "reason": "still in hospital"},
    )
    assert again["json"]["error"]["code"] == "DEADLINE_TOO_LATE"


def test_staff_give_an_open_audit_a_later_deadline_with_a_reason(stack):
    member, audit = audited(stack, "late@example.org")
    path = f"/staff/audits/{audit['audit_id']}/deadline"
    body = {"deadline": "2025-04-30", "reason": "in hospital in February"}
    moved = call(stack, "POST", "/staff/audits/{audit_id}/deadline", path, "2025-02-01T10:00", staff_claims(), body)
    assert moved["statusCode"] == 200, moved
    assert moved["json"]["deadline"] == "2025-04-30"
    assert moved["json"]["decisions"][-1]["note"] == "in hospital in February"
    # The daily expiry of March 17 (the old deadline's morning after) leaves it open; the member sees the new date.
    from ccp_local.events import FakeLambdaContext, eventbridge_event
    from recertify.audit_job import lambda_handler

    expiry = eventbridge_event(
        "Scheduled Event", {"task": "expire"}, source="aws.scheduler", at=chicago("2025-03-17T06:45")
    )
    assert lambda_handler(expiry, FakeLambdaContext())["audits_failed_for_no_answer"] == 0
    [seen] = member_call(stack, member, "GET", "/audits", "/audits", "2025-03-21T10:00")["json"]["audits"]
    assert (seen["state"], seen["deadline"]) == ("open", "2025-04-30")
