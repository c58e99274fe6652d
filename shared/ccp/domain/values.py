"""Value objects of the domain: CE categories, a cycle, an activity's claim, a cycle's running totals,
an invoice's state. Immutable; no rule values and no storage in here."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict

from ccp.model import LazyModel

ZERO = Decimal("0")

InvoiceState = Literal["locked", "open", "paid", "void", "refunded"]


class Category(StrEnum):
    PROFESSIONAL_EDUCATION = "professional_education"
    FORMAL_EDUCATION = "formal_education"
    AUTHORSHIP = "authorship"
    INSTRUCTIONAL_PRESENTATION = "instructional_presentation"
    ORGANIZATIONAL_PARTICIPATION = "organizational_participation"
    EMPLOYMENT = "employment"


class Cycle(LazyModel):
    """One CCP cycle, both ends inclusive."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def next_start(self) -> date:
        return self.end + timedelta(days=1)


class ActivityClaim(LazyModel):
    """The facts of one CE activity as the member declared them."""

    model_config = ConfigDict(frozen=True)

    category: Category
    title: str
    provider: str | None = None
    points: Decimal
    start_date: date
    end_date: date


class CycleTotals(LazyModel):
    """Running totals of one credential cycle, per category (what the store keeps)."""

    model_config = ConfigDict(frozen=True)

    recorded: dict[Category, Decimal] = {}
    eligible: dict[Category, Decimal] = {}

    def plus(self, category: Category, recorded: Decimal, eligible: Decimal) -> CycleTotals:
        return self._shift(category, recorded, eligible, 1)

    def minus(self, category: Category, recorded: Decimal, eligible: Decimal) -> CycleTotals:
        return self._shift(category, recorded, eligible, -1)

    def _shift(self, category: Category, recorded: Decimal, eligible: Decimal, sign: int) -> CycleTotals:
        new_recorded = dict(self.recorded)
        new_eligible = dict(self.eligible)
        # Never clamped at zero: a change computed from stale reads is refused by the write's version
        # conditions (and retried on fresh data); clamping would only hide drift.
        new_recorded[category] = new_recorded.get(category, ZERO) + sign * recorded
        new_eligible[category] = new_eligible.get(category, ZERO) + sign * eligible
        return CycleTotals(recorded=new_recorded, eligible=new_eligible)
