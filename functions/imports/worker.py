"""The import's workers (SQS, partial batch failures): split a file into chunks, import a chunk of
lines, send a batch of invitations. Each message is safe to take twice (docs/import.md)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from imports.wiring import imports

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    def work(record: SQSRecord) -> dict[str, Any]:
        summary = imports().work(json.loads(record.body))
        for outcome in ("imported", "unchanged", "invalid"):
            if outcome in summary:
                metrics.add_metric(name=f"Lines.{outcome}", unit=MetricUnit.Count, value=summary[outcome])
        logger.info("import work done", extra={"summary": summary})  # counts and ids only
        return summary

    with processor(records=event.get("Records", []), handler=work, lambda_context=context):
        outcomes = processor.process()
    return {**processor.response(), "summaries": [r for status, r, _ in outcomes if status == "success"]}
