"""Renewals end to end: invoices, the end-of-cycle lock, notices, payments and roll-over."""

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from ccp_local.events import FakeLambdaContext, member_claims
from ccp_local.inprocess import deployed_stack
from tests.integration.renewal_helpers import chicago, emails_to, letters, new_member
from tests.support import figures


@pytest.fixture
def stack():
    with deployed_stack() as deployed:
        yield deployed


def test_the_closing_invoice_is_locked_until_the_day_after_the_requirement_is_met(stack):
    member = new_member(stack)  # RMA certified 2023-04-15: cycle ends 2026-04-14
    stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    invoice = member.invoices(chicago("2026-04-05T12:00"))["RMA-20260415"]
    assert (invoice["state"], invoice["closes_cycle"], invoice["available_on"], invoice["amount"]) == (
        "locked",
        True,
        None,
        50,
    )
    assert member.pay("RMA-20260415", chicago("2026-04-05T12:00"))["json"]["error"]["code"] == "INVOICE_LOCKED"

    # The last points are recorded at 23:30 on 10 April in Chicago (already 11 April in UTC).
    assert member.record(chicago("2026-04-10T23:30"))["statusCode"] == 201
    late_on_d = member.invoices(chicago("2026-04-10T23:59"))["RMA-20260415"]
    assert (late_on_d["state"], late_on_d["available_on"]) == ("locked", "2026-04-11")
    assert member.pay("RMA-20260415", chicago("2026-04-10T23:59"))["statusCode"] == 409
    # From the first minute of D+1 it is open, before any job has run.
    assert member.invoices(chicago("2026-04-11T00:01"))["RMA-20260415"]["state"] == "open"

    for _ in range(2):
        stack.job("invoice_unlock", chicago("2026-04-11T00:05"))
    assert len(emails_to(stack, "ann@example.org", "invoice_payable")) == 1


def test_paying_the_closing_invoice_rolls_the_cycle_over_and_says_so(stack):
    events = boto3.client("events")
    sqs = boto3.client("sqs")
    captured = sqs.create_queue(QueueName="captured-events")["QueueUrl"]
    events.put_rule(Name="capture", EventPattern=json.dumps({"detail-type": ["CycleRolledOver"]}))
    events.put_targets(
        Rule="capture",
        Targets=[
            {
                "Id": "q",
                "Arn": sqs.get_queue_attributes(QueueUrl=captured, AttributeNames=["QueueArn"])["Attributes"][
                    "QueueArn"
                ],
            }
        ],
    )

    member = new_member(stack)
    member.record(chicago("2026-03-20T12:00"))
    stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    assert member.invoices(chicago("2026-04-01T12:00"))["RMA-20260415"]["state"] == "open"  # met before it was issued
    headers = {"Idempotency-Key": "pay-1"}
    paid = member.pay("RMA-20260415", chicago("2026-04-02T12:00"), headers=headers)
    assert paid["statusCode"] == 201, paid
    assert paid["json"] | {"payment_id": None, "recorded_by": None} == {
        "payment_id": None,
        "invoice_id": "RMA-20260415",
        "amount": 50,
        "state": "paid",
        "rolled_over": True,
        "cycle_start": "2026-04-15",
        "cycle_end": "2029-04-14",
        "status": "active",
        "method": "check",
        "reference": "ch_1",
        "recorded_by": None,
    }
    assert member.pay("RMA-20260415", chicago("2026-04-02T12:00"), headers=headers)["json"] == paid["json"]
    assert member.pay("RMA-20260415", chicago("2026-04-02T12:05"))["json"]["error"]["code"] == "INVOICE_ALREADY_PAID"
    profile = member.profile(chicago("2026-04-02T12:00"))
    assert (profile["credentials"][0]["cycle_start"], profile["status"]) == ("2026-04-15", "active")
    message = json.loads(sqs.receive_message(QueueUrl=captured)["Messages"][0]["Body"])
    assert message["detail"]["cycle_start"] == "2026-04-15" and message["detail"]["member_id"] == member.member_id
    # Nothing of the old cycle can change any more.
    listed = stack.api(
        "record_ce.handler.lambda_handler",
        "GET",
        "/members/{member_id}/ce-activities",
        f"/members/{member.member_id}/ce-activities",
        claims=member.claims,
        at=chicago("2026-04-03T12:00"),
    )
    activity_id = listed["json"]["activities"][0]["activity_id"]
    patched = stack.api(
        "record_ce.handler.lambda_handler",
        "DELETE",
        "/members/{member_id}/ce-activities/{activity_id}",
        f"/members/{member.member_id}/ce-activities/{activity_id}",
        claims=member.claims,
        at=chicago("2026-04-03T12:00"),
    )
    assert patched["json"]["error"]["code"] == "CYCLE_FROZEN"


def test_payment_refusals(stack):
    member = new_member(stack)
    other = new_member(stack, email="bob@example.org")
    member.record(chicago("2026-03-20T12:00"))
    stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    at = chicago("2026-04-02T12:00")
    assert member.pay("RMA-20260415", at, amount=49.99)["json"]["error"]["code"] == "AMOUNT_MISMATCH"
    assert member.pay("RMA-20990101", at)["statusCode"] == 404
    assert member.pay("not-an-id", at)["statusCode"] == 422
    assert member.pay("RMA-20260415", at, claims=member_claims(other.member_id))["statusCode"] == 403
    assert member.pay("RMA-20260415", at, claims=member.claims)["statusCode"] == 403  # a member's own word never pays
    assert member.pay("RMA-20260415", at, amount=50, reference="bad ref!")["statusCode"] == 422


def test_a_rerun_and_two_runs_at_once_send_each_notice_once(stack):
    members = [new_member(stack, email=f"m{n}@example.org") for n in range(3)]
    first = chicago("2026-04-01T06:00")
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda _: stack.job("renewal_notices", first), range(2)))
    stack.job("renewal_notices", first)
    for n, member in enumerate(members):
        assert len(emails_to(stack, f"m{n}@example.org", "renewal_due")) == 1
        assert list(member.invoices(chicago("2026-04-02T12:00"))) == ["RMA-20260415"]
    assert len(letters(stack, "renewal_due")) == 3


def test_above_the_inline_budget_the_run_fans_out_to_the_worker(stack, monkeypatch):
    for n in range(6):
        new_member(stack, email=f"f{n}@example.org")
    monkeypatch.setenv("INLINE_ITEM_BUDGET", "2")
    summary = stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    assert summary["units_queued"] > 0
    worked = stack.drain_queue()
    issued = summary["invoices_issued"] + sum(s.get("invoices_issued", 0) for s in worked)
    assert issued == 6
    assert all(len(emails_to(stack, f"f{n}@example.org", "renewal_due")) == 1 for n in range(6))


def test_ses_requests_per_email_are_bulk(stack):
    for n in range(12):
        new_member(stack, email=f"b{n}@example.org")
    summary = stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    # On 1 April: twelve renewal invoices (April anniversaries) and nothing else due.
    assert summary["notices"]["renewal_due"]["email"] == 12
    assert summary["ses_requests"] == 1


def test_a_failed_send_is_retried_by_the_next_run_and_nothing_is_lost(stack):
    new_member(stack)
    ses = boto3.client("ses")
    template = ses.get_template(TemplateName="ccp-local-renewal_due")["Template"]
    ses.delete_template(TemplateName="ccp-local-renewal_due")
    failed = stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    assert failed["failed_sends"] == 2  # the email and the letter (printed with the same template)
    assert emails_to(stack, "ann@example.org", "renewal_due") == []
    ses.create_template(Template=template)
    healed = stack.job("renewal_notices", chicago("2026-04-02T06:00"))
    assert healed["healed_claims"] == 2
    assert len(emails_to(stack, "ann@example.org", "renewal_due")) == 1
    assert len(letters(stack, "renewal_due")) == 1
    assert stack.job("renewal_notices", chicago("2026-04-03T06:00"))["healed_claims"] == 0


def test_a_crash_between_claim_and_send_is_healed_by_the_next_run(stack):
    from ccp.data.dynamo import table
    from ccp.data.notice_ledger import NoticeLedger
    from ccp.domain.records import Contact, NoticeClaim

    member = new_member(stack)
    claim = NoticeClaim(
        member_id=member.member_id,
        credential="RMA",
        kind="renewal_due",
        period="2026-04",
        channel="email",
        claimed_at=chicago("2026-04-01T06:00").isoformat(),
        template="ccp-local-renewal_due",
        data={
            "name": "Ann Bee",
            "credential": "RMA",
            "credential_name": "Registered Medical Assistant",
            "invoice_id": "RMA-20260415",
            "amount": "$50.00",
            "due_date": "2026-04-30",
            "anniversary": "2026-04-15",
            "lock_note": "",
            "portal_url": "https://portal",
        },
        contact=Contact(name="Ann Bee", email="ann@example.org"),
    )
    assert NoticeLedger(table()).claim(claim, stale_before="2026-01-01")  # ...and the run died here
    stack.job("renewal_notices", chicago("2026-04-01T06:05"))  # a re-run within 15 minutes leaves it alone
    assert emails_to(stack, "ann@example.org", "renewal_due") == []
    assert stack.job("renewal_notices", chicago("2026-04-02T06:00"))["healed_claims"] >= 1
    assert len(emails_to(stack, "ann@example.org", "renewal_due")) == 1


def test_postal_letters_are_suppressed_without_an_address_or_when_opted_out(stack):
    new_member(stack, email="noaddr@example.org", address=False)
    new_member(stack, email="optout@example.org", mail_opt_out=True)
    new_member(stack, email="mail@example.org")
    summary = stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    due = summary["notices"]["renewal_due"]
    assert (due["email"], due["postal"], due["suppressed_postal_no_address"], due["suppressed_postal_opted_out"]) == (
        3,
        1,
        1,
        1,
    )
    [row] = letters(stack, "renewal_due")
    assert "Ann Bee" in row
    pdf = next(k for k in stack.batch_keys() if k.endswith(".pdf"))
    assert stack.read(pdf).startswith(b"%PDF")


def test_a_members_own_address_cannot_put_a_formula_into_the_mailing_vendors_manifest(stack):
    import csv
    import io

    member = new_member(stack, email="mail@example.org")
    address = {
        "line1": '=HYPERLINK("http://evil.example","click")',
        "line2": "@SUM(A1)",
        "city": "+SUM(1,2)",
        "state": "IL",
        "postal_code": "60601",
        "country": "US",
    }
    changed = member._call(
        "record_ce.handler.lambda_handler",
        "PATCH",
        "",
        "",
        chicago("2026-03-20T12:00"),
        body={"mailing_address": address},
    )
    assert changed["statusCode"] == 200, changed
    stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    key = next(k for k in stack.batch_keys() if k.endswith(".csv"))
    header, *letters_written = csv.reader(io.StringIO(stack.read(key).decode()))
    [letter] = letters_written
    cells = dict(zip(header, letter, strict=True))
    # Shown as text by any spreadsheet, never run.
    assert (cells["line1"], cells["line2"], cells["city"]) == (
        '\'=HYPERLINK("http://evil.example","click")',
        "'@SUM(A1)",
        "'+SUM(1,2)",
    )
    assert not any(cell[:1] in ("=", "+", "@", "|", "%") for cell in letter)
    figures.add("CSV injection", "formulas a member typed that reached the print manifest as text", 3)


def test_a_malformed_scheduled_event_is_refused_and_changes_nothing(stack):
    from ccp.errors import InvalidEvent
    from renewals.jobs_handler import renewal_notices

    new_member(stack)
    with pytest.raises(InvalidEvent):
        renewal_notices({"time": "not a time"}, FakeLambdaContext())
    assert stack.emails() == [] and stack.batch_keys() == []


def test_removing_points_after_the_unlock_locks_the_closing_invoice_again_and_says_nothing(stack):
    member = new_member(stack)  # cycle ends 2026-04-14; closing invoice RMA-20260415
    stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    assert member.record(chicago("2026-04-05T12:00"))["statusCode"] == 201  # requirement met: payable from 04-06
    listed = stack.api(
        "record_ce.handler.lambda_handler",
        "GET",
        "/members/{member_id}/ce-activities",
        f"/members/{member.member_id}/ce-activities",
        claims=member.claims,
        at=chicago("2026-04-05T13:00"),
    )
    activity_id = listed["json"]["activities"][0]["activity_id"]
    removed = stack.api(
        "record_ce.handler.lambda_handler",
        "DELETE",
        "/members/{member_id}/ce-activities/{activity_id}",
        f"/members/{member.member_id}/ce-activities/{activity_id}",
        claims=member.claims,
        at=chicago("2026-04-05T18:00"),
    )
    assert removed["statusCode"] == 204
    invoice = member.invoices(chicago("2026-04-07T12:00"))["RMA-20260415"]
    assert (invoice["state"], invoice["available_on"]) == ("locked", None)
    stack.job("invoice_unlock", chicago("2026-04-06T00:05"))
    assert emails_to(stack, "ann@example.org", "invoice_payable") == []
    assert member.pay("RMA-20260415", chicago("2026-04-07T12:00"))["json"]["error"]["code"] == "INVOICE_LOCKED"


def test_removing_points_after_the_unlock_job_ran_locks_the_open_invoice_again(stack):
    member = new_member(stack)
    stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    member.record(chicago("2026-04-05T12:00"))
    stack.job("invoice_unlock", chicago("2026-04-06T00:05"))
    assert len(emails_to(stack, "ann@example.org", "invoice_payable")) == 1
    assert member.invoices(chicago("2026-04-06T12:00"))["RMA-20260415"]["state"] == "open"
    listed = stack.api(
        "record_ce.handler.lambda_handler",
        "GET",
        "/members/{member_id}/ce-activities",
        f"/members/{member.member_id}/ce-activities",
        claims=member.claims,
        at=chicago("2026-04-06T13:00"),
    )
    activity_id = listed["json"]["activities"][0]["activity_id"]
    stack.api(
        "record_ce.handler.lambda_handler",
        "DELETE",
        "/members/{member_id}/ce-activities/{activity_id}",
        f"/members/{member.member_id}/ce-activities/{activity_id}",
        claims=member.claims,
        at=chicago("2026-04-06T14:00"),
    )
    assert member.invoices(chicago("2026-04-06T15:00"))["RMA-20260415"]["state"] == "locked"


def test_an_unmet_cycle_is_reminded_90_and_30_days_before_it_ends_once_each_with_what_is_missing(stack):
    new_member(stack, email="ending@example.org")  # cycle 2023-04-15 .. 2026-04-14, no points recorded
    met = new_member(stack, email="met@example.org")
    assert met.record(chicago("2025-06-01T12:00"), points=30, end_date="2025-05-30")["statusCode"] == 201
    for _ in range(2):  # a repeated run
        stack.job("renewal_notices", chicago("2026-01-14T06:00"))
    stack.job("renewal_notices", chicago("2026-01-15T06:00"))  # the day after: nothing more
    [ninety] = emails_to(stack, "ending@example.org", "cycle_ending")
    assert ninety["subject"] == "90 days left: 30.00 CCP points still needed for your RMA certification"
    assert "becomes inactive on 2026-04-15, and from 2029-04-14 it must be recertified" in ninety["text"]
    assert "Authorship of Written Works 0.00 (at most 15.00 more can count)" in ninety["text"]
    stack.job("renewal_notices", chicago("2026-03-15T06:00"))
    subjects = [e["subject"].split(":")[0] for e in emails_to(stack, "ending@example.org", "cycle_ending")]
    assert subjects == ["90 days left", "30 days left"]
    assert emails_to(stack, "met@example.org", "cycle_ending") == []
    assert len(letters(stack, "cycle_ending")) == 2  # by post too, as renewal notices go
