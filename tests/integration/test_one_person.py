"""One person, one member (docs/rules.md §8), through the CE API: a known email (without case) or
legacy id is refused with the member it belongs to; staff add a credential to them; staff change a name
only with a reason, kept in the history, and the new name is what every page shows; a member enrolled
mid-anniversary-month gets that month's invoice at once."""

from ccp_local.events import staff_claims
from tests.integration.helpers import at

BODY = {
    "first_name": "Pat",
    "last_name": "Lee",
    "email": "pat.lee@example.org",
    "credentials": [{"code": "RMA", "certified_on": "2025-03-10"}],
}


def create(api, **overrides):
    return api.call("POST", "/staff/members", body={**BODY, **overrides}, claims=staff_claims())


def test_a_known_email_or_legacy_id_is_refused_naming_the_member_and_nothing_is_created(api):
    first = create(api, legacy_id="AMT-7")["json"]["member_id"]
    for overrides in ({"email": "PAT.LEE@example.org"}, {"email": "other@example.org", "legacy_id": "AMT-7"}):
        refused = create(api, **overrides)
        assert refused["statusCode"] == 409, refused
        assert refused["json"]["error"]["code"] == "MEMBER_EXISTS"
        assert refused["json"]["error"]["details"] == [{"member_id": first}]
    found = api.call("GET", "/staff/members", "/staff/members?q=Lee", claims=staff_claims())["json"]["members"]
    assert [m["member_id"] for m in found] == [first]


def test_staff_add_a_credential_to_the_known_member_once(api):
    member_id = create(api)["json"]["member_id"]
    path = f"/staff/members/{member_id}/credentials"
    resource = "/staff/members/{member_id}/credentials"
    body = {"code": "CMAS", "certified_on": "2024-01-05"}
    added = api.call("POST", resource, path, body=body, claims=staff_claims(), at=at("2026-06-15T12:00"))
    assert added["statusCode"] == 201, added
    assert (added["json"]["cycle_start"], added["json"]["cycle_end"]) == ("2024-01-05", "2027-01-04")
    again = api.call("POST", resource, path, body=body, claims=staff_claims())
    assert (again["statusCode"], again["json"]["error"]["code"]) == (409, "CREDENTIAL_HELD")
    as_member = api.call("POST", resource, path, body=body, claims={"sub": member_id, "custom:member_id": member_id})
    assert as_member["statusCode"] == 403
    codes = [
        c["code"]
        for c in api.call("GET", "/members/{member_id}", f"/members/{member_id}", claims=staff_claims())["json"][
            "credentials"
        ]
    ]
    assert sorted(codes) == ["CMAS", "RMA"]


def test_staff_change_a_name_only_with_a_reason_and_every_answer_carries_the_new_one(api):
    member_id = create(api)["json"]["member_id"]
    resource, path = "/staff/members/{member_id}", f"/staff/members/{member_id}"
    no_reason = api.call("PATCH", resource, path, body={"last_name": "Park"}, claims=staff_claims())
    assert (no_reason["statusCode"], no_reason["json"]["error"]["code"]) == (422, "REASON_REQUIRED")
    renamed = api.call(
        "PATCH",
        resource,
        path,
        body={"last_name": "Park", "reason": "marriage certificate seen"},
        claims=staff_claims(),
    )
    assert renamed["statusCode"] == 200, renamed
    member = api.call("GET", "/members/{member_id}", f"/members/{member_id}", claims=staff_claims())["json"]
    assert (member["last_name"], member["name"]) == ("Park", "Pat Park")
    record = api.call(
        "GET", "/staff/members/{member_id}/record", f"/staff/members/{member_id}/record", claims=staff_claims()
    )
    [entry] = [h for h in record["json"]["history"] if "last name" in h["what"]]
    assert (entry["what"], entry["note"]) == ("changed last name from Lee to Park", "marriage certificate seen")
    found = api.call("GET", "/staff/members", "/staff/members?q=Park", claims=staff_claims())["json"]["members"]
    assert [(m["member_id"], m["last_name"]) for m in found] == [(member_id, "Park")]
    assert api.call("GET", "/staff/members", "/staff/members?q=Lee", claims=staff_claims())["json"]["members"] == []
    own = {"sub": member_id, "custom:member_id": member_id}
    by_member = api.call("PATCH", "/members/{member_id}", f"/members/{member_id}", body={"first_name": "X"}, claims=own)
    assert by_member["statusCode"] == 422  # a member's own form has no name: they ask the body


def test_a_confirmed_email_is_one_members_alone_until_they_confirm_another(api):
    from tests.integration.test_contact import confirm, sent_codes

    create(api, email="first@example.org")
    second = create(api, email="second@example.org")["json"]["member_id"]
    own = {"sub": second, "custom:member_id": second}

    def change_email(email):
        return api.call("PATCH", "/members/{member_id}", f"/members/{second}", body={"email": email}, claims=own)

    taken = change_email("FIRST@example.org")
    assert (taken["statusCode"], taken["json"]["error"]["code"]) == (409, "EMAIL_IN_USE")
    assert sent_codes() == []  # refused before any code was counted or sent
    assert change_email("new@example.org")["statusCode"] == 200
    assert create(api, email="second@example.org")["statusCode"] == 409  # theirs until the new one is confirmed
    [(_, code)] = sent_codes()
    assert confirm(api, second, code)["statusCode"] == 200
    assert create(api, email="second@example.org")["statusCode"] == 201  # the address they left is free
    assert create(api, email="NEW@example.org")["json"]["error"]["details"] == [{"member_id": second}]


def test_a_member_enrolled_mid_anniversary_month_has_that_months_invoice_and_notice_at_once(api):
    body = {**BODY, "credentials": [{"code": "RMA", "certified_on": "2024-07-20"}]}
    created = api.call("POST", "/staff/members", body=body, claims=staff_claims(), at=at("2025-07-10T12:00"))
    member_id = created["json"]["member_id"]
    record = api.call(
        "GET", "/staff/members/{member_id}/record", f"/staff/members/{member_id}/record", claims=staff_claims()
    )["json"]
    assert [(i["invoice_id"], i["state"]) for i in record["invoices"]] == [("RMA-20250720", "open")]
    assert [(n["kind"], n["channel"], n["state"]) for n in record["notices"]] == [("renewal_due", "email", "sent")]
