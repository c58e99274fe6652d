"""The boundary of scheduled and queued functions: the moment they run for comes from the event."""

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, ConfigDict, Field, ValidationError

from ccp.errors import InvalidEvent
from ccp.model import LazyModel


class EventBridgeEvent(LazyModel):
    """The EventBridge envelope (the fields Powertools' EventBridgeModel requires). Our own because
    importing Powertools' parser models loads every model of every AWS event source: about 110 ms
    of cold start for this one class."""

    model_config = ConfigDict(populate_by_name=True)

    version: str
    id: str
    source: str
    account: str
    time: AwareDatetime
    region: str
    resources: list[str]
    detail_type: str = Field(alias="detail-type")
    detail: dict[str, Any]
    replay_name: str | None = Field(default=None, alias="replay-name")


def scheduled_moment(event: object) -> datetime:
    """The `time` of an EventBridge (Scheduler) event: the job's "now", so any day can be replayed.

    A malformed event is refused (InvalidEvent) before anything changes.
    """
    try:
        return EventBridgeEvent.model_validate(event).time
    except ValidationError as error:
        raise InvalidEvent(f"Not a scheduled event ({error.error_count()} problems).") from error
