"""Status over years of replayed days: active -> inactive -> must_recertify, persisted by the sweep."""

from datetime import date, datetime, time, timedelta

import pytest

from ccp.rules.dates import BUSINESS_TZ
from ccp_local.events import staff_claims
from ccp_local.inprocess import deployed_stack, reset_cached_dependencies
from tests.integration.renewal_helpers import chicago, emails_to, new_member

VERIFY = "record_ce.verify_handler.lambda_handler"

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
            # Day after day in order, each run's catch-up has exactly its own day to do.
            result = stack.job(job, datetime.combine(day, at, tzinfo=BUSINESS_TZ), catch_up=True)
            if job == "status_sweep" and result["status_changes"]:
                changes[day] = result["status_changes"]
        day += timedelta(days=1)
    return changes


def test_a_member_goes_active_inactive_must_recertify_over_three_years_of_replayed_days(stack):
    # RMA certified 2020-05-10; the open cycle is 2023-05-10 .. 2026-05-09 and no points come.
    member = new_member(stack, certified_on="2020-05-10", email="lapsing@example.org")
    changes = replay(stack, date(2026, 4, 25), date(2029, 5, 12))
    assert changes == {date(2026, 5, 10): {"inactive": 1}, date(2029, 5, 9): {"must_recertify": 1}}
    told = emails_to(stack, "lapsing@example.org", "status_changed")
    assert [e["subject"] for e in told] == ["Your RMA certification is inactive", "Your RMA certification is lapsed"]
    # In plain words, with the reason and what to do; never a status code.
    assert (
        "Your RMA certification is inactive because your CCP cycle ended on 2026-05-09 without the required points "
        "(30 more were needed)." in told[0]["text"]
    )
    assert "Apply for recertification, by CCP or by exam" in told[1]["text"]
    assert not any("must_recertify" in e["text"] for e in told)
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


def progress(stack, member, at):
    response = stack.api(
        "record_ce.handler.lambda_handler",
        "GET",
        "/members/{member_id}/progress",
        f"/members/{member.member_id}/progress",
        claims=member.claims,
        at=chicago(at),
    )
    return response["json"][0]


def test_progress_says_when_the_member_would_become_inactive_and_have_to_recertify(stack):
    member = new_member(stack, certified_on="2024-07-20", email="late@example.org")  # cycle ends 2027-07-19
    stack.job("renewal_notices", chicago("2025-07-01T06:00"))  # RMA-20250720, due 2025-07-31
    before = progress(stack, member, "2025-07-10T12:00")
    assert (before["inactive_on"], before["must_recertify_on"]) == ("2025-08-01", "2028-07-31")
    # A payment at 20:00 in Chicago on the due date (already 1 August in UTC) is on time.
    paid = member.pay("RMA-20250720", chicago("2025-07-31T20:00"))
    assert paid["statusCode"] == 201
    assert member.invoices(chicago("2025-08-01T12:00"))["RMA-20250720"]["paid_on"] == "2025-07-31"
    after = progress(stack, member, "2025-08-01T12:00")
    assert (after["status"], after["inactive_on"], after["must_recertify_on"]) == ("active", "2026-08-01", "2029-07-31")


def test_a_later_payment_does_not_rewrite_the_status_of_an_earlier_day(stack):
    member = new_member(stack, certified_on="2024-07-20", email="late@example.org")
    stack.job("renewal_notices", chicago("2025-07-01T06:00"))
    assert member.pay("RMA-20250720", chicago("2025-08-10T12:00"))["statusCode"] == 201
    assert member.profile(chicago("2025-08-05T12:00"))["status"] == "inactive"  # unpaid that day
    assert member.profile(chicago("2025-08-10T12:00"))["status"] == "active"


def test_a_sweep_that_loses_every_race_fails_loudly_and_a_rerun_settles_it(stack, monkeypatch):
    from ccp.data.members import MemberRepository
    from ccp.data.writes import StaleWrite
    from ccp.errors import Retryable

    new_member(stack, certified_on="2024-07-20", email="late@example.org")
    stack.job("renewal_notices", chicago("2025-07-01T06:00"))

    def always_stale(self, before, after):
        raise StaleWrite()

    with monkeypatch.context() as patched:
        patched.setattr(MemberRepository, "replace_credential", always_stale)
        with pytest.raises(Retryable):
            stack.job("status_sweep", chicago("2025-08-01T06:30"))
    assert emails_to(stack, "late@example.org", "status_changed") == []
    assert stack.job("status_sweep", chicago("2025-08-01T06:30"))["status_changes"] == {"inactive": 1}
    assert len(emails_to(stack, "late@example.org", "status_changed")) == 1


def test_public_verification_follows_the_status_and_calls_must_recertify_lapsed(stack):
    member = new_member(stack)
    for day in ("2026-04-01", "2026-05-01"):
        stack.job("renewal_notices", chicago(f"{day}T06:00"))

    def verified(when: str) -> dict:
        answer = stack.api(VERIFY, "GET", "/verify/{member_id}", f"/verify/{member.member_id}", at=chicago(when))
        assert answer["statusCode"] == 200, answer
        return answer["json"]["credentials"][0]

    # The cycle (2023-04-15 .. 2026-04-14) ends with its points unmet: that is the first deadline.
    assert verified("2026-04-14T12:00") | {"certified_on": None} == {
        "code": "RMA",
        "name": "Registered Medical Assistant",
        "certified_on": None,
        "status": "active",
        "valid_through": "2026-04-14",
    }
    assert (verified("2026-04-15T12:00")["status"], verified("2026-04-15T12:00")["valid_through"]) == ("inactive", None)
    assert verified("2029-04-15T12:00")["status"] == "lapsed"


def as_of(stack, member, resource, day, *, when="2025-08-20T12:00", claims=None):
    """Staff ask `resource` ("" or "/progress") as it stood at the end of `day` (`?at=`), on a later day."""
    return stack.api(
        "record_ce.handler.lambda_handler",
        "GET",
        "/members/{member_id}" + resource,
        f"/members/{member.member_id}{resource}?at={day}",
        claims=claims or staff_claims(),
        at=chicago(when),
    )


def test_staff_see_a_past_day_as_it_stood_before_a_late_payment_rolled_the_cycle_over(stack):
    # The cycle 2022-07-20 .. 2025-07-19 is met on 2025-06-01; its closing fee (due 2025-07-31) is paid late,
    # on 2025-08-10, which rolls the credential into its next cycle.
    member = new_member(stack, certified_on="2022-07-20", email="late@example.org", at="2025-06-01T10:00")
    assert member.record(chicago("2025-06-01T12:00"), end_date="2025-05-30")["statusCode"] == 201
    stack.job("renewal_notices", chicago("2025-07-01T06:00"))
    paid = member.pay("RMA-20250720", chicago("2025-08-10T12:00"))
    assert (paid["statusCode"], paid["json"]["rolled_over"]) == (201, True)

    before = as_of(stack, member, "", "2025-08-05")
    assert before["statusCode"] == 200, before
    [credential] = before["json"]["credentials"]
    assert (before["json"]["status"], credential["cycle_start"], credential["cycle_end"]) == (
        "inactive",
        "2022-07-20",
        "2025-07-19",
    )
    [progress_then] = as_of(stack, member, "/progress", "2025-08-05")["json"]
    assert (progress_then["cycle_start"], progress_then["recorded_points"], progress_then["met_on"]) == (
        "2022-07-20",
        30,
        "2025-06-01",
    )
    assert progress_then["status"] == "inactive"
    # Before the points were recorded, that cycle had none (a later recording does not reach back).
    [progress_earlier] = as_of(stack, member, "/progress", "2025-05-31")["json"]
    assert (progress_earlier["recorded_points"], progress_earlier["met_on"]) == (0, None)
    # The day of the payment ends in the new cycle; today too.
    [credential_after] = as_of(stack, member, "", "2025-08-10")["json"]["credentials"]
    assert (credential_after["cycle_start"], credential_after["status"]) == ("2025-07-20", "active")
    assert member.profile(chicago("2025-08-20T12:00"))["credentials"][0]["cycle_start"] == "2025-07-20"


def test_only_staff_ask_for_another_day_and_only_for_days_that_have_been(stack):
    member = new_member(stack, certified_on="2024-07-20", email="ann@example.org")
    own = as_of(stack, member, "", "2025-06-01", when="2025-06-10T12:00", claims=member.claims)
    assert (own["statusCode"], own["json"]["error"]["code"]) == (403, "STAFF_ONLY")
    # A member asking for their today is asking for their record.
    assert as_of(stack, member, "", "2025-06-10", when="2025-06-10T12:00", claims=member.claims)["statusCode"] == 200
    future = as_of(stack, member, "/progress", "2025-07-01", when="2025-06-10T12:00")
    assert (future["statusCode"], future["json"]["error"]["code"]) == (422, "FUTURE_DATE")
    malformed = as_of(stack, member, "", "2025-13-01", when="2025-06-10T12:00")
    assert (malformed["statusCode"], malformed["json"]["error"]["code"]) == (422, "VALIDATION_ERROR")
