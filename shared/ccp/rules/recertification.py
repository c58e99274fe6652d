"""Who may recertify, by which path, and whether a CCP application's evidence suffices (docs/rules.md §7).

Judged by the rule version in force on the application date (current criteria).
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

from ccp.domain.values import ActivityClaim, Category, Cycle
from ccp.errors import RuleViolation
from ccp.rules.ce import Progress, check_claim, eligible_points, progress_of, totals_of
from ccp.rules.dates import add_years, years_between
from ccp.rules.versions import RuleSet


class RecertPath(StrEnum):
    CCP = "ccp"
    EXAM = "exam"


class ClosedPath(NamedTuple):
    path: RecertPath
    code: str
    reason: str


class Options(NamedTuple):
    open: list[RecertPath]
    closed: list[ClosedPath]


def options_for(*, status: str, lapsed_since: date | None, today: date, rules: RuleSet) -> Options:
    if status != "must_recertify":
        sentence = f"Recertification is for credentials that must be recertified; this one is {status}."
        return Options([], [ClosedPath(p, "NOT_LAPSED", sentence) for p in RecertPath])
    years = years_between(lapsed_since, today) if lapsed_since else 0
    if years >= rules.lapse_years_exam_only:
        reason = f"Lapsed {years} years; after {rules.lapse_years_exam_only} years or more only the exam path is open."
        return Options([RecertPath.EXAM], [ClosedPath(RecertPath.CCP, "LAPSED_TOO_LONG", reason)])
    return Options([RecertPath.CCP, RecertPath.EXAM], [])


class EvidenceItem(NamedTuple):
    claim: ActivityClaim
    has_document: bool


def evidence_window(application_date: date, rules: RuleSet) -> Cycle:
    """Activities must be completed within the 3 years before the application date."""
    start = add_years(application_date, -rules.recertification_lookback_years) + timedelta(days=1)
    return Cycle(start=start, end=application_date)


def check_ccp_evidence(code: str, evidence: list[EvidenceItem], *, application_date: date, rules: RuleSet) -> Progress:
    """The points an application shows toward the credential's current requirement; refuses it if short."""
    window = evidence_window(application_date, rules)
    counted = []
    for item in evidence:
        check_claim(item.claim, attested=True, today=application_date, rules=rules)
        if item.claim.end_date < window.start:
            raise RuleViolation(
                f"Activities must be completed on or after {window.start.isoformat()} "
                "(3 years before the application).",
                code="ACTIVITY_OUTSIDE_WINDOW",
            )
        if item.claim.category == Category.EMPLOYMENT and not item.has_document:
            raise RuleViolation(
                "Employment claims need an employment verification document.", code="EMPLOYMENT_DOCUMENT_REQUIRED"
            )
        counted.append((item.claim, eligible_points(item.claim, window, rules)))
    progress = progress_of(totals_of(counted), credential=code, grandfathered=False, rules=rules)
    if not progress.met:
        raise RuleViolation(
            f"The activities count {progress.counted_points} of the {progress.required_points} points required.",
            code="INSUFFICIENT_POINTS",
        )
    return progress
