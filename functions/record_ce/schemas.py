"""Request and response bodies of the CE recording API (docs/api.md). Requests refuse unknown
fields, so a client can never set a server-owned field (status, counted points, ...)."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, StrictBool

from ccp.api import Points
from ccp.domain.records import Address
from ccp.domain.values import Category
from ccp.model import LazyModel
from ccp.schemas import ActivityFieldsIn, PointsIn, Request

MEMBER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
ACTIVITY_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
# No "@" and no white space, spelled out: JSON Schema's \s (ECMA-262) and pydantic's (Unicode)
# disagree on U+0085 and U+FEFF, and the document must mean what the server checks.
_EMAIL_PART = r"[^@\s\x85\ufeff]+"
EMAIL_PATTERN = rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$"
CREDENTIAL_CODE = Field(min_length=2, max_length=8, pattern=r"^[A-Za-z]+$")


class CeActivityIn(ActivityFieldsIn):
    credentials: list[str] = Field(min_length=1, max_length=10)
    attested: StrictBool


class CeActivityPatch(Request):
    """A correction: any of the activity's facts, attested again. A fact left out stays as it
    was; none can be set to null (only `provider` is optional, and null clears it).

    The None defaults mean "left out": typed without None, an explicit null is refused."""

    category: Category = None  # type: ignore[assignment]
    title: str = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    provider: str | None = Field(default=None, max_length=200)
    points: PointsIn = None  # type: ignore[assignment]
    start_date: date = None  # type: ignore[assignment]
    end_date: date = None  # type: ignore[assignment]
    attested: StrictBool
    reason: str = Field(  # type: ignore[assignment]
        default=None,
        min_length=1,
        max_length=500,
        description="staff: why a course-platform record is changed (kept in its history)",
    )
    member_note: str = Field(  # type: ignore[assignment]
        default=None,
        min_length=1,
        max_length=2000,
        description="staff: what the member is told of the correction; `reason` stays internal",
    )


class CeActivityCreated(LazyModel):
    activity_id: str
    counted_points: Points = Field(
        description="what the activity counts toward its cycle (the smallest of its credentials)"
    )
    counted_by_credential: dict[str, Points] = Field(description="what it counts toward each credential's cycle")
    total_change_by_credential: dict[str, Points] = Field(
        description="how much each cycle's counted total moved with this record or correction"
    )


class CeActivityOut(LazyModel):
    activity_id: str
    credentials: list[str]
    category: Category
    title: str
    provider: str | None
    points: Points
    start_date: date
    end_date: date
    source: str
    recorded_on: date
    cycle_start: dict[str, date]
    eligible_points: dict[str, Points] = Field(description="points after per-activity rules, per credential")


class CeActivityList(LazyModel):
    activities: list[CeActivityOut]


class CredentialOut(LazyModel):
    code: str
    certified_on: date
    grandfathered: bool
    status: str
    cycle_start: date
    cycle_end: date


class MemberOut(LazyModel):
    member_id: str
    first_name: str
    last_name: str
    name: str
    email: str
    email_status: Literal["ok", "unconfirmed", "bounced", "complained"] = Field(
        description="unconfirmed: waiting for the code sent to it; bounced or complained: SES reported the address."
        " Notices go by post only until it is ok"
    )
    mailing_address: Address | None
    mail_opt_out: bool = Field(default=False, description="no postal notices, email only")
    status: str
    credentials: list[CredentialOut]


class VerifiedCredentialOut(LazyModel):
    code: str
    name: str
    certified_on: date
    status: Literal["active", "inactive", "lapsed"]
    valid_through: date | None = Field(
        description="active: the last day it stays active if nothing more is paid or recorded; null otherwise"
    )


class VerificationOut(LazyModel):
    """Public: the name and each credential's standing, nothing else (no email, address or points)."""

    member_id: str
    name: str
    credentials: list[VerifiedCredentialOut]


class CategoryProgressOut(LazyModel):
    recorded: Points
    counted: Points
    cap: Points | None
    label: str = Field(default="", description="the category's name, as members know it")
    guidance: str = Field(default="", description="how points are earned in it (the rule table's guidance)")


class ProgressOut(LazyModel):
    credential: str
    cycle_start: date
    cycle_end: date
    required_points: Points
    recorded_points: Points
    counted_points: Points
    remaining_points: Points
    by_category: dict[Category, CategoryProgressOut]
    met_on: date | None
    status: str
    inactive_on: date | None = Field(
        description="if the member does nothing more: the day they become (or became) inactive"
    )
    must_recertify_on: date | None = Field(description="if the member does nothing more: the day they must recertify")


class NewCredentialIn(Request):
    code: str = CREDENTIAL_CODE
    certified_on: date
    grandfathered: StrictBool | None = None


class NewMemberIn(Request):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    mailing_address: Address | None = None
    mail_opt_out: StrictBool = False
    credentials: list[NewCredentialIn] = Field(min_length=1, max_length=10)
    legacy_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the id in the body's previous system",
    )


class MemberCreated(LazyModel):
    member_id: str
    invited: bool = Field(
        default=True, description="a login was made and Cognito emailed the invitation (false: it could not be made)"
    )


class ContactPatch(Request):
    """The member's own contact details; a field left out stays as it is."""

    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    mailing_address: Address | None = None
    mail_opt_out: StrictBool | None = None
    reason: str | None = Field(
        default=None, min_length=1, max_length=500, description="Why (required when staff change a member's details)"
    )


class StaffMemberPatch(ContactPatch):
    """Staff change a member's name or contact details; the reason is kept in the member's history."""

    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)


class CredentialAdded(LazyModel):
    code: str
    certified_on: date
    grandfathered: bool
    cycle_start: date
    cycle_end: date


class ContactOut(LazyModel):
    email: str
    email_status: Literal["ok", "unconfirmed", "bounced", "complained"]
    mailing_address: Address | None
    mail_opt_out: bool


class EmailConfirmationIn(Request):
    code: str = Field(min_length=6, max_length=6, pattern=r"^[0-9]{6}$")


class MemberFound(LazyModel):
    member_id: str
    first_name: str
    last_name: str
    email: str


class MemberSearch(LazyModel):
    members: list[MemberFound]


TranscriptFormat = Literal["json", "csv", "pdf"]


class HistoryEntryOut(LazyModel):
    at: datetime
    by: str = Field(description="a staff user's subject, or member, course_platform, processor, system")
    what: str
    note: str | None


class MemberFileOut(LazyModel):
    """Everything kept about a member, for staff: each part as stored (contact copies left out)."""

    member: MemberOut
    credentials: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    invoices: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    notices: list[dict[str, Any]] = Field(description="the notice ledger: kind, channel, state, sent_at, last_error")
    applications: list[dict[str, Any]]
    audits: list[dict[str, Any]]
    history: list[HistoryEntryOut] = Field(description="who changed what, newest first")
