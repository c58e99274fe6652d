"""CE from the body's own courses arrives as an EventBridge event and is recorded once."""

import pytest

from ccp.errors import InvalidEvent
from ccp_local.events import FakeLambdaContext, eventbridge_event
from tests.integration.helpers import at, ce_body


def completion(member_id, **overrides):
    detail = {
        "completion_id": "lms-42",
        "member_id": member_id,
        "course_title": "Bloodborne pathogens",
        "points": 2,
        "completed_on": "2026-05-01",
    }
    return eventbridge_event(
        "CourseCompleted", {**detail, **overrides}, source="ccp.courses", at=at("2026-05-01T18:00:00")
    )


def test_a_course_completion_delivered_three_times_is_recorded_once(member):
    from record_ce.course_completed import lambda_handler

    results = [lambda_handler(completion(member.member_id), FakeLambdaContext()) for _ in range(3)]
    assert results[0]["recorded"] is True
    assert [r["reason"] for r in results[1:]] == ["DUPLICATE_ACTIVITY", "DUPLICATE_ACTIVITY"]
    assert member.progress()["recorded_points"] == 2
    listed = member.call("GET", "/ce-activities")["json"]["activities"]
    assert [a["source"] for a in listed] == ["course_platform"]


def test_a_members_manual_copy_of_an_auto_recorded_course_is_a_duplicate(member):
    from record_ce.course_completed import COURSE_PROVIDER, lambda_handler

    lambda_handler(completion(member.member_id), FakeLambdaContext())
    manual = member.record(
        body=ce_body(
            title="bloodborne pathogens",
            provider=COURSE_PROVIDER,
            points=2,
            start_date="2026-05-01",
            end_date="2026-05-01",
        )
    )
    assert manual["statusCode"] == 409


def test_a_malformed_course_event_is_refused_and_changes_nothing(member):
    from record_ce.course_completed import lambda_handler

    with pytest.raises(InvalidEvent):
        lambda_handler(completion(member.member_id, points="lots"), FakeLambdaContext())
    assert member.progress()["recorded_points"] == 0


def test_a_member_cannot_rewrite_or_remove_a_course_platform_record(member):
    from record_ce.course_completed import lambda_handler

    lambda_handler(completion(member.member_id), FakeLambdaContext())
    [activity] = member.call("GET", "/ce-activities")["json"]["activities"]
    patched = member.call("PATCH", f"/ce-activities/{activity['activity_id']}", body={"points": 100, "attested": True})
    assert (patched["statusCode"], patched["json"]["error"]["code"]) == (409, "VERIFIED_RECORD")
    deleted = member.call("DELETE", f"/ce-activities/{activity['activity_id']}")
    assert (deleted["statusCode"], deleted["json"]["error"]["code"]) == (409, "VERIFIED_RECORD")
    assert member.progress()["recorded_points"] == 2


def test_staff_correct_a_course_platform_record_only_with_a_reason_kept_in_its_history(member):
    from ccp.data.activities import ActivityRepository
    from ccp.data.dynamo import table
    from ccp_local.events import staff_claims
    from record_ce.course_completed import lambda_handler

    lambda_handler(completion(member.member_id), FakeLambdaContext())
    [activity] = member.call("GET", "/ce-activities")["json"]["activities"]
    path = f"/ce-activities/{activity['activity_id']}"
    no_reason = member.call("PATCH", path, body={"points": 3, "attested": True}, claims=staff_claims())
    assert (no_reason["statusCode"], no_reason["json"]["error"]["code"]) == (422, "REASON_REQUIRED")
    fixed = member.call(
        "PATCH", path, body={"points": 3, "attested": True, "reason": "LMS sent the wrong hours"}, claims=staff_claims()
    )
    assert fixed["statusCode"] == 200, fixed
    assert member.progress()["recorded_points"] == 3
    stored = ActivityRepository(table()).activity(member.member_id, activity["activity_id"])
    assert [(h.action, h.note) for h in stored.history] == [("corrected", "LMS sent the wrong hours")]
    assert stored.source == "course_platform"
