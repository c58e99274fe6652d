"""The boundary of scheduled and queued functions: the moment they run for comes from the event."""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import ValidationError

from ccp.errors import InvalidEvent


def scheduled_moment(event: object) -> datetime:
    """The `time` of an EventBridge (Scheduler) event: the job's "now", so any day can be replayed.

    A malformed event is refused (InvalidEvent) before anything changes.
    """
    try:
        return EventBridgeModel.model_validate(event).time
    except ValidationError as error:
        raise InvalidEvent(f"Not a scheduled event ({error.error_count()} problems).") from error
