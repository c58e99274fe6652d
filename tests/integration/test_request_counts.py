"""DynamoDB requests per CE record and per progress read, counted with botocore hooks."""

from datetime import date, timedelta

from ccp_local.counting import counted_requests
from tests.integration.helpers import ce_body


def _client():
    from ccp.data.dynamo import table

    return table().meta.client


def test_recording_ce_is_one_query_and_one_transaction(member):
    member.record(title="warm-up")  # the first call of a process also builds clients
    with counted_requests(_client()) as counts:
        assert member.record(title="counted")["statusCode"] == 201
    assert counts == {"Query": 1, "TransactWriteItems": 1}


def test_a_progress_read_is_one_query_whatever_the_number_of_activities(member):
    for activities in (10, 60):
        existing = len(member.call("GET", "/ce-activities")["json"]["activities"])
        for n in range(existing, activities):
            member.record(
                body=ce_body(
                    title=f"Course {n}",
                    points=0.5,
                    start_date=str(date(2026, 1, 1) + timedelta(days=n % 150)),
                    end_date=str(date(2026, 1, 1) + timedelta(days=n % 150)),
                )
            )
        with counted_requests(_client()) as counts:
            progress = member.progress()
        assert counts == {"Query": 1}
        assert progress["recorded_points"] == activities * 0.5
