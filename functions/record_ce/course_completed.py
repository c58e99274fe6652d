"""CE from the body's own online courses: an EventBridge `CourseCompleted` event per completion.

Recorded once however often it is delivered: the activity id comes from the completion id, so a
re-delivery (or a member's manual copy of the course) is a duplicate and changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ConfigDict, Field, ValidationError

from ccp.domain.values import ActivityClaim, Category
from ccp.errors import Conflict, InvalidEvent, RuleViolation
from ccp.jobs import EventBridgeEvent
from ccp.model import LazyModel
from ccp.rules.dates import business_date
from record_ce.service import ActivityRequest, course_activity_id
from record_ce.wiring import recording

logger = Logger()

COURSE_PROVIDER = "AMT online courses"


class CourseCompletion(LazyModel):
    model_config = ConfigDict(extra="ignore")

    completion_id: str = Field(min_length=1, max_length=128)
    member_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    course_title: str = Field(min_length=1, max_length=200)
    points: Decimal = Field(gt=0, max_digits=7, decimal_places=2)
    started_on: date | None = None
    completed_on: date


class CourseCompletedEvent(EventBridgeEvent):
    detail: CourseCompletion  # type: ignore[assignment]  # narrowed to its model, as Powertools Parser does


def record_completion(event: CourseCompletedEvent) -> dict:
    completion = event.detail
    today = business_date(event.time)
    held = recording().credentials_open_on(completion.member_id, completion.completed_on)
    if not held:
        logger.info(
            "course completion outside every open cycle; not recorded",
            extra={"completion_id": completion.completion_id},
        )
        return {"recorded": False, "reason": "NOT_IN_OPEN_CYCLE"}
    claim = ActivityClaim(
        category=Category.PROFESSIONAL_EDUCATION,
        title=completion.course_title,
        provider=COURSE_PROVIDER,
        points=completion.points,
        start_date=completion.started_on or completion.completed_on,
        end_date=completion.completed_on,
    )
    try:
        recorded = recording().record(
            completion.member_id,
            ActivityRequest(credentials=held, claim=claim, attested=True),
            today=today,
            now=event.time,
            source="course_platform",
            activity_id=course_activity_id(completion.completion_id),
        )
    except Conflict as duplicate:
        logger.info(
            "course completion already recorded",
            extra={"completion_id": completion.completion_id, "code": duplicate.code},
        )
        return {"recorded": False, "reason": duplicate.code}
    except RuleViolation as refused:
        logger.warning(
            "course completion refused by the rules",
            extra={"completion_id": completion.completion_id, "code": refused.code},
        )
        return {"recorded": False, "reason": refused.code}
    return {"recorded": True, "activity_id": recorded.activity.activity_id}


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    try:
        parsed = _parse(event)
    except ValidationError as error:
        # A malformed event will not get better on retry: refuse it, change nothing.
        logger.error("malformed CourseCompleted event", extra={"errors": error.error_count()})
        raise InvalidEvent("Malformed CourseCompleted event.") from error
    return record_completion(parsed)


def _parse(event: dict) -> CourseCompletedEvent:
    return CourseCompletedEvent.model_validate(event)
