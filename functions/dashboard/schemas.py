"""The dashboard's answer (docs/api.md, `GET /staff/dashboard`)."""

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
