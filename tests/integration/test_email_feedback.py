"""Bounces and complaints SES reports mark the member's address; their notices then go by post only."""

import json

import boto3
import pytest

from ccp_local.events import FakeLambdaContext
from ccp_local.inprocess import deployed_stack
from tests.integration.renewal_helpers import RECORD_CE, chicago, emails_to, letters, new_member


@pytest.fixture
def stack():
    with deployed_stack() as deployed:
        yield deployed


@pytest.fixture
def bulk_sends():
    """Every SendBulkTemplatedEmail request the functions make, as they made it."""
    sent = []

    def capture(params, **_):
        sent.append(params)

    session = boto3._get_default_session()
    session.events.register("provide-client-params.ses.SendBulkTemplatedEmail", capture)
    yield sent
    session.events.unregister("provide-client-params.ses.SendBulkTemplatedEmail", capture)


def ses_event(kind: str, member_id: str | None, address: str, bounce_type: str = "Permanent") -> dict:
    """An SES event as the configuration set publishes it to SNS, in the Lambda event SNS delivers."""
    message = {"eventType": kind, "mail": {"tags": {"member_id": [member_id]} if member_id else {}}}
    if kind == "Bounce":
        message["bounce"] = {"bounceType": bounce_type, "bouncedRecipients": [{"emailAddress": address}]}
    else:
        message["complaint"] = {"complainedRecipients": [{"emailAddress": address}]}
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(message)}}]}


def feedback(event: dict) -> dict:
    from renewals.email_feedback import lambda_handler

    return lambda_handler(event, FakeLambdaContext())


def email_status(stack, member) -> str:
    response = stack.api(RECORD_CE, "GET", "/members/{member_id}", f"/members/{member.member_id}", claims=member.claims)
    return response["json"]["email_status"]


def test_every_email_names_its_member_and_goes_through_the_configuration_set(stack, bulk_sends):
    member = new_member(stack)  # RMA, anniversary 15 April: the upcoming notice goes out on 1 March
    stack.job("renewal_notices", chicago("2026-03-01T06:00"))
    assert len(bulk_sends) == 2  # the renewal coming up, and the points still missing
    for request in bulk_sends:
        assert request["ConfigurationSetName"] == "ccp-local-notices"
        [destination] = request["Destinations"]
        assert destination["ReplacementTags"] == [{"Name": "member_id", "Value": member.member_id}]


def test_a_permanent_bounce_sends_the_members_notices_by_post_only(stack):
    member = new_member(stack)
    assert email_status(stack, member) == "ok"
    assert feedback(ses_event("Bounce", member.member_id, "ann@example.org", "Transient")) == {
        "marked": 0,
        "ignored": 1,
    }
    assert feedback(ses_event("Bounce", member.member_id, "ann@example.org")) == {"marked": 1, "ignored": 0}
    assert email_status(stack, member) == "bounced"

    stack.job("renewal_notices", chicago("2026-04-01T06:00"))  # the renewal invoice of 15 April
    assert emails_to(stack, "ann@example.org") == []
    assert [row[1] for row in letters(stack, "renewal_due")] == [member.member_id]


def test_a_complaint_marks_the_address_and_a_report_about_an_old_address_changes_nothing(stack):
    member = new_member(stack)
    assert feedback(ses_event("Complaint", member.member_id, "someone.else@example.org")) == {"marked": 0, "ignored": 0}
    assert email_status(stack, member) == "ok"
    assert feedback(ses_event("Complaint", None, "ann@example.org")) == {"marked": 0, "ignored": 1}
    assert feedback(ses_event("Complaint", member.member_id, "ann@example.org")) == {"marked": 1, "ignored": 0}
    assert email_status(stack, member) == "complained"
    stack.job("renewal_notices", chicago("2026-03-01T06:00"))
    assert emails_to(stack, "ann@example.org") == []
    assert len(letters(stack, "renewal_upcoming")) == 1
