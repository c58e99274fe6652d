import json
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest

from ccp.domain.values import CycleTotals
from ccp.errors import RuleViolation
from ccp.rules.ce import progress_of
from ccp.rules.versions import default_rule_book, rule_book_from


def book_with_a_2030_version():
    data = json.loads(resources.files("ccp.rules").joinpath("rule_versions.json").read_text())
    later = json.loads(json.dumps(data["versions"][0]))
    later.update(version="2030.1", effective_from="2030-01-01")
    later["credentials"]["RMA"]["required_points"] = "36"
    data["versions"].append(later)
    return rule_book_from(data)


def test_the_version_in_force_is_the_latest_one_started():
    book = book_with_a_2030_version()
    assert book.in_force_on(date(2029, 12, 31)).version == "2021.1"
    assert book.in_force_on(date(2030, 1, 1)).version == "2030.1"


def test_a_cycle_is_judged_by_the_version_in_force_on_its_start_date_not_a_later_one():
    book = book_with_a_2030_version()
    totals = CycleTotals()
    # A cycle is judged by the version in force on its start date.
    earlier = progress_of(totals, credential="RMA", grandfathered=False, rules=book.in_force_on(date(2028, 5, 1)))
    later = progress_of(totals, credential="RMA", grandfathered=False, rules=book.in_force_on(date(2031, 5, 1)))
    assert earlier.required_points == Decimal(30)
    assert later.required_points == Decimal(36)


def test_mt_is_the_old_name_of_mls_and_unknown_codes_are_refused():
    rules = default_rule_book().in_force_on(date(2026, 1, 1))
    assert rules.canonical_code("mt") == "MLS"
    with pytest.raises(RuleViolation) as refused:
        rules.canonical_code("XYZ")
    assert refused.value.code == "UNKNOWN_CREDENTIAL"


def test_no_rules_before_the_first_version():
    with pytest.raises(RuleViolation):
        default_rule_book().in_force_on(date(1899, 12, 31))


def test_shipped_defaults_match_the_rule_book():
    rules = default_rule_book().in_force_on(date(2026, 1, 1))
    assert {c: (r.required_points, r.annual_fee) for c, r in rules.credentials.items()} == {
        "RMA": (30, 50),
        "CMAS": (30, 50),
        "RDA": (30, 50),
        "CMLA": (30, 50),
        "AHI": (30, 30),
        "RPT": (24, 50),
        "MLS": (45, 90),
        "MLT": (45, 90),
        "CLC": (45, 90),
        "MDT": (36, 90),
    }
    assert rules.employment_cutoff == date(2020, 12, 31)
    assert rules.grandfathered_if_certified_before == date(2006, 1, 1)
