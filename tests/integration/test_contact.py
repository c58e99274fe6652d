"""A member's login and contact details: the invitation, a new email confirmed by the code sent to
it, and every copy of the contact the notice runs read moved together."""

import json
from datetime import UTC, datetime
from urllib.parse import quote

import boto3
from boto3.dynamodb.conditions import Key

from ccp.data import keys
from ccp.domain.records import Contact
from ccp.notices import email_suppression
from ccp_local.events import member_claims, staff_claims
from tests.support import figures
from tests.support.aws import TABLE_NAME

ADDRESS = {"line1": "1 Main St", "city": "Chicago", "state": "IL", "postal_code": "60601"}


def sent_codes():
    """(address, code) of every confirmation email SES took, in order."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    found = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages:
        if getattr(message, "template", "").endswith("email-confirmation"):
            for destination in message.destinations:
                data = json.loads(destination["ReplacementTemplateData"])
                found.append((destination["Destination"]["ToAddresses"][0], data["code"]))
    return found


def create(api, email="ann.bee@example.org"):
    body = {
        "first_name": "Ann",
        "last_name": "Bee",
        "email": email,
        "mailing_address": ADDRESS,
        "credentials": [{"code": "RMA", "certified_on": "2019-05-01"}, {"code": "RPT", "certified_on": "2020-02-01"}],
    }
    created = api.call("POST", "/staff/members", body=body, claims=staff_claims())
    assert created["statusCode"] == 201, created
    return created["json"]


def patch(api, member_id, body, at=None):
    return api.call(
        "PATCH",
        "/members/{member_id}",
        f"/members/{member_id}",
        body=body,
        claims=member_claims(member_id),
        **({"at": at} if at else {}),
    )


def minutes_after(start: datetime, minutes: int) -> datetime:
    from datetime import timedelta

    return start + timedelta(minutes=minutes)


T0 = datetime(2026, 6, 15, 15, 0, tzinfo=UTC)  # 10:00 in Chicago


def retry_after(response) -> int:
    headers = {**(response.get("headers") or {}), **{k: v[-1] for k, v in response["multiValueHeaders"].items()}}
    return int(headers["Retry-After"])


def confirm(api, member_id, code):
    return api.call(
        "POST",
        "/members/{member_id}/email-confirmation",
        f"/members/{member_id}/email-confirmation",
        body={"code": code},
        claims=member_claims(member_id),
    )


def contact_copies(member_id):
    items = (
        boto3.resource("dynamodb")
        .Table(TABLE_NAME)
        .query(
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id))
            & Key("sk").begins_with(keys.CREDENTIAL_PREFIX)
        )["Items"]
    )
    return [Contact.model_validate(i["contact"]) for i in items]


def cognito_email(pool_id, member_id):
    user = boto3.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username=member_id)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def test_staff_creating_a_member_make_their_login_with_the_member_id_as_username(api, user_pool):
    created = create(api)
    assert created["invited"] is True
    attributes = cognito_email(user_pool, created["member_id"])
    assert attributes["custom:member_id"] == created["member_id"]
    assert attributes["email"] == "ann.bee@example.org"
    assert attributes["email_verified"] == "true"


def test_a_new_email_waits_for_its_code_and_notices_go_by_post_meanwhile(api, user_pool):
    member_id = create(api)["member_id"]
    saved = patch(api, member_id, {"email": "Ann@New.Example.org", "mail_opt_out": True})  # stored as at creation
    assert saved["statusCode"] == 200, saved
    assert saved["json"]["email_status"] == "unconfirmed" and saved["json"]["mail_opt_out"] is True
    assert sent_codes()[-1][0] == "ann@new.example.org"

    # Every copy the notice runs read moved with the profile: the new address, not yet for email.
    copies = contact_copies(member_id)
    assert len(copies) == 2
    assert {(c.email, c.email_status, c.mail_opt_out) for c in copies} == {("ann@new.example.org", "unconfirmed", True)}
    assert email_suppression(copies[0]) == "unconfirmed"

    # Staff search finds the new address and no longer the old one.
    def search(text):
        found = api.call("GET", "/staff/members", f"/staff/members?q={quote(text)}", claims=staff_claims())
        return found["json"]["members"]

    assert [m["member_id"] for m in search("ann@new.example.org")] == [member_id]
    assert search("ann.bee@example.org") == []

    # The sign-in email changes only once the member proves they read the new address.
    assert cognito_email(user_pool, member_id)["email"] == "ann.bee@example.org"
    wrong = confirm(api, member_id, "000000" if sent_codes()[-1][1] != "000000" else "111111")
    assert wrong["statusCode"] == 422 and wrong["json"]["error"]["code"] == "CONFIRMATION_CODE_INVALID"
    right = confirm(api, member_id, sent_codes()[-1][1])
    assert right["statusCode"] == 200, right
    assert right["json"]["email_status"] == "ok"
    assert {c.email_status for c in contact_copies(member_id)} == {"ok"}
    assert cognito_email(user_pool, member_id)["email"] == "ann@new.example.org"
    again = confirm(api, member_id, sent_codes()[-1][1])
    assert again["statusCode"] == 409 and again["json"]["error"]["code"] == "NO_EMAIL_TO_CONFIRM"


def test_five_wrong_codes_spend_the_address_for_its_day_and_a_resend_never_gives_new_guesses(api):
    member_id = create(api)["member_id"]
    assert patch(api, member_id, {"email": "ann@new.example.org"}, at=T0)["statusCode"] == 200
    first = sent_codes()[-1][1]
    wrong = "000000" if first != "000000" else "111111"
    assert confirm(api, member_id, wrong)["json"]["error"]["code"] == "CONFIRMATION_CODE_INVALID"
    # Sent again after the ten minutes: a new code, but the guess already spent stays spent.
    assert patch(api, member_id, {"email": "ann@new.example.org"}, at=minutes_after(T0, 11))["statusCode"] == 200
    second = sent_codes()[-1][1]
    wrong = "000000" if second != "000000" else "111111"
    answers = [confirm(api, member_id, wrong)["json"]["error"]["code"] for _ in range(4)]
    assert answers == ["CONFIRMATION_CODE_INVALID"] * 4
    assert confirm(api, member_id, second)["json"]["error"]["code"] == "CONFIRMATION_CODE_EXPIRED"
    # No more codes for that address until its day is over...
    refused = patch(api, member_id, {"email": "ann@new.example.org"}, at=minutes_after(T0, 30))
    assert (refused["statusCode"], refused["json"]["error"]["code"]) == (429, "TOO_MANY_CODES")
    assert 0 < retry_after(refused) <= 24 * 3600
    assert len(sent_codes()) == 2
    # ... then one is sent, with five new guesses.
    next_day = patch(api, member_id, {"email": "ann@new.example.org"}, at=minutes_after(T0, 24 * 60 + 1))
    assert next_day["statusCode"] == 200
    assert confirm(api, member_id, sent_codes()[-1][1])["json"]["email_status"] == "ok"


def test_a_code_is_not_sent_again_within_ten_minutes_and_the_answer_says_when(api):
    member_id = create(api)["member_id"]
    assert patch(api, member_id, {"email": "ann@new.example.org"}, at=T0)["statusCode"] == 200
    again = patch(api, member_id, {"email": "ann@new.example.org"}, at=minutes_after(T0, 4))
    assert (again["statusCode"], again["json"]["error"]["code"]) == (429, "TOO_MANY_CODES")
    assert retry_after(again) == 6 * 60
    assert len(sent_codes()) == 1
    figures.record("abuse limits", "a resend within 10 minutes: 429 with Retry-After (s)", retry_after(again))
    # Nothing else of the request was applied either: the refused change saved nothing.
    assert patch(api, member_id, {"email": "ann@new.example.org"}, at=minutes_after(T0, 10))["statusCode"] == 200


def test_an_address_gets_at_most_five_codes_a_day_whoever_asks_for_them(api):
    """A member cannot turn the program into a mailer to a third party's inbox, alone or with others."""
    asking = [create(api, email=f"asker{n}@example.org")["member_id"] for n in range(3)]
    victim = "victim@example.org"
    answers = [
        patch(api, asking[n % 3], {"email": victim}, at=minutes_after(T0, 11 * n))["statusCode"] for n in range(6)
    ]
    assert answers == [200, 200, 200, 200, 200, 429]
    assert [address for address, _ in sent_codes()] == [victim] * 5
    figures.record("abuse limits", "codes asked for one address in a day by 3 members / sent", "6 / 5")


def test_a_member_asks_for_at_most_five_codes_a_day_to_any_addresses(api):
    member_id = create(api)["member_id"]
    answers = [
        patch(api, member_id, {"email": f"new{n}@example.org"}, at=minutes_after(T0, 11 * n))["statusCode"]
        for n in range(6)
    ]
    assert answers == [200, 200, 200, 200, 200, 429]
    assert len(sent_codes()) == 5
    figures.record("abuse limits", "codes one member asked for in a day / sent", "6 / 5")


def test_a_code_expires_after_a_day(api):
    member_id = create(api)["member_id"]
    patch(api, member_id, {"email": "ann@new.example.org"})
    late = api.call(
        "POST",
        "/members/{member_id}/email-confirmation",
        f"/members/{member_id}/email-confirmation",
        body={"code": sent_codes()[-1][1]},
        claims=member_claims(member_id),
        at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert late["statusCode"] == 422 and late["json"]["error"]["code"] == "CONFIRMATION_CODE_EXPIRED"


def test_an_address_change_alone_sends_no_code_and_a_member_changes_only_their_own(api):
    member_id = create(api)["member_id"]
    other = create(api, email="cy.dee@example.org")["member_id"]
    moved = patch(api, member_id, {"mailing_address": {**ADDRESS, "line1": "9 Elm St"}, "email": "Ann.Bee@Example.org"})
    assert moved["statusCode"] == 200
    assert moved["json"]["email_status"] == "ok" and moved["json"]["mailing_address"]["line1"] == "9 Elm St"
    assert sent_codes() == []
    assert {c.mailing_address.line1 for c in contact_copies(member_id)} == {"9 Elm St"}

    refused = [
        patch(api, member_id, {}),
        patch(api, member_id, {"email": "not-an-address"}),
        patch(api, member_id, {"email_status": "ok"}),
    ]
    assert [r["statusCode"] for r in refused] == [422, 422, 422]
    assert refused[0]["json"]["error"]["code"] == "NOTHING_TO_CHANGE"
    foreign = api.call(
        "PATCH",
        "/members/{member_id}",
        f"/members/{other}",
        body={"mail_opt_out": True},
        claims=member_claims(member_id),
    )
    assert foreign["statusCode"] == 403


def test_every_contact_change_is_in_the_members_history_with_who_when_from_to_and_why(api):
    member_id = create(api)["member_id"]
    staff = staff_claims()

    def staff_patch(body):
        return api.call("PATCH", "/members/{member_id}", f"/members/{member_id}", body=body, claims=staff, at=T0)

    unexplained = staff_patch({"email": "someone.else@example.org"})
    assert (unexplained["statusCode"], unexplained["json"]["error"]["code"]) == (422, "REASON_REQUIRED")
    assert staff_patch({"email": "ann@work.example.org", "reason": "member phoned in"})["statusCode"] == 200
    moved = patch(api, member_id, {"mailing_address": {**ADDRESS, "line1": "9 Elm St"}}, at=minutes_after(T0, 5))
    assert moved["statusCode"] == 200
    assert confirm(api, member_id, sent_codes()[-1][1])["statusCode"] == 200

    record = api.call(
        "GET", "/staff/members/{member_id}/record", f"/staff/members/{member_id}/record", claims=staff_claims()
    )["json"]
    changes = [
        (h["by"], h["what"], h["note"]) for h in record["history"] if "email" in h["what"] or "address" in h["what"]
    ]
    assert (
        staff["sub"],
        "changed email from ann.bee@example.org to ann@work.example.org",
        "member phoned in",
    ) in changes
    # The member's own change: by their login (not staff), with no reason needed.
    [(by, what, note)] = [c for c in changes if c[1].startswith("changed mailing address from 1 Main St")]
    assert by != staff["sub"] and note is None and "to 9 Elm St" in what
    assert (member_id, "confirmed the email ann@work.example.org", None) in changes
    assert [h["at"] for h in record["history"]] == sorted((h["at"] for h in record["history"]), reverse=True)
