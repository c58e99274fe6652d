"""The dashboard's counters, kept up by the writes: the table's stream, applied by the figures
function (twice, as Lambda may deliver it), agrees with a recount of the table; the dashboard is
one query, as JSON and CSV."""

from collections import Counter

import boto3
import pytest

from ccp.figures import tally
from ccp_local.counting import counted_requests
from ccp_local.events import FakeLambdaContext, staff_claims
from ccp_local.inprocess import deployed_stack
from tests.integration.renewal_helpers import chicago, new_member

DASHBOARD = "dashboard.handler.lambda_handler"


@pytest.fixture
def stack(monkeypatch):
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")  # moto's in-process streams need it
    with deployed_stack() as deployed:
        yield deployed


def stream_records(table_name):
    """Every record of the table's stream, oldest first, as Lambda's event carries them."""
    dynamodb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        answer = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)
        for record in answer["Records"]:
            written = record["dynamodb"].get("ApproximateCreationDateTime")
            record["dynamodb"]["ApproximateCreationDateTime"] = int(written.timestamp()) if written else 0
            records.append({**record, "eventSourceARN": arn})
    return records


def apply_stream(stack):
    from dashboard.figures_stream import lambda_handler

    records = stream_records(stack.table_name)
    for start in range(0, len(records), 100):
        answer = lambda_handler({"Records": records[start : start + 100]}, FakeLambdaContext())
        assert answer == {"batchItemFailures": []}
    return records


def recount(table_name):
    items = boto3.resource("dynamodb").Table(table_name).scan()["Items"]  # a test's recount; the API never scans
    return {k: v for k, v in tally(items).items() if v}


def counters(stack):
    from ccp.data.dynamo import table
    from ccp.data.figures import FiguresRepository

    return {k: v for k, v in FiguresRepository(table()).counters().items() if v}


def dashboard(stack, at, query=""):
    path = "/staff/dashboard" + query
    return stack.api(DASHBOARD, "GET", "/staff/dashboard", path, claims=staff_claims(), at=chicago(at))


def test_counters_kept_from_the_stream_agree_with_a_recount_however_often_events_arrive(stack):
    paid = new_member(stack, certified_on="2022-03-10", at="2022-04-01T10:00", email="paid@example.org")
    late = new_member(stack, certified_on="2022-03-20", at="2022-04-01T10:00", email="late@example.org")
    voided = new_member(stack, certified_on="2022-03-25", at="2022-04-01T10:00", email="void@example.org")
    new_member(stack, certified_on="2023-05-02", at="2023-06-01T10:00", email="open@example.org")
    stack.job("renewal_notices", chicago("2024-03-01T06:00"))
    paid.pay("RMA-20240310", chicago("2024-03-05T10:00"))
    late.pay("RMA-20240320", chicago("2024-04-10T10:00"), reference="ch_2")
    stack.api(
        "renewals.billing_api.lambda_handler",
        "POST",
        "/staff/members/{member_id}/invoices/{invoice_id}/void",
        f"/staff/members/{voided.member_id}/invoices/RMA-20240325/void",
        claims=staff_claims(),
        at=chicago("2024-03-06T10:00"),
        body={"reason": "issued in error"},
    )
    apply_stream(stack)
    kept = counters(stack)
    assert kept == recount(stack.table_name)
    assert kept["RENEWALS_DUE#2024-03"] == 3
    assert (kept["RENEWALS_PAID_ON_TIME#2024-03"], kept["RENEWALS_PAID_LATE#2024-03"]) == (1, 1)
    assert kept["RENEWALS_VOID#2024-03"] == 1
    assert sum(v for k, v in kept.items() if k.startswith("HOLDERS#RMA#")) == 4

    apply_stream(stack)  # the whole stream again: Lambda's retries change nothing
    assert counters(stack) == kept


def test_the_dashboard_is_one_query_as_json_and_as_csv(stack):
    member = new_member(stack, certified_on="2022-03-10", at="2022-04-01T10:00", email="one@example.org")
    stack.job("renewal_notices", chicago("2024-03-01T06:00"))
    member.pay("RMA-20240310", chicago("2024-03-05T10:00"))
    apply_stream(stack)

    from ccp.data.dynamo import table

    with counted_requests(table().meta.client) as requests:
        answer = dashboard(stack, "2024-03-20T10:00")
    assert sum(requests.values()) == 1 and requests == Counter({"Query": 1})
    view = answer["json"]
    assert view["month"] == "2024-03"
    assert view["holders"] == [{"credential": "RMA", "status": "active", "holders": 1}]
    assert view["renewals"] == {"due": 1, "paid_on_time": 1, "paid_late": 0, "void": 0, "unpaid": 0}
    assert [m["month"] for m in view["unmet_cycles_ending"]] == ["2024-03", "2024-04", "2024-05", "2024-06"]

    csv = dashboard(stack, "2024-03-20T10:00", "?format=csv")
    headers = {**(csv.get("headers") or {}), **{k: v[-1] for k, v in (csv.get("multiValueHeaders") or {}).items()}}
    assert headers["Content-Type"].startswith("text/csv")
    assert "holders active,RMA,1\r\n" in csv["body"] and "renewals paid_on_time,2024-03,1\r\n" in csv["body"]
    assert dashboard(stack, "2024-03-20T10:00", "?month=2024-13")["statusCode"] == 422
