from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccp.domain.values import ActivityClaim, Category
from ccp.errors import RuleViolation
from ccp.rules.recertification import EvidenceItem, RecertPath, check_ccp_evidence, evidence_window, options_for
from ccp.rules.versions import default_rule_book
from recertify.audit import draw

RULES = default_rule_book().in_force_on(date(2026, 1, 1))


def item(category=Category.FORMAL_EDUCATION, points="30", end=date(2025, 6, 1), start=None, document=False):
    claim = ActivityClaim(category=category, title="x", points=Decimal(points), start_date=start or end, end_date=end)
    return EvidenceItem(claim, has_document=document)


def test_only_credentials_that_must_recertify_may_apply():
    options = options_for(status="inactive", lapsed_since=date(2024, 1, 1), today=date(2026, 1, 1), rules=RULES)
    assert options.open == [] and {c.code for c in options.closed} == {"NOT_LAPSED"}


def test_lapsed_ten_years_or_more_leaves_only_the_exam():
    nine = options_for(status="must_recertify", lapsed_since=date(2016, 1, 2), today=date(2026, 1, 1), rules=RULES)
    ten = options_for(status="must_recertify", lapsed_since=date(2016, 1, 1), today=date(2026, 1, 1), rules=RULES)
    assert nine.open == [RecertPath.CCP, RecertPath.EXAM]
    assert ten.open == [RecertPath.EXAM] and ten.closed[0].code == "LAPSED_TOO_LONG"


def test_ccp_evidence_must_fall_within_the_three_years_before_the_application():
    window = evidence_window(date(2026, 1, 1), RULES)
    assert (window.start, window.end) == (date(2023, 1, 2), date(2026, 1, 1))
    with pytest.raises(RuleViolation) as refused:
        check_ccp_evidence("RMA", [item(end=date(2023, 1, 1))], application_date=date(2026, 1, 1), rules=RULES)
    assert refused.value.code == "ACTIVITY_OUTSIDE_WINDOW"
    assert (
        check_ccp_evidence(
            "RMA", [item(end=date(2023, 1, 2))], application_date=date(2026, 1, 1), rules=RULES
        ).counted_points
        == 30
    )


def test_ccp_evidence_must_meet_the_current_requirement_after_caps():
    with pytest.raises(RuleViolation) as refused:
        check_ccp_evidence("RMA", [item(Category.AUTHORSHIP, "30")], application_date=date(2026, 1, 1), rules=RULES)
    assert refused.value.code == "INSUFFICIENT_POINTS"


def test_employment_claims_need_a_verification_document():
    work = dict(category=Category.EMPLOYMENT, points="4", start=date(2019, 1, 1), end=date(2020, 12, 31))
    with pytest.raises(RuleViolation) as refused:
        check_ccp_evidence(
            "RMA",
            [item(**work), item(points="30", end=date(2020, 6, 1))],
            application_date=date(2021, 6, 1),
            rules=RULES,
        )
    assert refused.value.code == "EMPLOYMENT_DOCUMENT_REQUIRED"
    accepted = check_ccp_evidence(
        "RMA",
        [item(**work, document=True), item(points="30", end=date(2020, 6, 1))],
        application_date=date(2021, 6, 1),
        rules=RULES,
    )
    assert accepted.met and accepted.counted_points == Decimal("30") + Decimal("4")


@given(size=st.integers(min_value=0, max_value=400), seed=st.integers(min_value=0, max_value=2**63 - 1))
def test_the_audit_draw_is_reproducible_from_its_seed_and_population(size, seed):
    population = [{"member_id": f"M{n:04d}", "code": "RMA"} for n in range(size)]
    first = draw(population, seed, Decimal("0.05"))
    assert draw(list(population), seed, Decimal("0.05")) == first
    assert len(first) == (0 if size == 0 else -(-size * 5 // 100))
    assert len({m["member_id"] for m in first}) == len(first)
