"""Recording CE through the real handler against a table built from the template."""

import pytest

from ccp_local.events import staff_claims
from tests.integration.helpers import at, ce_body


def test_recording_ce_returns_its_id_and_counted_points_and_updates_progress_at_once(member):
    created = member.record(points=12.5)
    assert created["statusCode"] == 201
    assert created["json"]["counted_points"] == 12.5
    progress = member.progress()
    assert progress["recorded_points"] == 12.5
    assert progress["counted_points"] == 12.5
    assert progress["remaining_points"] == 17.5
    assert progress["by_category"]["professional_education"] == {
        "recorded": 12.5,
        "counted": 12.5,
        "cap": None,
        "label": "Professional Education",
        "guidance": "1 point per contact hour (1 CEU = 10 points)",  # from the rule table, for the portal's form
    }


def test_points_over_a_cap_are_recorded_but_not_counted(member):
    response = member.record(category="authorship", title="Article", points=20)
    assert response["json"]["counted_points"] == 15
    progress = member.progress()
    assert {k: progress["by_category"]["authorship"][k] for k in ("recorded", "counted", "cap")} == {
        "recorded": 20,
        "counted": 15,
        "cap": 15,
    }


def test_the_same_activity_twice_is_a_409_duplicate(member):
    assert member.record()["statusCode"] == 201
    again = member.record(body=ce_body(title="  INFECTION control ", provider="red cross"))
    assert again["statusCode"] == 409
    assert again["json"]["error"]["code"] == "DUPLICATE_ACTIVITY"
    assert member.progress()["recorded_points"] == 5


def test_the_same_course_under_another_category_is_a_409_duplicate(member):
    assert member.record()["statusCode"] == 201
    again = member.record(body=ce_body(title="Infection Control", category="organizational_participation"))
    assert (again["statusCode"], again["json"]["error"]["code"]) == (409, "DUPLICATE_ACTIVITY")
    assert member.progress()["recorded_points"] == 5


def test_one_activity_can_count_for_several_held_credentials(api, new_member):
    from tests.integration.helpers import MemberApi

    member_id, claims = new_member(
        credentials=[{"code": "MLS", "certified_on": "2024-09-01"}, {"code": "MLT", "certified_on": "2025-01-15"}]
    )
    member = MemberApi(api, member_id, claims)
    response = member.record(
        credentials=["MLS", "MLT"],
        category="formal_education",
        points=45,
        start_date="2025-02-01",
        end_date="2025-05-01",
    )
    assert response["json"]["counted_by_credential"] == {"MLS": 45, "MLT": 45}
    assert member.progress("MLS")["remaining_points"] == 0
    assert member.progress("MLT")["remaining_points"] == 0


def test_the_old_name_mt_records_for_mls(api, new_member):
    from tests.integration.helpers import MemberApi

    member_id, claims = new_member(credentials=[{"code": "MT", "certified_on": "2024-09-01"}])
    member = MemberApi(api, member_id, claims)
    assert member.record(credentials=["mt"])["json"]["counted_by_credential"] == {"MLS": 5}


def test_met_on_is_the_chicago_date_of_the_recording_request(member):
    # 03:00 UTC on 16 June is 22:00 on 15 June in Chicago.
    member.record(category="formal_education", points=30, at=at("2026-06-16T03:00:00"))
    assert member.progress()["met_on"] == "2026-06-15"


def test_correcting_an_entry_moves_its_points(member):
    activity_id = member.record(points=10)["json"]["activity_id"]
    patched = member.call(
        "PATCH", f"/ce-activities/{activity_id}", body={"points": 4, "category": "authorship", "attested": True}
    )
    assert patched["statusCode"] == 200, patched
    progress = member.progress()
    assert progress["recorded_points"] == 4
    assert progress["by_category"]["authorship"]["recorded"] == 4
    assert progress["by_category"]["professional_education"]["recorded"] == 0


def test_deleting_an_entry_takes_its_points_back_and_allows_recording_it_again(member):
    activity_id = member.record(points=10)["json"]["activity_id"]
    assert member.call("DELETE", f"/ce-activities/{activity_id}")["statusCode"] == 204
    assert member.progress()["recorded_points"] == 0
    assert member.call("DELETE", f"/ce-activities/{activity_id}")["statusCode"] == 404
    assert member.record(points=10)["statusCode"] == 201


def test_entries_of_a_rolled_over_cycle_are_frozen(member, table):
    from datetime import date

    from ccp.data.members import MemberRepository

    activity_id = member.record()["json"]["activity_id"]
    repository = MemberRepository(table)
    credential = repository.credentials(member.member_id)[0]
    repository.put_credential(
        credential.model_copy(
            update={"cycle_start": date(2028, 3, 10), "cycle_end": date(2031, 3, 9), "recorded": {}, "eligible": {}}
        )
    )
    for method, body in (("PATCH", {"points": 1, "attested": True}), ("DELETE", None)):
        response = member.call(method, f"/ce-activities/{activity_id}", body=body)
        assert response["statusCode"] == 409
        assert response["json"]["error"]["code"] == "CYCLE_FROZEN"


def test_listing_filters_by_credential_and_cycle(member):
    member.record(title="A")
    member.record(title="B")
    listed = member.call("GET", "/ce-activities?credential=RMA&cycle=current")["json"]["activities"]
    assert sorted(a["title"] for a in listed) == ["A", "B"]
    assert member.call("GET", "/ce-activities?cycle=2019-01-01")["json"]["activities"] == []
    assert member.call("GET", "/ce-activities?cycle=soon")["json"]["error"]["code"] == "INVALID_CYCLE"


def test_the_same_idempotency_key_and_body_return_the_first_response_and_record_once(member):
    headers = {"Idempotency-Key": "retry-123"}
    first = member.record(headers=headers)
    second = member.record(headers=headers)
    assert first["statusCode"] == second["statusCode"] == 201
    assert first["json"] == second["json"]
    assert member.progress()["recorded_points"] == 5
    reused = member.record(body=ce_body(points=6), headers=headers)
    assert reused["statusCode"] == 422
    assert reused["json"]["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_transcript_as_csv_pdf_and_json(member):
    member.record(title="=HYPERLINK(evil)")
    csv = member.call("GET", "/transcript?format=csv")
    assert csv["content_type"].startswith("text/csv")
    assert csv["body"].splitlines()[0].startswith("credential,cycle_start,cycle_end,activity_id")
    assert "'=HYPERLINK(evil)" in csv["body"]
    header, row = csv["body"].splitlines()[:2]
    assert dict(zip(header.split(","), row.split(","), strict=True))["earned_not_counted"] == "0"
    pdf = member.call("GET", "/transcript", headers={"Accept": "application/pdf"})
    assert pdf["content_type"] == "application/pdf" and pdf["isBase64Encoded"]
    import base64

    assert base64.b64decode(pdf["body"]).startswith(b"%PDF")
    document = member.call("GET", "/transcript?credential=RMA")["json"]
    assert document["sections"][0]["credential"] == "RMA"
    assert document["sections"][0]["activities"][0]["points"] == 5
    assert document["sections"][0]["activities"][0]["earned_not_counted"] == 0


def test_members_see_only_their_own_records(member, new_member):
    other_id, _ = new_member()
    response = member.api.call(
        "GET", "/members/{member_id}/progress", f"/members/{other_id}/progress", claims=member.claims
    )
    assert response["statusCode"] == 403
    assert response["json"]["error"]["code"] == "FORBIDDEN"


def test_staff_can_read_any_member(member):
    assert member.call("GET", "", claims=staff_claims())["statusCode"] == 200


def test_no_token_is_401(member):
    response = member.api.call("GET", "/members/{member_id}", f"/members/{member.member_id}", claims=None)
    assert response["statusCode"] == 401


def test_an_unknown_member_is_404(api):
    response = api.call("GET", "/members/{member_id}", "/members/NOBODY", claims=staff_claims())
    assert response["statusCode"] == 404
    assert response["json"]["error"]["code"] == "MEMBER_NOT_FOUND"


def test_a_bad_body_sent_to_someone_elses_records_is_403_not_a_schema_error(member, new_member):
    other_id, _ = new_member()
    response = member.api.call(
        "POST",
        "/members/{member_id}/ce-activities",
        f"/members/{other_id}/ce-activities",
        claims=member.claims,
        body={"nonsense": True},
    )
    assert response["statusCode"] == 403


def test_anyone_can_verify_a_credential_and_learns_nothing_personal_beyond_the_name(table, new_member):
    from record_ce.verify_handler import lambda_handler as verify_handler
    from tests.integration.conftest import Api

    member_id, _ = new_member()  # RMA certified 2025-03-10
    public = Api(verify_handler)

    def verify(who: str, when: str) -> dict:
        return public.call("GET", "/verify/{member_id}", f"/verify/{who}", claims=None, at=at(when))

    answer = verify(member_id, "2025-06-01T12:00:00")
    assert answer["statusCode"] == 200, answer
    assert answer["json"] == {
        "member_id": member_id,
        "name": "Pat Lee",
        "credentials": [
            {
                "code": "RMA",
                "name": "Registered Medical Assistant",
                "certified_on": "2025-03-10",
                "status": "active",
                "valid_through": "2026-03-31",  # the next fee falls due on 31 March 2026
            }
        ],
    }
    unknown = verify("MNOSUCH", "2025-06-01T12:00:00")
    assert (unknown["statusCode"], unknown["json"]["error"]["code"]) == (404, "MEMBER_NOT_FOUND")


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_an_edit_that_keeps_losing_the_race_for_one_activity_is_a_409_the_portal_explains(member, monkeypatch, method):
    """Each attempt finds the activity changed by another session (its write's version check fails):
    after the retries on fresh data, the member hears 409 EDITED_MEANWHILE, not a 503."""
    from ccp.data.activities import ActivityRepository
    from ccp.data.writes import StaleWrite

    activity_id = member.record()["json"]["activity_id"]
    writes = []

    def always_stale(self, *args, **kwargs):
        writes.append(1)
        raise StaleWrite()

    monkeypatch.setattr(ActivityRepository, "replace_activity", always_stale)
    monkeypatch.setattr(ActivityRepository, "delete_activity", always_stale)
    body = {"points": 4, "attested": True} if method == "PATCH" else None
    response = member.call(method, f"/ce-activities/{activity_id}", body=body)
    assert (response["statusCode"], response["json"]["error"]["code"]) == (409, "EDITED_MEANWHILE")
    assert "Reload" in response["json"]["error"]["message"]
    assert len(writes) == 4  # retried on fresh reads before giving up
    monkeypatch.undo()
    assert member.progress()["recorded_points"] == 5  # nothing applied
