from ccp_local.events import staff_claims

ADDRESS = {"line1": "1 Main St", "city": "Chicago", "state": "IL", "postal_code": "60601"}


def create(api, credentials, claims=None, **extra):
    body = {
        "first_name": "Ann",
        "last_name": "Bee",
        "email": "Ann.Bee@Example.org",
        "mailing_address": ADDRESS,
        "credentials": credentials,
        **extra,
    }
    return api.call("POST", "/staff/members", body=body, claims=claims or staff_claims())


def test_staff_create_a_member_in_the_cycle_that_holds_today(api):
    created = create(api, [{"code": "RMA", "certified_on": "2019-05-01"}])
    assert created["statusCode"] == 201
    member_id = created["json"]["member_id"]
    member = api.call("GET", "/members/{member_id}", f"/members/{member_id}", claims=staff_claims())["json"]
    assert member["email"] == "ann.bee@example.org"
    assert member["status"] == "active"
    # 2019-05-01 -> 2022-04-30, then 2022-05-01 -> 2025-04-30, then 2025-05-01 -> 2028-04-30 (today is 2026-06-15).
    assert member["credentials"] == [
        {
            "code": "RMA",
            "certified_on": "2019-05-01",
            "grandfathered": False,
            "status": "active",
            "cycle_start": "2025-05-01",
            "cycle_end": "2028-04-30",
        }
    ]


def test_members_certified_before_2006_are_grandfathered(api):
    member_id = create(api, [{"code": "RPT", "certified_on": "2005-12-31"}])["json"]["member_id"]
    member = api.call("GET", "/members/{member_id}", f"/members/{member_id}", claims=staff_claims())["json"]
    assert member["credentials"][0]["grandfathered"] is True
    progress = api.call(
        "GET", "/members/{member_id}/progress", f"/members/{member_id}/progress", claims=staff_claims()
    )["json"]
    assert progress[0]["required_points"] == 0


def test_refusals_when_creating_members(api):
    from ccp_local.events import member_claims

    cases = [
        ([{"code": "RMA", "certified_on": "2027-01-01"}], "FUTURE_DATE"),
        ([{"code": "RMA", "certified_on": "2010-01-01", "grandfathered": True}], "NOT_GRANDFATHERED"),
        (
            [{"code": "RMA", "certified_on": "2010-01-01"}, {"code": "rma", "certified_on": "2011-01-01"}],
            "DUPLICATE_CREDENTIAL",
        ),
        ([{"code": "ZZZ", "certified_on": "2010-01-01"}], "UNKNOWN_CREDENTIAL"),
    ]
    for credentials, code in cases:
        response = create(api, credentials)
        assert (response["statusCode"], response["json"]["error"]["code"]) == (422, code)
    assert (
        create(api, [{"code": "RMA", "certified_on": "2010-01-01"}], status="active")["json"]["error"]["code"]
        == "UNKNOWN_FIELD"
    )
    assert create(api, [{"code": "RMA", "certified_on": "2010-01-01"}], claims=member_claims("M1"))["statusCode"] == 403


def test_creating_a_member_twice_with_one_idempotency_key_creates_one(api):
    headers = {"Idempotency-Key": "import-row-7"}
    body = {
        "first_name": "Ann",
        "last_name": "Bee",
        "email": "a@b.org",
        "credentials": [{"code": "RMA", "certified_on": "2019-05-01"}],
    }
    first = api.call("POST", "/staff/members", body=body, claims=staff_claims(), headers=headers)
    second = api.call("POST", "/staff/members", body=body, claims=staff_claims(), headers=headers)
    assert first["json"]["member_id"] == second["json"]["member_id"]


def test_staff_find_members_by_id_email_or_the_start_of_a_last_name_with_one_query_each(api, new_member):
    from urllib.parse import urlencode

    from ccp.data.dynamo import table
    from ccp_local.counting import counted_requests

    santos, _ = new_member(first_name="Rosa", last_name="Santos", email="Rosa.Santos@Example.org")
    sanchez, _ = new_member(first_name="Luis", last_name="Sánchez", email="luis@example.org")
    oneil, _ = new_member(first_name="Aoife", last_name="O'Neil", email="aoife@example.org")

    def search(q, **more):
        path = "/staff/members?" + urlencode({"q": q, **more})
        return api.call("GET", "/staff/members", path, claims=staff_claims())

    def found(q, **more):
        response = search(q, **more)
        assert response["statusCode"] == 200, response
        return [m["member_id"] for m in response["json"]["members"]]

    with counted_requests(table().meta.client) as counts:
        assert found("san") == [sanchez, santos]  # accents folded, ordered by name
    assert dict(counts) == {"Query": 1}
    assert found("Santo") == [santos]
    assert found("oneil") == found("O'N") == [oneil]
    assert found(" rosa.santos@EXAMPLE.org ") == [santos]  # an email, case folded
    assert found(santos.lower()) == [santos]
    assert found("MFFFFFFFFFF") == [] and found("nobody@example.org") == [] and found("zz") == []
    assert found("sa", limit=1) == [sanchez]
    too_short = search("s")
    assert (too_short["statusCode"], too_short["json"]["error"]["code"]) == (422, "QUERY_TOO_SHORT")
    assert search("santos")["json"] == {
        "members": [
            {"member_id": santos, "first_name": "Rosa", "last_name": "Santos", "email": "rosa.santos@example.org"}
        ]
    }
