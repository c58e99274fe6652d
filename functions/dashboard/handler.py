"""The program at a glance for staff (`GET /staff/dashboard`): counters kept up by the writes
(functions/dashboard/figures_stream.py), read with one query; as JSON or CSV. And the daily jobs'
standing (`GET /staff/jobs`): the last day each finished, one query."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp import dependency
from ccp.api import documented, install_boundary, negotiated_format, portal_cors, request_today, resolve
from ccp.data.dynamo import table
from ccp.data.figures import FiguresRepository
from ccp.data.job_days import JobDays
from ccp.domain.records import JobState
from ccp.figures import as_csv, dashboard
from ccp.rules.jobs import DAILY_JOBS, days_behind
from dashboard.schemas import AuditYearOut, DashboardOut, HoldersOut, JobOut, JobsOut, MonthCountOut, RenewalsOut

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True, cors=portal_cors())
install_boundary(app, logger)

CONTENT = {
    "application/json": {"schema": DashboardOut.model_json_schema()},
    "text/csv": {"schema": {"type": "string"}},
}


@dependency
def figures() -> FiguresRepository:
    return FiguresRepository(table())


@app.get("/staff/dashboard", responses=documented(200, "The figures, as JSON or CSV.", 422, content=CONTENT))
def program_dashboard(
    month: Annotated[
        str | None, Query(pattern=r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$", description="the renewals' month")
    ] = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="overrides the Accept header")] = None,
):
    today = request_today(app)
    day = date(int(month[:4]), int(month[5:7]), 1) if month else today
    view = dashboard(figures().counters(), day)
    if (format or negotiated_format(app, ("json", "csv"))) == "csv":
        return Response(
            200,
            "text/csv; charset=utf-8",
            as_csv(view),
            headers={"Content-Disposition": f'attachment; filename="ccp-figures-{view.month}.csv"'},
        )
    out = DashboardOut(
        month=view.month,
        holders=[HoldersOut(credential=c, status=s, holders=n) for c, s, n in view.holders],
        renewals=RenewalsOut(**view.renewals),
        unmet_cycles_ending=[MonthCountOut(month=m, cycles=n) for m, n in view.unmet_cycles_ending],
        audits=[AuditYearOut(year=y, **states) for y, states in view.audits],
    )
    return Response(200, "application/json", out.model_dump_json())


@app.get("/staff/jobs", responses=documented(200, "Each daily job: the last day it finished and how far behind it is."))
def scheduled_jobs() -> JobsOut:
    today = request_today(app)
    states = {state.job: state for state in JobDays(table()).states()}
    jobs = []
    for job, at in DAILY_JOBS.items():
        state = states.get(job) or JobState(job=job)
        behind = days_behind(state.last_day_done, today) if state.last_day_done else None
        jobs.append(JobOut(**state.model_dump(exclude={"job"}), job=job, runs_daily_at=at, days_behind=behind))
    return JobsOut(jobs=jobs)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(app, event, context)
