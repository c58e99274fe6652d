"""The totals never drift over DynamoDB (moto): the machine of tests/support/totals_machine.py over the
table's own expressions and conditions (the in-memory run in `make unit` takes many more examples),
and the races and duplicates that only the table's conditions decide."""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

import boto3
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from ccp.data.activities import ActivityRepository
from ccp.data.dynamo import table as ccp_table
from ccp.data.members import MemberRepository
from ccp.domain.values import ActivityClaim, Category
from ccp.errors import Conflict
from ccp.rules.versions import default_rule_book
from record_ce.enrolment import Enrolment
from record_ce.service import ActivityRequest, CeRecording, NewCredential, NewMember
from tests.support.totals_machine import NOW, TODAY, TotalsMachine, stored_totals_agree_with_activities


class InterleavingRepository(MemberRepository):
    """Runs another writer's whole change between a use case's read of an activity and its read of the
    member's totals: the interleaving that used to apply a correction to stale data."""

    def __init__(self, table):
        super().__init__(table)
        self.between = None

    def member_state(self, member_id):
        pending, self.between = self.between, None
        if pending is not None:
            pending()
        return super().member_state(member_id)


class Service(NamedTuple):
    """The CE use cases over the moto table, with `members` (perhaps interleaving) as their member port."""

    enrolment: Enrolment
    recording: CeRecording

    @classmethod
    def over(cls, members: MemberRepository) -> "Service":
        recording = CeRecording(members, ActivityRepository(ccp_table()), default_rule_book())
        return cls(Enrolment(members, recording, default_rule_book()), recording)

    def create_member(self, *args, **kwargs):
        return self.enrolment.create_member(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.recording, name)


class DynamoTotalsMachine(TotalsMachine):
    def ports(self):
        return InterleavingRepository(ccp_table()), ActivityRepository(ccp_table())

    def forget(self, member_id):
        t = boto3.resource("dynamodb").Table(ccp_table().name)
        items = t.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"MEMBER#{member_id}"})
        with t.batch_writer() as batch:
            for item in items["Items"]:
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})


def test_the_totals_never_drift_under_any_interleaving_of_changes_in_dynamodb(table):
    run_state_machine_as_test(
        DynamoTotalsMachine,
        settings=settings(
            max_examples=25, stateful_step_count=12, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )


def test_a_correction_that_lost_a_race_is_applied_to_fresh_data(table):
    """The deterministic form of the phantom-points report: two corrections and a removal."""
    repository = InterleavingRepository(ccp_table())
    service = Service.over(repository)
    member = service.create_member(
        NewMember(
            first_name="Race",
            last_name="Condition",
            email="race@example.org",
            mailing_address=None,
            credentials=[NewCredential("RMA", date(2025, 3, 10))],
        ),
        today=TODAY,
        now=NOW,
    ).profile.member_id
    claim = ActivityClaim(
        category=Category.PROFESSIONAL_EDUCATION,
        title="Course",
        points=Decimal(2),
        start_date=date(2026, 1, 5),
        end_date=date(2026, 1, 5),
    )
    activity = service.record(member, ActivityRequest(["RMA"], claim, True), today=TODAY, now=NOW).activity.activity_id
    repository.between = lambda: service.update(
        member, activity, {"points": Decimal(50)}, attested=True, today=TODAY, now=NOW
    )
    service.update(member, activity, {"points": Decimal(10)}, attested=True, today=TODAY, now=NOW)
    stored_totals_agree_with_activities(repository, ActivityRepository(ccp_table()), member)
    assert ActivityRepository(ccp_table()).activity(member, activity).points == Decimal(
        10
    )  # the later write, on fresh data
    service.delete(member, activity, today=TODAY)
    [credential] = repository.credentials(member)
    assert sum(credential.recorded.values()) == 0 and credential.met_on is None


@pytest.mark.parametrize("provider", [None, "Another provider", "RED CROSS"])
def test_a_changed_or_missing_provider_never_lets_one_course_count_twice(table, provider):
    service = Service.over(MemberRepository(ccp_table()))
    member = service.create_member(
        NewMember(
            first_name="Dup",
            last_name="Licate",
            email="dup@example.org",
            mailing_address=None,
            credentials=[NewCredential("RMA", date(2025, 3, 10))],
        ),
        today=TODAY,
        now=NOW,
    ).profile.member_id
    first = ActivityClaim(
        category=Category.PROFESSIONAL_EDUCATION,
        title="Infection Control",
        provider="Red Cross",
        points=Decimal(5),
        start_date=date(2026, 1, 5),
        end_date=date(2026, 1, 5),
    )
    service.record(member, ActivityRequest(["RMA"], first, True), today=TODAY, now=NOW)
    copy = first.model_copy(update={"provider": provider, "title": "  infection   control "})
    with pytest.raises(Conflict) as refused:
        service.record(member, ActivityRequest(["RMA"], copy, True), today=TODAY, now=NOW)
    assert refused.value.code == "DUPLICATE_ACTIVITY"
