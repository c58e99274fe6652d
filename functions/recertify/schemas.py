"""Bodies of the recertification, documents and audit routes (docs/api.md)."""

from datetime import date, datetime
from typing import Literal

from pydantic import Field, StrictBool

from ccp.api import Points
from ccp.model import LazyModel
from ccp.schemas import ActivityFieldsIn, Request

APPLICATION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}\.[0-9A-F]{8}$"
AUDIT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}\.\d{4}\.[A-Z]{2,8}$"
DOCUMENT_ID_PATTERN = r"^D[0-9A-F]{12}$"


class EvidenceActivityIn(ActivityFieldsIn):
    document_ids: list[str] = Field(default=[], max_length=10)


class ApplicationIn(Request):
    credential: str = Field(min_length=2, max_length=8, pattern=r"^[A-Za-z]+$")
    path: Literal["ccp", "exam"]
    felony_conviction: StrictBool
    activities: list[EvidenceActivityIn] = Field(default=[], max_length=100)
    document_ids: list[str] = Field(default=[], max_length=20)
    attested: StrictBool


class DecisionOut(LazyModel):
    """A decision in a case's history. Members see what was decided and when; who decided and the
    staff's internal note are shown to staff only (null for members)."""

    by: str | None
    at: datetime
    action: str
    note: str | None
    member_note: str | None = None


class ApplicationOut(LazyModel):
    application_id: str
    credential: str
    path: str
    state: str
    felony_conviction: bool
    counted_points: Points | None
    fee_invoice_id: str
    applied_on: date
    document_ids: list[str]
    decisions: list[DecisionOut]
    exam_date: date | None
    reinstated_on: date | None


class ApplicationList(LazyModel):
    applications: list[ApplicationOut]


class ClosedPathOut(LazyModel):
    path: str
    code: str
    reason: str


class OptionsOut(LazyModel):
    credential: str
    paths: list[str]
    reasons: list[ClosedPathOut]


class DocumentIn(Request):
    purpose: Literal["audit", "recertification", "employment_verification"]
    content_type: str = Field(max_length=100)
    filename: str = Field(min_length=1, max_length=200)
    size_bytes: int = Field(gt=0)
    audit_id: str | None = Field(default=None, pattern=AUDIT_ID_PATTERN)


class UploadOut(LazyModel):
    url: str
    fields: dict[str, str]


class DocumentOut(LazyModel):
    document_id: str
    upload: UploadOut
    max_bytes: int
    content_type: str


class DocumentLinkOut(LazyModel):
    document_id: str
    filename: str
    content_type: str
    purpose: str
    download_url: str


class AuditOut(LazyModel):
    audit_id: str
    year: int
    credential: str
    cycle_start: date
    cycle_end: date
    state: str
    deadline: date
    document_ids: list[str]
    required: str
    decisions: list[DecisionOut]


class AuditList(LazyModel):
    audits: list[AuditOut]


class StaffDecisionIn(Request):
    decision: Literal["approve", "reject"]
    note: str | None = Field(default=None, max_length=2000)
    member_note: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="what the member is told (their notice and their own view); `note` stays internal",
    )


class ExamResultIn(Request):
    passed: StrictBool
    exam_date: date
    member_note: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="what the member is told (their notice and their own view); `note` stays internal",
    )


class DeadlineIn(Request):
    deadline: date = Field(description="the new deadline: later than the current one and than today")
    reason: str = Field(min_length=3, max_length=2000)
    member_note: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="what the member is told (their notice and their own view); `note` stays internal",
    )


class AuditDecisionIn(Request):
    decision: Literal["passed", "failed"]
    note: str | None = Field(default=None, max_length=2000)
    member_note: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="what the member is told (their notice and their own view); `note` stays internal",
    )
