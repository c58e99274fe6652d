"""Renewal runs under failure: 30% of DynamoDB and SES calls throttled (tests/support/faults.py),
re-deliveries, concurrent runs and a crash. Nothing is lost, nothing is sent twice."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest

from bench.population import seed_population
from ccp_local.events import member_claims
from ccp_local.inprocess import deployed_stack
from tests.support import figures
from tests.support.faults import throttled

MEMBERS = 200
MAY_RUN = datetime(2026, 5, 1, 11, 0, tzinfo=UTC)
JUNE_RUN = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
LATER = timedelta(minutes=20)
LAMBDA_ATTEMPTS = 3  # an asynchronous invocation that fails is run twice more


@pytest.fixture(scope="module")
def stack():
    with deployed_stack() as deployed:
        seed_population(MEMBERS, today=date(2026, 4, 20), progress=False)
        yield deployed


def notices(stack) -> list[dict]:
    """The notice ledger, read directly (a test may scan; the program never does)."""
    table = boto3.resource("dynamodb").Table(stack.table_name)
    items, kwargs = [], {}
    while True:
        page = table.scan(**kwargs)
        items += [i for i in page["Items"] if i.get("entity") == "notice"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def deliver(stack, moment, **detail):
    """One delivery of the scheduled event, and of the work it queued (as Lambda would)."""
    from ccp.errors import Retryable
    from ccp_local.events import FakeLambdaContext, scheduled_event
    from renewals.jobs_handler import renewal_notices

    event = scheduled_event(moment)
    event["detail"] = detail
    stack.assume_done_before("renewal_notices", moment)  # the days between the test's runs had nothing to do
    for attempt in range(LAMBDA_ATTEMPTS):
        try:
            summary = renewal_notices(event, FakeLambdaContext())
            break
        except Retryable:  # a throttle outlasted the SDK's retries: Lambda runs the event again
            if attempt == LAMBDA_ATTEMPTS - 1:
                raise
    stack.drain_queue()
    return summary


def sent_so_far(stack) -> Counter:
    """Every email (recipient, subject) and letter (ledger key) sent so far, with how often."""
    sent = Counter(("email", tuple(e["to"]), e["subject"]) for e in stack.emails())
    for key in stack.batch_keys():
        if key.endswith(".csv"):
            for row in stack.read(key).decode().splitlines()[1:]:
                sent[("letter", *row.split(",")[1:5])] += 1
    return sent


def claimed_on(stack, day: str) -> list[dict]:
    return [n for n in notices(stack) if n["claimed_at"][:10] == day]


def assert_each_sent_once(stack, day: str, before: Counter) -> list[dict]:
    ledger = claimed_on(stack, day)
    new = sent_so_far(stack) - before
    assert ledger and {n["state"] for n in ledger} == {"sent"}
    assert max(new.values()) == 1, "a notice went out twice"
    assert sum(new.values()) == len(ledger), "a notice is missing"
    return ledger


def test_a_run_under_30_percent_throttling_sends_or_holds_every_notice_and_the_next_run_completes_it(stack):
    before = sent_so_far(stack)
    with throttled(0.3) as throttle:
        deliver(stack, MAY_RUN)
    after_first = claimed_on(stack, "2026-05-01")
    held = [n for n in after_first if n["state"] != "sent"]
    assert after_first and all(n["state"] in ("sent", "claimed", "parked") for n in after_first)
    assert all(n.get("last_error") for n in held), "every notice not sent carries its reason"
    deliver(stack, MAY_RUN + LATER)
    ledger = assert_each_sent_once(stack, "2026-05-01", before)

    figures.record(
        "faults",
        "DynamoDB / SES requests throttled (30%)",
        f"{throttle.throttled['dynamodb']:,} of {throttle.calls['dynamodb']:,} / "
        f"{throttle.throttled['ses']} of {throttle.calls['ses']}",
    )
    figures.record(
        "faults",
        "May 1 run, 200 members: notices / sent under throttling / held with reason / lost",
        f"{len(ledger)} / {len(after_first) - len(held)} / {len(held)} / 0",
    )
    figures.record(
        "faults", "SDK back-off asked for during that run", f"{throttle.backoff_seconds:.0f} s (recorded, not slept)"
    )


def test_an_ses_outage_parks_email_notices_with_the_reason_and_a_redrive_sends_them_all_once(stack):
    from ccp.notices import MAX_ATTEMPTS

    before = sent_so_far(stack)
    start = datetime(2026, 8, 1, 11, 0, tzinfo=UTC)
    with throttled(1.0, ("ses",)):
        for attempt in range(MAX_ATTEMPTS):
            deliver(stack, start + attempt * LATER)
    parked = [n for n in claimed_on(stack, "2026-08-01") if n["state"] == "parked"]
    # Letters stop too: their words come from the same SES templates.
    assert parked and {n["last_error"] for n in parked} <= {"Throttling", "print batch not stored: ClientError"}
    redrive = deliver(stack, start + MAX_ATTEMPTS * LATER, redrive_parked=True)
    assert redrive["redriven"] == len(parked)
    ledger = assert_each_sent_once(stack, "2026-08-01", before)
    reasons = Counter(n["last_error"] for n in parked)
    figures.record(
        "faults",
        "SES down for 5 runs (Aug 1): notices parked, by reason",
        ", ".join(f"{n} {reason!r}" for reason, n in reasons.items()),
    )
    figures.record("faults", "after the re-drive", f"{len(ledger)} of {len(ledger)} sent (100%), each once")


def test_the_same_run_three_times_and_sixteen_at_once_send_each_notice_exactly_once(stack):
    before = sent_so_far(stack)
    with throttled(0.3, seed=31):
        for _ in range(3):
            deliver(stack, JUNE_RUN)
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda _: deliver(stack, JUNE_RUN), range(16)))
    deliver(stack, JUNE_RUN + LATER)  # heals what a throttled send left behind
    june = assert_each_sent_once(stack, "2026-06-01", before)
    figures.record(
        "faults", "June 1 run delivered 3x then 16x at once (throttled)", f"{len(june)} notices, each sent exactly once"
    )


def test_a_crash_between_claim_and_send_is_healed_by_the_next_run(stack, monkeypatch):
    from ccp.data.outbound import Mailer

    def crash(self, template, messages):
        raise SystemExit("the function died after claiming")

    before = sent_so_far(stack)
    monkeypatch.setattr(Mailer, "send_bulk", crash)
    with pytest.raises(SystemExit):
        deliver(stack, datetime(2026, 7, 1, 11, 0, tzinfo=UTC))
    monkeypatch.undo()
    stranded = [n for n in claimed_on(stack, "2026-07-01") if n["state"] == "claimed"]
    assert stranded
    healed = deliver(stack, datetime(2026, 7, 1, 11, 0, tzinfo=UTC) + LATER)
    assert_each_sent_once(stack, "2026-07-01", before)
    figures.record(
        "faults",
        "crash between claim and send (July 1)",
        f"{len(stranded)} claims stranded, {healed['healed_claims']} healed next run, 0 sent twice",
    )


def test_the_api_surfaces_a_throttle_with_bounded_retries(stack):
    import time

    member_id = notices(stack)[0]["member_id"]
    with throttled(1.0, ("dynamodb",), wait=True) as throttle:
        started = time.perf_counter()
        response = stack.api(
            "record_ce.handler.lambda_handler",
            "GET",
            "/members/{member_id}/progress",
            f"/members/{member_id}/progress",
            claims=member_claims(member_id),
        )
        elapsed = time.perf_counter() - started
    assert response["statusCode"] == 503
    assert response["json"]["error"]["code"] == "TRY_AGAIN"
    assert throttle.calls["dynamodb"] == 3  # API_BOTO_CONFIG: three attempts, then the caller hears it
    assert throttle.backoff_seconds <= 3  # standard mode: at most 1 s, then 2 s
    figures.record(
        "faults",
        "API under a full DynamoDB throttle",
        f"503 TRY_AGAIN after 3 attempts, {elapsed:.1f} s (SDK back-off {throttle.backoff_seconds:.1f} s)",
    )
