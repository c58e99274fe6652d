"""A credential's standing judged by the rule version of its own cycle, and for the day asked."""

import copy
import json
from datetime import date
from importlib import resources

import pytest

from ccp.data.records import CredentialRecord, InvoiceRecord
from ccp.errors import RuleViolation
from ccp.rules.versions import rule_book_from
from ccp.standing import credential_lapse_dates, credential_status, invoice_state


def book_with_later_version(effective_from: str, **changes):
    data = json.loads(resources.files("ccp.rules").joinpath("rule_versions.json").read_text())
    later = copy.deepcopy(data["versions"][0]) | {"version": "later", "effective_from": effective_from} | changes
    data["versions"].append(later)
    return rule_book_from(data)


def lapsed_credential(**overrides):
    values = {
        "member_id": "M1",
        "code": "RMA",
        "certified_on": date(2020, 5, 10),
        "grandfathered": False,
        "cycle_start": date(2023, 5, 10),
        "cycle_end": date(2026, 5, 9),
    }
    return CredentialRecord(**(values | overrides))


def test_the_lapse_threshold_is_the_one_of_the_cycles_rule_version_not_todays():
    book = book_with_later_version("2027-01-01", lapse_years_to_recertify=5)
    credential = lapsed_credential()  # unmet cycle ended 2026-05-09, under the first version (3 years)
    assert credential_status(credential, [], date(2029, 5, 9), book).status == "must_recertify"
    assert credential_status(credential, [], date(2029, 5, 8), book).status == "inactive"


def test_a_stored_must_recertify_answers_only_from_its_day():
    book = book_with_later_version("2099-01-01")
    credential = lapsed_credential(
        cycle_end=date(2027, 5, 9), recertification_required=True, recertification_required_on=date(2026, 2, 1)
    )
    assert credential_status(credential, [], date(2026, 1, 31), book).status == "active"
    assert credential_status(credential, [], date(2026, 2, 1), book).status == "must_recertify"


def invoice(**overrides):
    values = {
        "member_id": "M1",
        "invoice_id": "RMA-20250720",
        "credential": "RMA",
        "anniversary": date(2025, 7, 20),
        "amount": 50,
        "issued_on": date(2025, 7, 1),
        "due_date": date(2025, 7, 31),
        "state": "paid",
        "closes_cycle": False,
        "cycle_start": date(2024, 7, 20),
        "paid_on": date(2025, 8, 10),
    }
    return InvoiceRecord(**(values | overrides))


@pytest.mark.parametrize("day,state", [(date(2025, 8, 9), "open"), (date(2025, 8, 10), "paid")])
def test_a_paid_invoice_was_unpaid_on_the_days_before_its_payment(day, state):
    assert invoice_state(invoice(), day) == state


def test_the_lapse_dates_count_the_next_fee_not_yet_invoiced():
    book = book_with_later_version("2099-01-01")
    credential = lapsed_credential(
        certified_on=date(2024, 7, 20), cycle_start=date(2024, 7, 20), cycle_end=date(2027, 7, 19)
    )
    paid = invoice(paid_on=date(2025, 7, 15))
    dates = credential_lapse_dates(credential, [paid], date(2025, 8, 1), book)
    assert (dates.inactive_on, dates.must_recertify_on) == (date(2026, 8, 1), date(2029, 7, 31))


def test_a_version_not_yet_in_force_is_not_used_to_read_a_credential_code():
    from record_ce.service import CeService

    book = book_with_later_version("2099-01-01", aliases={"MT": "MLS", "RM": "RMA"})

    class Held:
        def credentials(self, member_id):
            return [lapsed_credential()]

    with pytest.raises(RuleViolation) as refused:
        CeService(Held(), book).activities("M1", credential="RM", cycle=None, today=date(2026, 6, 1))
    assert refused.value.code == "UNKNOWN_CREDENTIAL"
