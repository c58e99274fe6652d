"""Status over years of replayed days: active -> inactive -> must_recertify, persisted by the sweep."""

from datetime import date, datetime, time, timedelta

import pytest

from ccp.rules.dates import BUSINESS_TZ
from tests.integration.renewal_helpers import chicago, emails_to, new_member
from ccp_local.inprocess import deployed_stack, reset_cached_dependencies

DAILY = [("invoice_unlock", time(0, 5)), ("renewal_notices", time(6, 0)), ("status_sweep", time(6, 30))]


@pytest.fixture
def stack(monkeypatch):
    with deployed_stack() as deployed:
        # One index shard keeps three years of daily runs quick in embedded DynamoDB;
        # the shard count is a deployment setting and every other test uses the template's 16.
        monkeypatch.setenv("INDEX_SHARDS", "1")
        reset_cached_dependencies()
        yield deployed


def replay(stack, first: date, last: date) -> dict[date, dict]:
    changes = {}
    day = first
    while day <= last:
        for job, at in DAILY:
            result = stack.job(job, datetime.combine(day, at, tzinfo=BUSINESS_TZ))
            if job == "status_sweep" and result["status_changes"]:
                changes[day] = result["status_changes"]
        day += timedelta(days=1)
    return changes


def test_a_member_goes_active_inactive_must_recertify_over_three_years_of_replayed_days(stack):
    # RMA certified 2020-05-10; the open cycle is 2023-05-10 .. 2026-05-09 and no points come.
    member = new_member(stack, certified_on="2020-05-10", email="lapsing@example.org")
    changes = replay(stack, date(2026, 4, 25), date(2029, 5, 12))
    assert changes == {date(2026, 5, 10): {"inactive": 1}, date(2029, 5, 9): {"must_recertify": 1}}
    subjects = [e["subject"] for e in emails_to(stack, "lapsing@example.org", "status_changed")]
    assert subjects == ["Your RMA certification status is now inactive", "Your RMA certification status is now must_recertify"]
    # Past due notices went out for each unpaid year; nothing went out twice.
    past_due = emails_to(stack, "lapsing@example.org", "past_due")
    assert len(past_due) == len({e["subject"] for e in past_due}) == 3
    # Once must_recertify, fees are no longer accepted.
    invoices = member.invoices(chicago("2029-05-12T12:00"))
    unpaid = next(i for i in invoices.values() if i["state"] == "open")
    assert member.pay(unpaid["invoice_id"], chicago("2029-05-12T12:00"))["json"]["error"]["code"] == "MUST_RECERTIFY"


def test_status_is_shown_for_any_day_and_payment_cures_an_unpaid_fee(stack):
    member = new_member(stack, certified_on="2024-07-20", email="late@example.org")  # cycle ends 2027-07-19
    stack.job("renewal_notices", chicago("2025-07-01T06:00"))  # invoice RMA-20250720, due 2025-07-31
    assert member.profile(chicago("2025-07-31T23:00"))["status"] == "active"
    assert member.profile(chicago("2025-08-01T00:30"))["status"] == "inactive"
    stack.job("status_sweep", chicago("2025-08-01T06:30"))
    paid = member.pay("RMA-20250720", chicago("2025-08-10T12:00"))
    assert (paid["statusCode"], paid["json"]["status"], paid["json"]["rolled_over"]) == (201, "active", False)
    assert member.profile(chicago("2025-08-10T12:00"))["status"] == "active"
