"""The table's stream → the dashboard's counters (ccp.figures): each change of a credential,
invoice or audit moves the counters it belongs to, once per stream event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp import dependency
from ccp.data.dynamo import table
from ccp.data.figures import FiguresRepository
from ccp.figures import moves

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@dependency
def figures() -> FiguresRepository:
    return FiguresRepository(table(for_jobs=True))


def count(record: DynamoDBRecord) -> bool:
    change = _moves(record)
    if not change or not record.event_id:
        return False
    return figures().apply(record.event_id, change, _written([record]))


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict[str, Any]:
    """A batch of stream records: their moves summed into a few transactions; if that fails, record
    by record, a failing record reported alone (Lambda retries the batch from it)."""
    records = [DynamoDBRecord(r) for r in event.get("Records", [])]
    try:
        changes = [(r.event_id, _moves(r)) for r in records]
        figures().apply_all([(event_id, m) for event_id, m in changes if event_id and m], _written(records))
        return {"batchItemFailures": []}
    except Exception:
        logger.exception("the batch's figures failed together; applying them one by one")
    return dict(process_partial_response(event=event, record_handler=count, processor=processor, context=context))


def _moves(record: DynamoDBRecord) -> dict[str, int]:
    stream = record.dynamodb
    return moves(stream.old_image if stream else None, stream.new_image if stream else None)


def _written(records: list[DynamoDBRecord]) -> datetime:
    """When DynamoDB wrote the batch's last change (the event's own time, so a replay decides the same)."""
    stream = records[-1].dynamodb if records else None
    written = stream.approximate_creation_date_time if stream else None
    return written if isinstance(written, datetime) else datetime.now(UTC)
