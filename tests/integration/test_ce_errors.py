"""Every bad input gets the docs/api.md error body, a 4xx and a machine-readable code; never a 5xx."""

import pytest

from tests.integration.helpers import ce_body

RULE_CASES = [
    ("NOT_ATTESTED", ce_body(attested=False)),
    ("FUTURE_DATE", ce_body(start_date="2026-06-20", end_date="2026-06-20")),
    ("INVALID_DATE_RANGE", ce_body(start_date="2026-02-01", end_date="2026-01-01")),
    ("COMPLETED_BEFORE_CYCLE", ce_body(start_date="2025-01-01", end_date="2025-03-09")),
    (
        "EMPLOYMENT_AFTER_CUTOFF",
        ce_body(category="employment", title="Clinic", start_date="2025-04-01", end_date="2026-04-01"),
    ),
    ("POINTS_OUT_OF_RANGE", ce_body(points=100.5)),
    ("POINTS_OUT_OF_RANGE", ce_body(points=0)),
    ("CREDENTIAL_NOT_HELD", ce_body(credentials=["MLS"])),
    ("UNKNOWN_CREDENTIAL", ce_body(credentials=["XYZ"])),
    ("UNKNOWN_FIELD", {**ce_body(), "counted_points": 99}),
    ("UNKNOWN_FIELD", {**ce_body(), "status": "active"}),
    ("UNKNOWN_FIELD", {**ce_body(), "member_id": "SOMEONE"}),
    ("VALIDATION_ERROR", ce_body(category="gardening")),
    ("POINTS_OUT_OF_RANGE", ce_body(points=1.234)),
    ("VALIDATION_ERROR", ce_body(points="5")),
    ("VALIDATION_ERROR", ce_body(attested="yes")),
    ("VALIDATION_ERROR", ce_body(start_date="15/01/2026")),
    ("VALIDATION_ERROR", ce_body(credentials=[])),
]


@pytest.mark.parametrize("code,body", RULE_CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(RULE_CASES)])
def test_a_rule_breaking_activity_is_a_422_naming_the_rule(member, code, body):
    response = member.record(body=body)
    assert response["statusCode"] == 422, response
    assert response["json"]["error"]["code"] == code
    assert response["json"]["error"]["message"]
    assert member.progress()["recorded_points"] == 0


def test_malformed_json_is_a_400(member):
    response = member.call("POST", "/ce-activities", raw_body='{"credentials": [')
    assert response["statusCode"] == 400
    assert response["json"]["error"]["code"] == "MALFORMED_JSON"


def test_a_form_body_is_refused_with_415_rather_than_misread(member):
    response = member.call(
        "POST", "/ce-activities", raw_body="title=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response["statusCode"] == 415
    assert response["json"]["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_bad_member_id_in_the_path_is_a_422(api):
    from ccp_local.events import staff_claims

    response = api.call("GET", "/members/{member_id}", "/members/bad$id", claims=staff_claims())
    assert response["statusCode"] == 422


def test_an_unknown_activity_is_a_404(member):
    response = member.call("PATCH", "/ce-activities/NOPE", body={"points": 1, "attested": True})
    assert response["statusCode"] == 404
    assert response["json"]["error"]["code"] == "ACTIVITY_NOT_FOUND"


def test_a_correction_must_be_attested_and_follow_the_rules(member):
    activity_id = member.record()["json"]["activity_id"]
    unattested = member.call("PATCH", f"/ce-activities/{activity_id}", body={"points": 2, "attested": False})
    assert unattested["json"]["error"]["code"] == "NOT_ATTESTED"
    early = member.call(
        "PATCH",
        f"/ce-activities/{activity_id}",
        body={"start_date": "2024-01-01", "end_date": "2024-01-02", "attested": True},
    )
    assert early["json"]["error"]["code"] == "COMPLETED_BEFORE_CYCLE"
    assert member.progress()["recorded_points"] == 5


# Found by the fuzzing suite (tests/proof/test_fuzzing.py); each was a 500 or a schema mismatch.


def test_a_body_that_is_not_utf8_is_malformed_json_not_a_crash(member):
    import base64

    response = member.call(
        "POST",
        "/ce-activities",
        raw_body=base64.b64encode(b"\x91\xff").decode(),
        is_base64=True,
        headers={"Content-Type": "application/json"},
    )
    assert response["statusCode"] == 400
    assert response["json"]["error"]["code"] == "MALFORMED_JSON"


def test_a_correction_cannot_set_a_fact_to_null(member):
    activity_id = member.record()["json"]["activity_id"]
    response = member.call("PATCH", f"/ce-activities/{activity_id}", body={"points": None, "attested": True})
    assert response["statusCode"] == 422
    assert response["json"]["error"]["code"] == "VALIDATION_ERROR"
    assert member.progress()["recorded_points"] == 5


def test_an_undeclared_method_on_a_known_path_is_a_405_naming_the_allowed_ones(member):
    response = member.call("PUT", "/ce-activities")
    assert response["statusCode"] == 405
    assert response["json"]["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert response["multiValueHeaders"]["Allow"] == ["GET, POST"]


HOSTILE_BODIES = [
    ("nested 5,000 deep", "[" * 5000 + "]" * 5000),
    ("a 5,000-digit integer", '{"points": ' + "9" * 5000 + "}"),
    (
        "a 5,000-digit integer among valid fields",
        '{"credentials": ["RMA"], "category": "formal_education", "title": "x", "points": '
        + "9" * 5000
        + ', "start_date": "2026-01-05", "end_date": "2026-01-05", "attested": true}',
    ),
]


@pytest.mark.parametrize("body", [b for _, b in HOSTILE_BODIES], ids=[n for n, _ in HOSTILE_BODIES])
def test_json_python_cannot_read_is_a_400_not_a_crash(member, body):
    response = member.call("POST", "/ce-activities", raw_body=body)
    assert (response["statusCode"], response["json"]["error"]["code"]) == (400, "MALFORMED_JSON")
    assert member.progress()["recorded_points"] == 0


@pytest.mark.parametrize("cycle", ["9999-12-31", "0001-01-01", "2099-01-01"])
def test_a_transcript_of_a_cycle_far_in_the_past_or_future_is_a_422(member, cycle):
    response = member.call("GET", f"/transcript?cycle={cycle}")
    assert (response["statusCode"], response["json"]["error"]["code"]) == (422, "INVALID_CYCLE")
