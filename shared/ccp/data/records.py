"""Stored item shapes. The API never returns these directly: functions map them to their schemas."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ccp.rules.ce import ActivityClaim, CycleTotals
from ccp.rules.dates import Cycle
from ccp.rules.versions import Category

CredentialStatus = Literal["active", "inactive", "must_recertify"]


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=1, max_length=50)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(default="US", min_length=2, max_length=2)


class MemberRecord(BaseModel):
    member_id: str
    first_name: str
    last_name: str
    email: str
    mailing_address: Address | None = None
    created_at: datetime


class CredentialRecord(BaseModel):
    member_id: str
    code: str
    certified_on: date
    grandfathered: bool
    status: CredentialStatus = "active"
    cycle_start: date
    cycle_end: date
    recorded: dict[Category, Decimal] = {}
    eligible: dict[Category, Decimal] = {}
    met_on: date | None = None
    audit_in_progress: bool = False
    version: int = 0

    @property
    def cycle(self) -> Cycle:
        return Cycle(start=self.cycle_start, end=self.cycle_end)

    @property
    def totals(self) -> CycleTotals:
        return CycleTotals(recorded=self.recorded, eligible=self.eligible)


class ActivityRecord(BaseModel):
    member_id: str
    activity_id: str
    credentials: list[str]
    category: Category
    title: str
    provider: str | None = None
    points: Decimal
    start_date: date
    end_date: date
    attested: bool
    source: Literal["member", "course_platform", "staff"] = "member"
    # Per credential: the cycle it counts toward and its points after per-activity rules.
    cycle_start: dict[str, date]
    eligible: dict[str, Decimal]
    dedup_keys: dict[str, str]
    recorded_on: date
    created_at: datetime
    updated_at: datetime | None = None

    @property
    def claim(self) -> ActivityClaim:
        return ActivityClaim(
            category=self.category,
            title=self.title,
            provider=self.provider,
            points=self.points,
            start_date=self.start_date,
            end_date=self.end_date,
        )


class MemberState(BaseModel):
    """A member's profile and held credentials, as one query returns them."""

    profile: MemberRecord
    credentials: list[CredentialRecord]

    def credential(self, code: str) -> CredentialRecord | None:
        return next((c for c in self.credentials if c.code == code), None)


def to_item(model: BaseModel) -> dict[str, Any]:
    """A record as a DynamoDB item: dates as ISO strings, Decimals kept, None dropped."""
    return _plain(model.model_dump(mode="python", exclude_none=True))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, bool | Decimal | str | int):
        return value
    if isinstance(value, float):  # never stored: points are Decimal end to end
        raise TypeError("float values are not stored")
    return value
