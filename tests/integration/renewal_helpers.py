"""Driving the deployed template's functions the way members, staff and schedules do."""

from __future__ import annotations

from datetime import UTC, datetime

from ccp.rules.dates import BUSINESS_TZ
from ccp_local.events import member_claims, staff_claims

ADDRESS = {"line1": "1 Main St", "city": "Chicago", "state": "IL", "postal_code": "60601"}
RECORD_CE = "record_ce.handler.lambda_handler"
BILLING = "renewals.billing_api.lambda_handler"


def chicago(text: str) -> datetime:
    """A Chicago wall-clock time as the UTC moment API Gateway or a schedule would record."""
    return datetime.fromisoformat(text).replace(tzinfo=BUSINESS_TZ).astimezone(UTC)


class Member:
    def __init__(self, stack, member_id: str):
        self.stack, self.member_id = stack, member_id
        self.claims = member_claims(member_id)

    def _call(self, handler, method, resource, suffix, at, **kwargs):
        return self.stack.api(
            handler,
            method,
            "/members/{member_id}" + resource,
            f"/members/{self.member_id}{suffix}",
            claims=kwargs.pop("claims", self.claims),
            at=at,
            **kwargs,
        )

    def record(self, at, points=30, title="Course", end_date="2026-02-01", category="formal_education"):
        body = {
            "credentials": ["RMA"],
            "category": category,
            "title": title,
            "points": points,
            "start_date": end_date,
            "end_date": end_date,
            "attested": True,
        }
        return self._call(RECORD_CE, "POST", "/ce-activities", "/ce-activities", at, body=body)

    def invoices(self, at):
        response = self._call(BILLING, "GET", "/invoices", "/invoices", at)
        assert response["statusCode"] == 200, response
        return {i["invoice_id"]: i for i in response["json"]["invoices"]}

    def pay(self, invoice_id, at, amount=50, reference="ch_1", method="check", **kwargs):
        """An offline payment recorded by staff (members pay at the processor: see `pay_online`)."""
        body = {"amount": amount, "method": method, "reference": reference}
        kwargs.setdefault("claims", staff_claims())
        return self._call(
            BILLING,
            "POST",
            "/invoices/{invoice_id}/payments",
            f"/invoices/{invoice_id}/payments",
            at,
            body=body,
            **kwargs,
        )

    def checkout(self, invoice_id, at, **kwargs):
        return self._call(
            BILLING, "POST", "/invoices/{invoice_id}/checkout", f"/invoices/{invoice_id}/checkout", at, **kwargs
        )

    def receipt(self, invoice_id, at, **kwargs):
        return self._call(
            BILLING, "GET", "/invoices/{invoice_id}/receipt", f"/invoices/{invoice_id}/receipt", at, **kwargs
        )

    def pay_online(self, invoice_id, at):
        """Checkout, then the processor confirms the payment with a signed webhook (the stand-in's)."""
        started = self.checkout(invoice_id, at)
        assert started["statusCode"] == 201, started
        return self.stack.pay_checkout(started["json"]["checkout_id"], at)

    def profile(self, at):
        return self._call(RECORD_CE, "GET", "", "", at)["json"]


def new_member(
    stack, certified_on="2023-04-15", at="2025-06-01T10:00", email="ann@example.org", address=True, **extra
) -> Member:
    body = {
        "first_name": "Ann",
        "last_name": "Bee",
        "email": email,
        "credentials": [{"code": "RMA", "certified_on": certified_on}],
        **({"mailing_address": ADDRESS} if address else {}),
        **extra,
    }
    response = stack.api(
        RECORD_CE, "POST", "/staff/members", "/staff/members", claims=staff_claims(), at=chicago(at), body=body
    )
    assert response["statusCode"] == 201, response
    return Member(stack, response["json"]["member_id"])


def emails_to(stack, address, template_suffix=None):
    return [
        e
        for e in stack.emails()
        if address in e["to"] and (template_suffix is None or e["template"].endswith(template_suffix))
    ]


def letters(stack, notice_kind=None):
    """Rows of every CSV manifest written so far (one row a letter)."""
    rows = []
    for key in stack.batch_keys():
        if key.endswith(".csv"):
            lines = stack.read(key).decode().splitlines()[1:]
            rows += [line.split(",") for line in lines if notice_kind is None or f",{notice_kind}," in line]
    return rows
