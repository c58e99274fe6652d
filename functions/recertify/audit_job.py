"""CcpAuditFunction: the January draw (yearly schedule) and, daily, failing audits whose
deadline passed without an answer (every day a missed run left, too). Both take "today" from the event."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp.data.dynamo import table
from ccp.data.job_days import JobDays
from ccp.errors import InvalidEvent
from ccp.jobs import catch_up, scheduled_moment
from recertify.wiring import audits

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    try:
        moment = scheduled_moment(event)
    except InvalidEvent:
        logger.error("refused a malformed scheduled event; nothing was changed")
        raise
    task = (event.get("detail") or {}).get("task", "draw")
    if task == "expire":
        summary = catch_up("audit_expiry", moment, audits().expire, JobDays(table(for_jobs=True)))
        metrics.add_metric(name="JobDaysBehind", unit=MetricUnit.Count, value=summary["days_behind"])
        return summary
    summary = audits().run(moment)
    logger.info("audit draw done", extra={k: summary[k] for k in ("year", "population", "selected", "audits_created")})
    return summary
