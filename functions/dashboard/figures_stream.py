"""The table's stream → the dashboard's counters (ccp.figures): each change of a credential,
invoice or audit moves the counters it belongs to, once per stream event."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp.data.dynamo import table
from ccp.data.figures import FiguresRepository
from ccp.figures import moves

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@lru_cache(maxsize=1)
def figures() -> FiguresRepository:
    return FiguresRepository(table(for_jobs=True))


def count(record: DynamoDBRecord) -> bool:
    stream = record.dynamodb
    change = moves(stream.old_image if stream else None, stream.new_image if stream else None)
    if not change or not record.event_id:
        return False
    # The event's own time (when DynamoDB wrote it), so a replay decides the same.
    written = stream.approximate_creation_date_time if stream else None
    at = written if isinstance(written, datetime) else datetime.now(UTC)
    return figures().apply(record.event_id, change, at)


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    """A batch of stream records; a record that fails is reported alone (the batch is retried from it)."""
    return dict(process_partial_response(event=event, record_handler=count, processor=processor, context=context))
