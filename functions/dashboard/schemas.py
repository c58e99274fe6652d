"""The dashboard's answer (docs/api.md, `GET /staff/dashboard`)."""

from datetime import date, datetime

from pydantic import Field

from ccp.model import LazyModel


class HoldersOut(LazyModel):
    credential: str
    status: str = Field(description="active, inactive or must_recertify, as the last daily sweep left it")
    holders: int


class RenewalsOut(LazyModel):
    due: int = Field(description="renewal invoices due in the month")
    paid_on_time: int
    paid_late: int
    void: int
    unpaid: int


class MonthCountOut(LazyModel):
    month: str
    cycles: int = Field(description="cycles ending that month whose requirement is still unmet")


class AuditYearOut(LazyModel):
    year: int
    open: int
    passed: int
    failed: int


class DashboardOut(LazyModel):
    month: str
    holders: list[HoldersOut]
    renewals: RenewalsOut
    unmet_cycles_ending: list[MonthCountOut] = Field(description="this month and the next three (the next 90 days)")
    audits: list[AuditYearOut]


class JobOut(LazyModel):
    job: str
    runs_daily_at: str = Field(description="the schedule's time (America/Chicago)")
    last_day_done: date | None = Field(description="the last day the job finished; null: it never ran")
    days_behind: int | None = Field(description="days before today not done yet (0: up to date; null: never ran)")
    last_run_at: datetime | None
    last_error: str | None = Field(description="the kind of the last failure (the function's logs have the rest)")
    last_error_at: datetime | None


class JobsOut(LazyModel):
    jobs: list[JobOut]
