"""Recertification, audits and badges end to end: three members' journeys through the deployed
template's real handlers, with a local HTTP server playing Credly."""

import base64
import json

import pytest
import requests

from ccp_local.events import member_claims, staff_claims
from ccp_local.inprocess import deployed_stack
from tests.integration.renewal_helpers import chicago, emails_to, new_member

RECERTIFY = "recertify.handler.lambda_handler"


@pytest.fixture
def stack():
    with deployed_stack() as deployed:
        deployed.start_credly()
        yield deployed
        deployed.credly.stop()


def call(stack, method, resource, path, at, claims, body=None):
    return stack.api(RECERTIFY, method, resource, path, claims=claims, at=chicago(at), body=body)


def member_call(stack, member, method, suffix_resource, suffix, at, body=None):
    return call(
        stack,
        method,
        "/members/{member_id}" + suffix_resource,
        f"/members/{member.member_id}{suffix}",
        at,
        member.claims,
        body,
    )


def staff(stack, method, resource, path, at, body=None):
    return call(stack, method, resource, path, at, staff_claims(), body)


def upload(stack, member, at, purpose="recertification", audit_id=None):
    body = {"purpose": purpose, "content_type": "application/pdf", "filename": "certificate.pdf", "size_bytes": 2048}
    if audit_id:
        body["audit_id"] = audit_id
    created = member_call(stack, member, "POST", "/documents", "/documents", at, body)
    assert created["statusCode"] == 201, created
    form = created["json"]["upload"]
    uploaded = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("certificate.pdf", b"%PDF-1.4 proof", "application/pdf")},
        timeout=10,
    )
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    return created["json"]


def test_lapse_then_ccp_application_then_approval_makes_the_member_active_with_a_badge(stack):
    member = new_member(stack, certified_on="2019-05-10", at="2022-06-01T10:00", email="lapsed@example.org")
    at = "2028-06-01T10:00"  # the cycle 2022-05-10 .. 2025-05-09 ended unmet three years ago
    options = member_call(
        stack, member, "GET", "/recertification-options", "/recertification-options?credential=RMA", at
    )["json"]
    assert options == {"credential": "RMA", "paths": ["ccp", "exam"], "reasons": []}
    proof = upload(stack, member, at)
    application = {
        "credential": "RMA",
        "path": "ccp",
        "felony_conviction": False,
        "attested": True,
        "document_ids": [proof["document_id"]],
        "activities": [
            {
                "category": "formal_education",
                "title": "Anatomy (2 semester credits)",
                "points": 30,
                "start_date": "2027-01-10",
                "end_date": "2027-05-01",
            }
        ],
    }
    applied = member_call(stack, member, "POST", "/recertifications", "/recertifications", at, application)
    assert applied["statusCode"] == 201, applied
    app = applied["json"]
    assert (app["state"], app["counted_points"]) == ("awaiting_payment", 30)
    assert (
        member_call(stack, member, "POST", "/recertifications", "/recertifications", at, application)["json"]["error"][
            "code"
        ]
        == "APPLICATION_OPEN"
    )
    decision = {"decision": "approve", "note": "documents verified"}
    path = f"/staff/recertifications/{app['application_id']}/decision"
    assert (
        staff(stack, "POST", "/staff/recertifications/{application_id}/decision", path, at, decision)["json"]["error"][
            "code"
        ]
        == "FEE_NOT_PAID"
    )
    paid = member.pay(app["fee_invoice_id"], chicago(at), amount=75, reference="fee-1")
    assert paid["statusCode"] == 201, paid
    queue = staff(stack, "GET", "/staff/recertifications", "/staff/recertifications?state=submitted", at)["json"][
        "applications"
    ]
    assert [a["application_id"] for a in queue] == [app["application_id"]]

    stack.credly.failing = True  # Credly is down: the status change must not wait for it
    approved = staff(
        stack, "POST", "/staff/recertifications/{application_id}/decision", path, "2028-06-03T09:00", decision
    )["json"]
    assert approved["state"] == "reinstated" and approved["decisions"][0]["note"] == "documents verified"
    profile = member.profile(chicago("2028-06-03T09:00"))
    assert profile["status"] == "active"
    assert profile["credentials"][0] | {"status": None} == {
        "code": "RMA",
        "certified_on": "2019-05-10",
        "grandfathered": False,
        "status": None,
        "cycle_start": "2028-06-03",
        "cycle_end": "2031-06-02",
    }
    assert len(emails_to(stack, "lapsed@example.org", "reinstated")) == 1
    assert stack.drain_badges()[-1]["batchItemFailures"]  # retried from the queue
    stack.credly.failing = False
    stack.drain_badges()
    stack.drain_badges()  # a re-delivery never issues a second badge
    [badge] = stack.credly.live()
    assert (badge["issued_at"], badge["expires_at"], badge["recipient_email"]) == (
        "2028-06-03",
        "2031-06-02",
        "lapsed@example.org",
    )
    from recertify.badges import handle_event

    retried = handle_event(
        {"detail-type": "CredentialReinstated", "detail": {"member_id": member.member_id, "credential": "RMA"}}
    )
    assert retried["action"] == "issued" and len(stack.credly.live()) == 1


def test_a_member_lapsed_ten_years_recertifies_by_exam(stack):
    member = new_member(stack, certified_on="2008-03-01", at="2010-01-01T10:00", email="exam@example.org")
    at = "2022-06-01T10:00"  # the cycle ended 2011-02-28, eleven years ago
    options = member_call(
        stack, member, "GET", "/recertification-options", "/recertification-options?credential=RMA", at
    )["json"]
    assert options["paths"] == ["exam"] and options["reasons"][0]["code"] == "LAPSED_TOO_LONG"
    ccp = {"credential": "RMA", "path": "ccp", "felony_conviction": False, "attested": True, "activities": []}
    assert (
        member_call(stack, member, "POST", "/recertifications", "/recertifications", at, ccp)["json"]["error"]["code"]
        == "CCP_PATH_NOT_ALLOWED"
    )
    app = member_call(
        stack,
        member,
        "POST",
        "/recertifications",
        "/recertifications",
        at,
        {**ccp, "path": "exam", "felony_conviction": True},
    )["json"]
    member.pay(app["fee_invoice_id"], chicago(at), amount=150, reference="fee-exam")
    review = staff(stack, "GET", "/staff/recertifications", "/staff/recertifications?state=staff_review", at)["json"][
        "applications"
    ]
    assert [a["application_id"] for a in review] == [app["application_id"]]  # the felony answer routes to review
    base = f"/staff/recertifications/{app['application_id']}"
    authorized = staff(
        stack,
        "POST",
        "/staff/recertifications/{application_id}/decision",
        base + "/decision",
        at,
        {"decision": "approve", "member_note": "Book the exam at any test centre within six months."},
    )["json"]
    assert authorized["state"] == "exam_authorized"
    assert member.profile(chicago(at))["status"] == "must_recertify"
    [told] = emails_to(stack, "exam@example.org", "exam_authorized")
    assert told["subject"] == "You may now sit the RMA exam" and "within six months" in told["text"]
    result = staff(
        stack,
        "POST",
        "/staff/recertifications/{application_id}/exam-result",
        base + "/exam-result",
        "2022-07-20T10:00",
        {"passed": True, "exam_date": "2022-07-15"},
    )["json"]
    assert result["state"] == "reinstated" and [d["action"] for d in result["decisions"]] == ["approve", "exam_passed"]
    assert member.profile(chicago("2022-07-20T10:00"))["credentials"][0]["cycle_start"] == "2022-07-15"
    stack.drain_badges()
    assert [b["expires_at"] for b in stack.credly.live()] == ["2025-07-14"]


def rolled_over_with_a_badge(stack, email):
    """A member certified 2021-03-10 whose first cycle closed compliant on 2024-03-05: a badge is live."""
    member = new_member(stack, certified_on="2021-03-10", at="2021-04-01T10:00", email=email)
    member.record(chicago("2023-05-01T10:00"), end_date="2023-04-01")
    stack.job("renewal_notices", chicago("2024-03-01T06:00"))
    assert member.pay("RMA-20240310", chicago("2024-03-05T10:00"))["json"]["rolled_over"] is True
    stack.drain_badges()
    return member


def test_a_failed_audit_makes_the_member_recertify_and_revokes_the_badge(stack):
    member = rolled_over_with_a_badge(stack, "audited@example.org")
    assert len(stack.credly.live()) == 1

    from ccp_local.events import FakeLambdaContext, scheduled_event
    from recertify.audit_job import lambda_handler

    first = lambda_handler(scheduled_event(chicago("2025-01-15T07:00")), FakeLambdaContext())
    assert (first["year"], first["population"], first["selected"], first["audits_created"]) == (2024, 1, 1, 1)
    again = lambda_handler(scheduled_event(chicago("2025-01-16T07:00")), FakeLambdaContext())
    assert (again["seed"], again["population_sha256"], again["audits_created"]) == (
        first["seed"],
        first["population_sha256"],
        0,
    )
    assert len(emails_to(stack, "audited@example.org", "audit_notice")) == 1

    [audit] = member_call(stack, member, "GET", "/audits", "/audits", "2025-01-20T10:00")["json"]["audits"]
    assert (audit["state"], audit["deadline"], audit["cycle_start"]) == ("open", "2025-03-16", "2021-03-10")
    proof = upload(stack, member, "2025-01-20T10:00", purpose="audit", audit_id=audit["audit_id"])
    assert member_call(stack, member, "GET", "/audits", "/audits", "2025-01-20T10:00")["json"]["audits"][0][
        "document_ids"
    ] == [proof["document_id"]]
    listed = staff(stack, "GET", "/staff/audits", "/staff/audits?year=2024", "2025-02-01T10:00")["json"]["audits"]
    assert [a["audit_id"] for a in listed] == [audit["audit_id"]]
    decided = staff(
        stack,
        "POST",
        "/staff/audits/{audit_id}/decision",
        f"/staff/audits/{audit['audit_id']}/decision",
        "2025-02-01T10:00",
        {
            "decision": "failed",
            "note": "certificates do not match",
            "member_note": "The certificates you sent are for other courses than the entries audited.",
        },
    )
    assert decided["json"]["state"] == "failed"
    [told] = emails_to(stack, "audited@example.org", "audit_failed")
    assert "The certificates you sent are for other courses" in told["text"]
    assert "certificates do not match" not in told["text"]  # the internal note never reaches the member
    [staff_view] = decided["json"]["decisions"]
    assert (staff_view["by"], staff_view["note"]) != (None, None)  # staff see who and the internal note
    [seen] = member_call(stack, member, "GET", "/audits", "/audits", "2025-02-01T10:00")["json"]["audits"]
    assert [(d["action"], d["by"], d["note"], d["member_note"]) for d in seen["decisions"]] == [
        ("failed", None, None, "The certificates you sent are for other courses than the entries audited.")
    ]
    assert member.profile(chicago("2025-02-01T10:00"))["status"] == "must_recertify"
    stack.drain_badges()
    assert [b["state"] for b in stack.credly.badges.values()] == ["revoked"]


def test_an_unanswered_audit_fails_after_its_deadline(stack):
    member = new_member(stack, certified_on="2021-03-10", at="2021-04-01T10:00", email="silent@example.org")
    member.record(chicago("2023-05-01T10:00"), end_date="2023-04-01")
    stack.job("renewal_notices", chicago("2024-03-01T06:00"))
    member.pay("RMA-20240310", chicago("2024-03-05T10:00"))
    from ccp_local.events import FakeLambdaContext, eventbridge_event
    from recertify.audit_job import lambda_handler

    lambda_handler(
        eventbridge_event("Scheduled Event", {}, source="aws.scheduler", at=chicago("2025-01-15T07:00")),
        FakeLambdaContext(),
    )

    def expire(at: str) -> dict:
        return lambda_handler(
            eventbridge_event("Scheduled Event", {"task": "expire"}, source="aws.scheduler", at=chicago(at)),
            FakeLambdaContext(),
        )

    assert expire("2025-03-02T06:45")["audits_reminded"] == 1  # two weeks before the deadline, no proof yet
    expire("2025-03-02T06:45")  # the same run again
    [reminder] = emails_to(stack, "silent@example.org", "audit_reminder")
    assert "by 2025-03-16" in reminder["text"] and reminder["subject"].startswith("Two weeks left")
    assert expire("2025-03-16T06:45")["audits_failed_for_no_answer"] == 0
    assert expire("2025-03-17T06:45")["audits_failed_for_no_answer"] == 1
    assert member.profile(chicago("2025-03-17T10:00"))["status"] == "must_recertify"
    assert expire("2025-03-17T06:45")["audits_failed_for_no_answer"] == 0  # the same run again
    [told] = emails_to(stack, "silent@example.org", "audit_failed")
    assert "No proof arrived by the deadline." in told["text"] and "must now be recertified" in told["text"]


def test_documents_are_limited_by_type_and_size_and_private_to_their_member(stack):
    member = new_member(stack)
    other = new_member(stack, email="other@example.org")
    at = "2026-01-05T10:00"
    bad_type = member_call(
        stack,
        member,
        "POST",
        "/documents",
        "/documents",
        at,
        {"purpose": "recertification", "content_type": "text/html", "filename": "x.html", "size_bytes": 10},
    )
    too_big = member_call(
        stack,
        member,
        "POST",
        "/documents",
        "/documents",
        at,
        {
            "purpose": "recertification",
            "content_type": "image/png",
            "filename": "x.png",
            "size_bytes": 11 * 1024 * 1024,
        },
    )
    assert (bad_type["json"]["error"]["code"], too_big["json"]["error"]["code"]) == (
        "UNSUPPORTED_DOCUMENT_TYPE",
        "DOCUMENT_TOO_LARGE",
    )
    created = upload(stack, member, at)
    policy = json.loads(base64.b64decode(created["upload"]["fields"]["policy"]))
    assert ["content-length-range", 1, 10 * 1024 * 1024] in policy["conditions"]
    assert {"Content-Type": "application/pdf"} in policy["conditions"]
    assert {"x-amz-server-side-encryption": "AES256"} in policy["conditions"]
    resource = "/members/{member_id}/documents/{document_id}"
    own = call(
        stack, "GET", resource, f"/members/{member.member_id}/documents/{created['document_id']}", at, member.claims
    )
    assert own["statusCode"] == 200 and own["json"]["download_url"].startswith("http")
    assert (
        call(
            stack,
            "GET",
            resource,
            f"/members/{member.member_id}/documents/{created['document_id']}",
            at,
            member_claims(other.member_id),
        )["statusCode"]
        == 403
    )
    assert (
        call(
            stack,
            "GET",
            resource,
            f"/members/{member.member_id}/documents/{created['document_id']}",
            at,
            staff_claims(),
        )["statusCode"]
        == 200
    )


def test_applying_while_active_is_a_conflict_and_staff_routes_need_the_staff_group(stack):
    member = new_member(stack)
    body = {"credential": "RMA", "path": "exam", "felony_conviction": False, "attested": True}
    response = member_call(stack, member, "POST", "/recertifications", "/recertifications", "2026-01-05T10:00", body)
    assert (response["statusCode"], response["json"]["error"]["code"]) == (409, "NOT_ELIGIBLE")
    queue = call(stack, "GET", "/staff/recertifications", "/staff/recertifications", "2026-01-05T10:00", member.claims)
    assert queue["statusCode"] == 403


def audited(stack, email):
    """A member who rolled over in 2024 and was drawn for the January 2025 audit; (member, audit)."""
    from ccp_local.events import FakeLambdaContext, scheduled_event
    from recertify.audit_job import lambda_handler

    member = new_member(stack, certified_on="2021-03-10", at="2021-04-01T10:00", email=email)
    member.record(chicago("2023-05-01T10:00"), end_date="2023-04-01")
    stack.job("renewal_notices", chicago("2024-03-01T06:00"))
    member.pay("RMA-20240310", chicago("2024-03-05T10:00"))
    lambda_handler(scheduled_event(chicago("2025-01-15T07:00")), FakeLambdaContext())
    [audit] = member_call(stack, member, "GET", "/audits", "/audits", "2025-01-20T10:00")["json"]["audits"]
    return member, audit


def test_an_audit_passes_only_on_a_document_that_was_really_uploaded(stack):
    member, audit = audited(stack, "audited@example.org")
    form_only = {
        "purpose": "audit",
        "content_type": "application/pdf",
        "filename": "proof.pdf",
        "size_bytes": 2048,
        "audit_id": audit["audit_id"],
    }
    assert (
        member_call(stack, member, "POST", "/documents", "/documents", "2025-01-20T10:00", form_only)["statusCode"]
        == 201
    )
    path = f"/staff/audits/{audit['audit_id']}/decision"
    refused = staff(
        stack, "POST", "/staff/audits/{audit_id}/decision", path, "2025-02-01T10:00", {"decision": "passed"}
    )
    assert (refused["statusCode"], refused["json"]["error"]["code"]) == (409, "NO_UPLOADED_DOCUMENT")
    upload(stack, member, "2025-01-21T10:00", purpose="audit", audit_id=audit["audit_id"])
    passed = staff(
        stack,
        "POST",
        "/staff/audits/{audit_id}/decision",
        path,
        "2025-02-01T10:00",
        {"decision": "passed", "note": "internal: checked with the provider"},
    )
    assert (
        passed["json"]["state"] == "passed"
        and passed["json"]["decisions"][0]["note"] == "internal: checked with the provider"
    )
    # The member sees the outcome, not who decided or the staff's note.
    [seen] = member_call(stack, member, "GET", "/audits", "/audits", "2025-02-02T10:00")["json"]["audits"]
    assert [(d["action"], d["by"], d["note"]) for d in seen["decisions"]] == [("passed", None, None)]


def test_nobody_decides_their_own_case(stack):
    member, audit = audited(stack, "audited@example.org")
    upload(stack, member, "2025-01-21T10:00", purpose="audit", audit_id=audit["audit_id"])
    staff_and_member = {**staff_claims(), "custom:member_id": member.member_id}
    own = call(
        stack,
        "POST",
        "/staff/audits/{audit_id}/decision",
        f"/staff/audits/{audit['audit_id']}/decision",
        "2025-02-01T10:00",
        staff_and_member,
        {"decision": "passed"},
    )
    assert (own["statusCode"], own["json"]["error"]["code"]) == (403, "OWN_CASE")
    assert (
        member_call(stack, member, "GET", "/audits", "/audits", "2025-02-02T10:00")["json"]["audits"][0]["state"]
        == "open"
    )


def test_a_ccp_application_needs_an_uploaded_supporting_document(stack):
    member = new_member(stack, certified_on="2019-05-10", at="2022-06-01T10:00", email="lapsed@example.org")
    application = {
        "credential": "RMA",
        "path": "ccp",
        "felony_conviction": False,
        "attested": True,
        "document_ids": [],
        "activities": [
            {
                "category": "formal_education",
                "title": "Anatomy",
                "points": 30,
                "start_date": "2027-01-10",
                "end_date": "2027-05-01",
            }
        ],
    }
    refused = member_call(
        stack, member, "POST", "/recertifications", "/recertifications", "2028-06-01T10:00", application
    )
    assert (refused["statusCode"], refused["json"]["error"]["code"]) == (422, "DOCUMENT_REQUIRED")


def test_a_failed_audit_does_not_change_the_status_of_the_days_before_it(stack):
    member, audit = audited(stack, "audited@example.org")
    path = f"/staff/audits/{audit['audit_id']}/decision"
    assert (
        staff(stack, "POST", "/staff/audits/{audit_id}/decision", path, "2025-02-01T10:00", {"decision": "failed"})[
            "json"
        ]["state"]
        == "failed"
    )
    assert member.profile(chicago("2025-02-01T10:00"))["status"] == "must_recertify"
    assert member.profile(chicago("2025-01-31T10:00"))["status"] == "active"


def test_the_entries_of_an_audited_cycle_cannot_change(stack):
    member, audit = audited(stack, "audited@example.org")
    listed = stack.api(
        "record_ce.handler.lambda_handler",
        "GET",
        "/members/{member_id}/ce-activities",
        f"/members/{member.member_id}/ce-activities",
        claims=member.claims,
        at=chicago("2025-01-20T10:00"),
    )["json"]["activities"]
    audited_entry = next(a for a in listed if a["cycle_start"]["RMA"] == audit["cycle_start"])
    resource, path = (
        "/members/{member_id}/ce-activities/{activity_id}",
        f"/members/{member.member_id}/ce-activities/{audited_entry['activity_id']}",
    )
    patched = stack.api(
        "record_ce.handler.lambda_handler",
        "PATCH",
        resource,
        path,
        claims=member.claims,
        at=chicago("2025-01-20T10:00"),
        body={"points": 60, "attested": True},
    )
    deleted = stack.api(
        "record_ce.handler.lambda_handler",
        "DELETE",
        resource,
        path,
        claims=member.claims,
        at=chicago("2025-01-20T10:00"),
    )
    assert [r["json"]["error"]["code"] for r in (patched, deleted)] == ["CYCLE_FROZEN", "CYCLE_FROZEN"]


def test_a_renamed_member_gets_their_badge_issued_again_in_the_new_name_once(stack):
    member = rolled_over_with_a_badge(stack, "renamed@example.org")
    [first] = stack.credly.live()
    renamed = stack.api(
        "record_ce.handler.lambda_handler",
        "PATCH",
        "/staff/members/{member_id}",
        f"/staff/members/{member.member_id}",
        claims=staff_claims(),
        at=chicago("2024-06-01T10:00"),
        body={"last_name": "Newname", "reason": "marriage certificate seen"},
    )
    assert renamed["statusCode"] == 200, renamed
    stack.drain_badges()
    [live] = stack.credly.live("pending")
    assert (live["issued_to_first_name"], live["issued_to_last_name"]) == ("Ann", "Newname")
    assert stack.credly.badges[first["id"]]["state"] == "revoked"
    assert member.profile(chicago("2024-06-01T10:00"))["credentials"][0]["status"] == "active"
    from recertify.badges import handle_event

    redelivered = {"detail-type": "MemberRenamed", "detail": {"member_id": member.member_id}}
    assert handle_event(redelivered) == {"action": "reissued", "credentials": []}  # a second delivery
    assert [b["issued_to_last_name"] for b in stack.credly.live("pending")] == ["Newname"]


def test_a_rejected_application_and_a_failed_exam_are_told_to_the_member_once_in_their_words(stack):
    member = new_member(stack, certified_on="2008-03-01", at="2010-01-01T10:00", email="rejected@example.org")
    at = "2022-06-01T10:00"
    exam = {"credential": "RMA", "path": "exam", "felony_conviction": False, "attested": True, "activities": []}

    def apply_and_pay(reference):
        app = member_call(stack, member, "POST", "/recertifications", "/recertifications", at, exam)["json"]
        member.pay(app["fee_invoice_id"], chicago(at), amount=150, reference=reference)
        return f"/staff/recertifications/{app['application_id']}"

    base = apply_and_pay("fee-1")
    [received] = emails_to(stack, "rejected@example.org", "application_received")
    assert received["subject"] == "We received your RMA recertification application"
    assert "to recertify your RMA certification by exam, and its fee" in received["text"]
    decision = {
        "decision": "reject",
        "note": "applicant known to the board",
        "member_note": "Your application lacks the signed attestation page; send it with a new application.",
    }
    rejected = staff(
        stack, "POST", "/staff/recertifications/{application_id}/decision", base + "/decision", at, decision
    )
    assert rejected["json"]["state"] == "rejected"
    again = staff(stack, "POST", "/staff/recertifications/{application_id}/decision", base + "/decision", at, decision)
    assert again["statusCode"] == 409
    [told] = emails_to(stack, "rejected@example.org", "application_rejected")
    assert "lacks the signed attestation page" in told["text"]
    assert "known to the board" not in told["text"] and "reject" not in told["subject"].split()

    base = apply_and_pay("fee-2")
    staff(
        stack,
        "POST",
        "/staff/recertifications/{application_id}/decision",
        base + "/decision",
        at,
        {"decision": "approve"},
    )
    failed = staff(
        stack,
        "POST",
        "/staff/recertifications/{application_id}/exam-result",
        base + "/exam-result",
        "2022-07-20T10:00",
        {"passed": False, "exam_date": "2022-07-15"},
    )
    assert failed["json"]["state"] == "exam_failed"
    [result] = emails_to(stack, "rejected@example.org", "exam_failed")
    assert "sat on 2022-07-15 was not passed" in result["text"]
    assert "No further words were given" in result["text"]  # no member_note: a plain sentence, never None
    assert len(emails_to(stack, "rejected@example.org", "application_received")) == 2  # one per application
    for email in emails_to(stack, "rejected@example.org"):
        assert "None" not in email["text"] and "{{" not in email["text"] and "exam_failed" not in email["text"]
