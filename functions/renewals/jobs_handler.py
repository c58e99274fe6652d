"""Scheduled and queued renewal functions. Each takes "now" from its event, so any day can be
replayed, and each is safe to run twice or twice at once (the notice ledger decides)."""

from __future__ import annotations

import json
from datetime import datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp import dependency
from ccp.data.dynamo import table
from ccp.data.invoices import InvoiceRepository
from ccp.data.job_days import JobDays
from ccp.data.members import MemberRepository
from ccp.data.notice_ledger import NoticeLedger
from ccp.data.outbound import EventPublisher, WorkQueue
from ccp.data.work_lists import WorkLists
from ccp.errors import InvalidEvent
from ccp.jobs import catch_up, scheduled_moment
from ccp.notice_sending import notice_sender
from ccp.notices import NoticeSender, Outbox
from ccp.rules.versions import default_rule_book
from ccp.settings import (
    EventSettings,
    WorkQueueSettings,
)
from renewals.run import RenewalRun, RunStores, WorkUnit
from renewals.standing_jobs import InvoiceUnlock, StatusSweep

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@dependency
def _sender() -> NoticeSender:
    return notice_sender(table(for_jobs=True))


@dependency
def _run() -> RenewalRun:
    queue = WorkQueue(WorkQueueSettings.from_env().renewal_queue_url)
    jobs_table = table(for_jobs=True)
    stores = RunStores(WorkLists(jobs_table), InvoiceRepository(jobs_table), NoticeLedger(jobs_table))
    return RenewalRun(stores, _sender(), queue, default_rule_book())


@dependency
def _sweep() -> StatusSweep:
    # Built once a container, as the run is: a new EventBridge client a run cost 7 ms of every day's sweep.
    events = EventPublisher(EventSettings.from_env().event_bus_name, source="ccp.renewals")
    jobs_table = table(for_jobs=True)
    return StatusSweep(
        MemberRepository(jobs_table), WorkLists(jobs_table), _sender(), default_rule_book(), events=events
    )


def _moment(event: dict):
    try:
        return scheduled_moment(event)
    except InvalidEvent:
        logger.error("refused a malformed scheduled event; nothing was changed")
        raise


def _jobs() -> JobDays:
    return JobDays(table(for_jobs=True))


def _count(summary: dict) -> None:
    for kind, channels in summary.get("notices", {}).items():
        for channel, n in channels.items():
            if not channel.startswith("suppressed"):
                metrics.add_metric(name=f"Notices.{kind}.{channel}", unit=MetricUnit.Count, value=n)
    # Parked notices wait for staff (the ParkedNoticesAlarm); 0 is published too, so the alarm sees runs.
    metrics.add_metric(name="NoticesParked", unit=MetricUnit.Count, value=summary.get("parked", 0))
    if "days_behind" in summary:  # a scheduled run: how many days it still has to catch up (JobsBehindAlarm)
        metrics.add_metric(name="JobDaysBehind", unit=MetricUnit.Count, value=summary["days_behind"])


@logger.inject_lambda_context
@metrics.log_metrics
def renewal_notices(event: dict, context: LambdaContext) -> dict:
    """The daily run. Staff re-drive parked notices by invoking it with `"detail": {"redrive_parked": true}`:
    they go back to the claims and this run's heal units send them."""
    moment = _moment(event)
    redriven = _run().redrive_parked(moment) if (event.get("detail") or {}).get("redrive_parked") is True else 0
    budget = WorkQueueSettings.from_env().inline_item_budget
    summary = {
        **catch_up("renewal_notices", moment, lambda at: _run().run_day(at, inline_budget=budget).as_dict(), _jobs()),
        "redriven": redriven,
    }
    _count(summary)
    logger.info("renewal run done", extra={k: v for k, v in summary.items() if k != "postal_batches"})
    return summary


@logger.inject_lambda_context
@metrics.log_metrics
def renewal_worker(event: dict, context: LambdaContext) -> dict:
    """Queued renewal work; a unit that fails is reported alone and retried (then dead-lettered).

    Besides `batchItemFailures` (all Lambda reads), the answer carries each unit's summary.
    """
    records = event.get("Records", [])
    outboxes: dict[datetime, Outbox] = {}

    def work(record: SQSRecord) -> dict:
        unit = WorkUnit.from_message(json.loads(record.body))
        # One outbox per run (moment) for the whole batch: full SES bulk groups, one print batch.
        if unit.run_time not in outboxes:
            outboxes[unit.run_time] = _run().worker_outbox(unit)
        outbox = outboxes[unit.run_time]
        return _run().work(unit, outbox).as_dict()

    with processor(records=records, handler=work, lambda_context=context):
        outcomes = processor.process()
    summaries = [result for status, result, _ in outcomes if status == "success"]
    # What was sent is the outboxes' to tell (a failed send stays claimed and the next run re-sends it).
    summaries += [outbox.flush().as_dict() for outbox in outboxes.values()]
    for summary in summaries:
        _count(summary)
    return {**processor.response(), "summaries": summaries}


@logger.inject_lambda_context
@metrics.log_metrics
def invoice_unlock(event: dict, context: LambdaContext) -> dict:
    unlock = InvoiceUnlock(WorkLists(table(for_jobs=True)), InvoiceRepository(table(for_jobs=True)), _sender())
    summary = catch_up("invoice_unlock", _moment(event), lambda at: unlock.run(at).as_dict(), _jobs())
    metrics.add_metric(name="InvoicesUnlocked", unit=MetricUnit.Count, value=summary["invoices_unlocked"])
    _count(summary)
    return summary


@logger.inject_lambda_context
@metrics.log_metrics
def status_sweep(event: dict, context: LambdaContext) -> dict:
    sweep = _sweep()
    summary = catch_up("status_sweep", _moment(event), lambda at: sweep.run(at).as_dict(), _jobs())
    for status, n in summary["status_changes"].items():
        metrics.add_metric(name=f"StatusChanges.{status}", unit=MetricUnit.Count, value=n)
    _count(summary)
    return summary
