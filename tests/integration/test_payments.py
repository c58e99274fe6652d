"""Money moves at the processor: checkout, signed webhooks (once, under redelivery and concurrency,
late and out of order), refunds and lost disputes, offline payments by staff, receipts."""

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import boto3
import pytest

from ccp_local.events import member_claims
from ccp_local.inprocess import deployed_stack
from ccp_local.stripe_fake import completed_event, dispute_lost_event, refunded_event, sign
from tests.integration.renewal_helpers import chicago, emails_to, new_member

INVOICE = "RMA-20260415"  # the closing renewal of a member certified 2023-04-15 (cycle ends 2026-04-14)


@pytest.fixture
def stack():
    with deployed_stack() as deployed:
        deployed.start_stripe()
        yield deployed
        deployed.stripe.stop()


def table_items(stack):
    table = boto3.resource("dynamodb").Table(stack.table_name)
    items, kwargs = [], {}
    while True:
        page = table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["pk"], i["sk"]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def set_payments_secret(stack, secret: dict) -> None:
    from aws_lambda_powertools.utilities import parameters

    boto3.client("secretsmanager").put_secret_value(
        SecretId=stack.deployment.physical_ids["PaymentsSecret"], SecretString=json.dumps(secret)
    )
    parameters.clear_caches()  # the function reads the secret through Powertools' 5-minute cache


def payments_of(stack, member):
    return [i for i in table_items(stack) if i["pk"] == f"MEMBER#{member.member_id}" and i["sk"].startswith("PAYMENT#")]


def parked(stack):
    return [i for i in table_items(stack) if i.get("entity") == "parked_payment"]


def ready_member(stack, email="ann@example.org"):
    """A member whose closing invoice is open on 2026-04-02 (the requirement met in March)."""
    member = new_member(stack, email=email)
    assert member.record(chicago("2026-03-20T12:00"))["statusCode"] == 201
    stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    return member


def started_checkout(stack, member, invoice_id=INVOICE, at="2026-04-02T12:00"):
    started = member.checkout(invoice_id, chicago(at))
    assert started["statusCode"] == 201, started
    return stack.stripe.sessions[started["json"]["checkout_id"]]


def test_a_member_cannot_mark_their_own_invoice_paid(stack):
    member = ready_member(stack)
    before = table_items(stack)
    direct = member.pay(INVOICE, chicago("2026-04-02T12:00"), claims=member.claims)
    assert (direct["statusCode"], direct["json"]["error"]["code"]) == (403, "FORBIDDEN")
    assert table_items(stack) == before
    assert member.invoices(chicago("2026-04-02T12:00"))[INVOICE]["state"] == "open"


def test_checkout_creates_one_processor_session_per_invoice_with_the_invoice_in_its_metadata(stack):
    member = ready_member(stack)
    first = member.checkout(INVOICE, chicago("2026-04-02T12:00"))
    second = member.checkout(INVOICE, chicago("2026-04-02T12:01"))  # a second click
    assert first["statusCode"] == second["statusCode"] == 201
    assert first["json"]["checkout_id"] == second["json"]["checkout_id"]
    assert len(stack.stripe.sessions) == 1
    session = stack.stripe.sessions[first["json"]["checkout_id"]]
    assert first["json"]["checkout_url"] == session["url"] == f"{stack.stripe.url}/pay/{session['id']}"
    assert (session["amount_total"], session["currency"]) == (5000, "usd")
    assert session["metadata"] == {"member_id": member.member_id, "invoice_id": INVOICE}
    assert session["success_url"].endswith(f"/portal/#/invoices?paid={INVOICE}")


def test_checkout_is_refused_for_locked_paid_and_void_invoices(stack):
    member = new_member(stack)
    stack.job("renewal_notices", chicago("2026-04-01T06:00"))
    locked = member.checkout(INVOICE, chicago("2026-04-02T12:00"))
    assert (locked["statusCode"], locked["json"]["error"]["code"]) == (409, "INVOICE_LOCKED")
    member.record(chicago("2026-04-02T12:00"))
    assert member.pay(INVOICE, chicago("2026-04-03T12:00"))["statusCode"] == 201  # by check, through staff
    paid = member.checkout(INVOICE, chicago("2026-04-03T12:05"))
    assert (paid["statusCode"], paid["json"]["error"]["code"]) == (409, "INVOICE_NOT_OPEN")
    assert member.checkout("RMA-20990415", chicago("2026-04-03T12:05"))["statusCode"] == 404
    assert stack.stripe.sessions == {}


def test_a_paid_checkout_pays_once_however_often_the_event_arrives(stack):
    member = ready_member(stack)
    session = stack.stripe.mark_paid(started_checkout(stack, member)["id"])
    event = completed_event(session, chicago("2026-04-02T12:03"))
    outcomes = [stack.webhook(event, at=chicago("2026-04-02T12:03"))["json"]["outcome"] for _ in range(3)]
    assert outcomes == ["recorded", "already_recorded", "already_recorded"]
    [payment] = payments_of(stack, member)
    assert (payment["processor_reference"], payment["amount"], payment["method"], payment["recorded_by"]) == (
        session["payment_intent"],
        Decimal("50"),
        "card",
        "processor",
    )
    invoice = member.invoices(chicago("2026-04-02T12:05"))[INVOICE]
    assert (invoice["state"], invoice["paid_on"]) == ("paid", "2026-04-02")
    assert member.profile(chicago("2026-04-02T12:05"))["credentials"][0]["cycle_start"] == "2026-04-15"  # rolled over
    receipts = emails_to(stack, "ann@example.org", "receipt")
    assert len(receipts) == 1 and "$50.00" in receipts[0]["text"] and INVOICE in receipts[0]["subject"]


def test_eight_concurrent_deliveries_of_one_event_record_one_payment(stack):
    from ccp.data.payments import processor_event
    from renewals.billing_wiring import processor, service

    member = ready_member(stack)
    session = stack.stripe.mark_paid(started_checkout(stack, member)["id"])
    body = json.dumps(completed_event(session, chicago("2026-04-02T12:03")))
    signature = sign(body, stack.stripe.webhook_secret)
    service()  # built once, before the threads

    def deliver(_):
        # The webhook function's work after its HTTP layer: verify, read, apply (each Lambda runs one at a time).
        return (
            service()
            .on_processor_event(
                processor_event(processor().verify(body, signature)), received_at=chicago("2026-04-02T12:03")
            )
            .outcome
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(deliver, range(8)))
    assert sorted(outcomes) == ["already_recorded"] * 7 + ["recorded"]
    assert len(payments_of(stack, member)) == 1
    assert len(emails_to(stack, "ann@example.org", "receipt")) == 1
    assert member.invoices(chicago("2026-04-02T12:05"))[INVOICE]["state"] == "paid"


@pytest.mark.parametrize("forgery", ["unsigned", "wrong secret", "body changed after signing", "old signature"])
def test_a_webhook_that_is_not_signed_by_the_processor_stores_nothing(stack, forgery):
    member = ready_member(stack)
    session = stack.stripe.mark_paid(started_checkout(stack, member)["id"])
    body = json.dumps(completed_event(session))
    header = {
        "unsigned": "",
        "wrong secret": sign(body, "whsec_guessed"),
        "body changed after signing": sign(body, stack.stripe.webhook_secret),
        "old signature": sign(body, stack.stripe.webhook_secret, timestamp=1_700_000_000),
    }[forgery]
    if forgery == "body changed after signing":
        body = body.replace('"amount_total": 5000', '"amount_total": 1')
    before = table_items(stack)
    response = stack.webhook(body, signature=header)
    assert (response["statusCode"], response["json"]["error"]["code"]) == (400, "BAD_SIGNATURE")
    assert table_items(stack) == before


def test_with_no_real_signing_secret_every_event_is_refused_and_nothing_is_read_or_stored(stack):
    """The template deploys a blank secret: an event signed with it, or with a placeholder an operator
    left, must not pay anything (it once marked an invoice paid and sent a receipt)."""
    member = ready_member(stack)
    session = stack.stripe.mark_paid(started_checkout(stack, member)["id"])
    body = json.dumps(completed_event(session))
    before = table_items(stack)
    for placeholder in ("", "set-me", "whsec_…", None):
        secret = {"api_key": "rk_local", **({} if placeholder is None else {"webhook_secret": placeholder})}
        set_payments_secret(stack, secret)
        response = stack.webhook(body, signature=sign(body, placeholder or "set-me"))
        assert (response["statusCode"], response["json"]["error"]["code"]) == (503, "PAYMENTS_NOT_CONFIGURED")
    assert table_items(stack) == before
    assert member.invoices(chicago("2026-04-02T12:05"))[INVOICE]["state"] == "open"
    assert emails_to(stack, "ann@example.org", "receipt") == []


def test_the_deployed_template_holds_no_usable_signing_secret():
    from ccp.data.payments import PaymentsNotConfigured, usable_webhook_secret
    from ccp_local.template import load

    deployed = load()["Resources"]["PaymentsSecret"]["Properties"]["SecretString"]
    with pytest.raises(PaymentsNotConfigured):
        usable_webhook_secret(json.loads(deployed))


ODD_SHAPES = [
    {"created": 1e20},
    {"created": -1e15},
    {"data": {"object": {"payment_status": "paid", "amount_total": "abc"}}},
    {"data": {"object": {"payment_status": "paid", "amount_total": 5000, "metadata": ["member_id"]}}},
    {"data": {"object": {"payment_status": "paid", "amount_total": 5000, "metadata": {"member_id": {"a": 1}}}}},
    {"data": {"object": "a string"}},
    {"data": [1, 2]},
    {"type": "charge.refunded", "data": {"object": {"refunded": True, "amount_refunded": [1]}}},
    {"type": "charge.dispute.closed", "data": {"object": {"status": "lost", "amount": {"v": 1}}}},
]


def test_a_signed_event_of_an_odd_shape_is_refused_as_malformed_and_stores_nothing(stack):
    """Validly signed, oddly shaped: 400 (never a 500), nothing stored; a body that is not an event
    object at all is refused the same way."""
    member = ready_member(stack)
    session = stack.stripe.mark_paid(started_checkout(stack, member)["id"])
    before = table_items(stack)
    for odd in ODD_SHAPES:
        response = stack.webhook({**completed_event(session), **odd})
        assert (response["statusCode"], response["json"]["error"]["code"]) == (400, "MALFORMED_EVENT"), odd
    for body in ("[1, 2, 3]", '"text"', "12", "null"):
        response = stack.webhook(body)
        assert response["statusCode"] == 400 and response["json"]["error"]["code"] in (
            "BAD_SIGNATURE",
            "MALFORMED_EVENT",
        ), body
    assert table_items(stack) == before


def test_a_wrong_amount_or_currency_pays_nothing_and_is_parked_for_staff(stack):
    member = ready_member(stack)
    session = stack.stripe.mark_paid(started_checkout(stack, member)["id"])
    short = completed_event({**session, "amount_total": 4000})
    euros = completed_event({**session, "currency": "eur", "payment_intent": "pi_other"})
    assert stack.webhook(short)["json"]["outcome"] == "parked"
    assert stack.webhook(euros)["json"]["outcome"] == "parked"
    assert stack.webhook(short)["json"]["outcome"] == "parked"  # delivered again: parked once
    assert payments_of(stack, member) == []
    assert member.invoices(chicago("2026-04-02T12:05"))[INVOICE]["state"] == "open"
    reasons = sorted((p["reason"], p["amount"], p["currency"]) for p in parked(stack))
    assert reasons == [("AMOUNT_MISMATCH", Decimal("40"), "usd"), ("AMOUNT_MISMATCH", Decimal("50"), "eur")]


def test_a_processor_reference_pays_one_invoice_in_the_whole_body(stack):
    ann = ready_member(stack)
    bob = ready_member(stack, email="bob@example.org")
    session = stack.stripe.mark_paid(started_checkout(stack, ann)["id"])
    assert stack.webhook(completed_event(session))["json"]["outcome"] == "recorded"
    # The same processor payment presented again for another member's invoice pays nothing.
    reused = {**session, "metadata": {"member_id": bob.member_id, "invoice_id": INVOICE}}
    assert stack.webhook(completed_event(reused))["json"]["outcome"] == "already_recorded"
    assert payments_of(stack, bob) == []
    assert bob.invoices(chicago("2026-04-02T12:05"))[INVOICE]["state"] == "open"


def test_a_second_charge_for_an_invoice_already_paid_is_refunded_at_once_and_kept_for_staff(stack):
    member = ready_member(stack)
    session = stack.stripe.mark_paid(started_checkout(stack, member)["id"])
    assert member.pay(INVOICE, chicago("2026-04-02T12:01"), reference="1042")["statusCode"] == 201
    charged_twice = completed_event(session)
    assert stack.webhook(charged_twice)["json"]["outcome"] == "refunded_and_parked"
    assert stack.webhook(charged_twice)["json"]["outcome"] == "refunded_and_parked"  # delivered again: nothing new
    # The processor was asked once to give the card payment back (keyed by the payment: never twice).
    assert [(r["refund"]["payment_intent"], r["idempotency_key"]) for r in stack.stripe.refunds] == [
        (session["payment_intent"], f"refund:{session['payment_intent']}")
    ]
    assert [(p["reason"], p["refunded_automatically"]) for p in parked(stack)] == [("INVOICE_ALREADY_PAID", True)]
    assert len(payments_of(stack, member)) == 1
    assert member.invoices(chicago("2026-04-02T12:05"))[INVOICE]["state"] == "paid"


def test_one_invoice_has_one_live_checkout_session_across_midnight(stack):
    member = ready_member(stack)
    late = member.checkout(INVOICE, chicago("2026-04-02T23:50"))
    after_midnight = member.checkout(INVOICE, chicago("2026-04-03T00:10"))
    assert late["statusCode"] == after_midnight["statusCode"] == 201
    assert late["json"]["checkout_id"] == after_midnight["json"]["checkout_id"]
    assert len(stack.stripe.sessions) == 1


def test_concurrent_first_clicks_on_pay_start_one_session(stack):
    member = ready_member(stack)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: member.checkout(INVOICE, chicago("2026-04-02T12:00")), range(4)))
    assert {a["json"]["checkout_id"] for a in answers} == set(stack.stripe.sessions)
    assert len(stack.stripe.sessions) == 1


def test_a_refund_makes_the_fee_unpaid_again_and_the_status_follows(stack):
    member = ready_member(stack)
    session = stack.stripe.mark_paid(started_checkout(stack, member)["id"])
    assert stack.webhook(completed_event(session, chicago("2026-04-02T12:03")))["json"]["outcome"] == "recorded"
    assert member.profile(chicago("2026-05-05T12:00"))["status"] == "active"

    refund = refunded_event(session, chicago("2026-05-05T12:00"))
    assert stack.webhook(refund, at=chicago("2026-05-05T12:00"))["json"]["outcome"] == "refunded"
    assert stack.webhook(refund, at=chicago("2026-05-05T12:00"))["json"]["outcome"] == "already_refunded"
    invoice = member.invoices(chicago("2026-05-05T12:00"))[INVOICE]
    assert (invoice["state"], invoice["paid_on"]) == ("refunded", None)
    assert member.profile(chicago("2026-05-05T12:00"))["status"] == "inactive"  # due 2026-04-30, unpaid again
    stored = next(
        i for i in table_items(stack) if i["sk"] == "STATE#CRED#RMA" and i["pk"] == f"MEMBER#{member.member_id}"
    )
    assert stored["status"] == "inactive"
    [payment] = payments_of(stack, member)
    assert (payment["state"], payment["refund_reason"]) == ("refunded", "refund")
    assert member.receipt(INVOICE, chicago("2026-05-05T12:00"))["statusCode"] == 404
    [told] = emails_to(stack, "ann@example.org", "refund")  # once, though the event came twice
    assert told["subject"] == f"$50.00 went back to you for invoice {INVOICE}"
    assert "unpaid again" in told["text"] and "due by 2026-04-30" in told["text"]

    # Paying again cures it.
    again = stack.stripe.mark_paid(started_checkout(stack, member, at="2026-05-06T09:00")["id"])
    assert stack.webhook(completed_event(again, chicago("2026-05-06T09:01")))["json"]["outcome"] == "recorded"
    assert member.profile(chicago("2026-05-06T09:05"))["status"] == "active"
    assert len(emails_to(stack, "ann@example.org", "receipt")) == 2


def test_a_lost_dispute_makes_the_fee_unpaid_again(stack):
    member = ready_member(stack)
    session = stack.stripe.mark_paid(started_checkout(stack, member)["id"])
    stack.webhook(completed_event(session))
    assert stack.webhook(dispute_lost_event(session))["json"]["outcome"] == "refunded"
    assert member.invoices(chicago("2026-04-10T12:00"))[INVOICE]["state"] == "refunded"
    assert payments_of(stack, member)[0]["refund_reason"] == "dispute_lost"


def test_a_refund_that_arrives_before_its_payment_leaves_the_invoice_unpaid(stack):
    member = ready_member(stack)
    session = stack.stripe.mark_paid(started_checkout(stack, member)["id"])
    assert stack.webhook(refunded_event(session))["json"]["outcome"] == "refunded"
    assert stack.webhook(completed_event(session))["json"]["outcome"] == "already_refunded"
    assert payments_of(stack, member) == []
    assert member.invoices(chicago("2026-04-02T12:05"))[INVOICE]["state"] == "open"


def test_events_the_program_does_not_act_on_are_acknowledged_and_change_nothing(stack):
    member = ready_member(stack)
    session = started_checkout(stack, member)  # not paid: an async payment method still pending
    before = table_items(stack)
    assert stack.webhook(completed_event(session))["json"]["outcome"] == "ignored"
    assert (
        stack.webhook({"id": "evt_1", "type": "customer.created", "created": 0, "data": {"object": {}}})["json"][
            "outcome"
        ]
        == "ignored"
    )
    assert table_items(stack) == before


def test_a_member_who_must_recertify_cannot_start_a_checkout_before_or_after_the_sweep(stack):
    # RMA certified 2020-05-10, no points: the cycle ended unmet on 2026-05-09; three years later, on
    # 2029-05-09, the member must recertify.
    member = new_member(stack, certified_on="2020-05-10", email="lapsing@example.org")
    stack.job("renewal_notices", chicago("2027-05-01T06:00"))  # RMA-20270510, open
    assert member.checkout("RMA-20270510", chicago("2029-05-08T12:00"))["statusCode"] == 201  # inactive: curable
    before_sweep = member.checkout("RMA-20270510", chicago("2029-05-09T05:00"))
    assert (before_sweep["statusCode"], before_sweep["json"]["error"]["code"]) == (409, "MUST_RECERTIFY")
    stack.job("status_sweep", chicago("2029-05-09T06:30"))
    after_sweep = member.checkout("RMA-20270510", chicago("2029-05-10T12:00"))
    assert (after_sweep["statusCode"], after_sweep["json"]["error"]["code"]) == (409, "MUST_RECERTIFY")
    # A payment started the day before and completed on the day is not applied: it waits for a refund.
    session = stack.stripe.mark_paid(next(iter(stack.stripe.sessions)))
    assert stack.webhook(completed_event(session, chicago("2029-05-09T08:00")))["json"]["outcome"] == "parked"
    assert [p["reason"] for p in parked(stack)] == ["MUST_RECERTIFY"]
    assert member.invoices(chicago("2029-05-10T12:00"))["RMA-20270510"]["state"] == "open"


def test_staff_record_an_offline_payment_and_who_recorded_it_is_kept(stack):
    member = ready_member(stack)
    paid = member.pay(INVOICE, chicago("2026-04-02T12:00"), reference="MO-7731", method="money_order")
    assert paid["statusCode"] == 201, paid
    assert (paid["json"]["method"], paid["json"]["reference"], paid["json"]["rolled_over"]) == (
        "money_order",
        "MO-7731",
        True,
    )
    [payment] = payments_of(stack, member)
    assert payment["method"] == "money_order" and payment["recorded_by"] == paid["json"]["recorded_by"] != "processor"
    # The same money order number for another member is their own reference.
    bob = ready_member(stack, email="bob@example.org")
    assert bob.pay(INVOICE, chicago("2026-04-02T12:00"), reference="MO-7731", method="money_order")["statusCode"] == 201
    assert member.pay(INVOICE, chicago("2026-04-02T12:00"), claims=member_claims(member.member_id))["statusCode"] == 403


def test_a_paid_invoice_has_a_receipt_as_json_and_as_a_pdf(stack):
    import base64
    import io

    from pypdf import PdfReader

    member = ready_member(stack)
    member.pay_online(INVOICE, chicago("2026-04-02T12:00"))
    as_json = member.receipt(INVOICE, chicago("2026-04-03T12:00"))
    assert as_json["statusCode"] == 200
    receipt = as_json["json"]
    assert (receipt["invoice_id"], receipt["amount"], receipt["currency"], receipt["method"], receipt["paid_on"]) == (
        INVOICE,
        50,
        "usd",
        "card",
        "2026-04-02",
    )
    pdf = member.receipt(INVOICE, chicago("2026-04-03T12:00"), headers={"Accept": "application/pdf"})
    assert pdf["statusCode"] == 200 and pdf["multiValueHeaders"]["Content-Type"] == ["application/pdf"]
    text = PdfReader(io.BytesIO(base64.b64decode(pdf["body"]))).pages[0].extract_text()
    for expected in (receipt["receipt_number"], INVOICE, "$50.00 USD", "2026-04-02", "Ann Bee"):
        assert expected in text
    unpaid = ready_member(stack, email="bob@example.org")
    assert unpaid.receipt(INVOICE, chicago("2026-04-03T12:00"))["json"]["error"]["code"] == "RECEIPT_NOT_FOUND"
