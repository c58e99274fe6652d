"""The versioned rule table: rule values are data with an `effective_from` date.

A cycle is judged by the version in force on its start date, so a later version never changes
the outcome of an earlier cycle. Recertification eligibility is judged by the version in force
on the application date (docs/rules.md §7: current criteria).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import ConfigDict, Field

from ccp.domain.values import Category
from ccp.errors import RuleViolation
from ccp.model import LazyModel


class _Frozen(LazyModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CredentialRule(_Frozen):
    name: str
    required_points: Decimal
    annual_fee: Decimal


class CategoryRule(_Frozen):
    label: str
    cap_share: Decimal | None = Field(description="cap per cycle as a share of the requirement; None = no cap")
    guidance: str


class RuleSet(_Frozen):
    version: str
    effective_from: date
    credentials: dict[str, CredentialRule]
    aliases: dict[str, str]
    categories: dict[Category, CategoryRule]
    cycle_years: int
    max_points_per_activity: Decimal
    one_activity_many_credentials: bool
    employment_cutoff: date
    grandfathered_if_certified_before: date
    lapse_years_to_recertify: int
    lapse_years_exam_only: int
    recertification_lookback_years: int
    notice_months_before_anniversary: int
    compliance_reminder_months_before_cycle_end: list[int]
    # Rules §9: reminders this many days before a cycle ends unmet, with what is missing (a value added
    # after version 2021.1 was in force: its default is what the program does under that version too).
    cycle_ending_reminder_days: list[int] = [90, 30]
    audit_share: Decimal
    audit_response_days: int
    # Staff may move an audit deadline later, never past this long after the first deadline (§6).
    audit_deadline_max_extension_days: int = 365
    recertification_fees: dict[str, Decimal]
    recertification_fee_due_days: int
    fee_currency: str = Field(
        pattern=r"^[a-z]{3}$", description="ISO 4217 code, lower case (as the processor writes it)"
    )

    def canonical_code(self, code: str) -> str:
        """`MT` is the old name of `MLS`; unknown codes are a rule violation."""
        upper = code.strip().upper()
        upper = self.aliases.get(upper, upper)
        if upper not in self.credentials:
            raise RuleViolation(f"Unknown credential {code!r}.", code="UNKNOWN_CREDENTIAL")
        return upper

    def credential(self, code: str) -> CredentialRule:
        return self.credentials[self.canonical_code(code)]


class RuleBook(_Frozen):
    versions: tuple[RuleSet, ...]

    def in_force_on(self, day: date) -> RuleSet:
        applicable = [v for v in self.versions if v.effective_from <= day]
        if not applicable:
            raise RuleViolation(f"No rule version is in force on {day.isoformat()}.", code="NO_RULES_IN_FORCE")
        return max(applicable, key=lambda v: v.effective_from)


def rule_book_from(data: dict[str, Any]) -> RuleBook:
    versions = tuple(RuleSet.model_validate(v) for v in data["versions"])
    return RuleBook(versions=tuple(sorted(versions, key=lambda v: v.effective_from)))


@lru_cache(maxsize=1)
def default_rule_book() -> RuleBook:
    """The rule table shipped with the layer (read once per process)."""
    text = resources.files("ccp.rules").joinpath("rule_versions.json").read_text(encoding="utf-8")
    return rule_book_from(json.loads(text))
