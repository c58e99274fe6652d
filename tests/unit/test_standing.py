"""A credential's standing judged by the rule version of its own cycle, and for the day asked."""

import copy
import json
from datetime import date
from importlib import resources

import pytest

from ccp.domain.records import CredentialRecord, InvoiceRecord
from ccp.errors import RuleViolation
from ccp.rules.standing import (
    after_payment,
    closing_invoice_change,
    credential_lapse_dates,
    credential_status,
    invoice_state,
    reinstated,
    renewal_invoice,
)
from ccp.rules.versions import default_rule_book, rule_book_from


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
    from record_ce.service import CeRecording

    book = book_with_later_version("2099-01-01", aliases={"MT": "MLS", "RM": "RMA"})

    class Held:
        def credentials(self, member_id):
            return [lapsed_credential()]

    with pytest.raises(RuleViolation) as refused:
        CeRecording(Held(), None, book).activities("M1", credential="RM", cycle=None, today=date(2026, 6, 1))
    assert refused.value.code == "UNKNOWN_CREDENTIAL"


# ---- transitions: the records a service writes --------------------------------------------------

BOOK = default_rule_book()


def current_credential(**overrides):
    """Certified 2023-05-10, in its first cycle (2023-05-10 .. 2026-05-09)."""
    return lapsed_credential(**({"certified_on": date(2023, 5, 10)} | overrides))


def test_the_renewal_that_starts_the_next_cycle_is_issued_locked_until_the_points_are_met():
    closing = renewal_invoice(current_credential(), date(2026, 5, 10), BOOK)
    assert (closing.state, closing.closes_cycle, closing.available_on) == ("locked", True, None)
    assert (closing.issued_on, closing.due_date, closing.amount) == (date(2026, 5, 1), date(2026, 5, 31), 50)
    mid_cycle = renewal_invoice(current_credential(), date(2025, 5, 10), BOOK)
    assert (mid_cycle.state, mid_cycle.closes_cycle, mid_cycle.cycle_start) == ("open", False, date(2023, 5, 10))
    met = renewal_invoice(current_credential(met_on=date(2026, 5, 14)), date(2026, 5, 10), BOOK)
    assert (met.state, met.available_on) == ("locked", date(2026, 5, 15))
    met_before = renewal_invoice(current_credential(met_on=date(2026, 2, 1)), date(2026, 5, 10), BOOK)
    assert (met_before.state, met_before.available_on) == ("open", date(2026, 5, 1))


def test_meeting_the_requirement_unlocks_the_closing_invoice_and_losing_it_locks_it_again():
    closing = renewal_invoice(current_credential(), date(2026, 5, 10), BOOK)
    unlock, relock = closing_invoice_change(current_credential(), date(2026, 5, 20), closing)
    assert relock is None and unlock is not None and unlock.available_on == date(2026, 5, 21)
    was_met = current_credential(met_on=date(2026, 5, 20))
    opened = closing.model_copy(update={"state": "open"})
    assert closing_invoice_change(was_met, None, opened) == (None, opened)
    assert closing_invoice_change(was_met, None, opened.model_copy(update={"state": "paid"})) == (None, None)
    assert closing_invoice_change(was_met, date(2026, 5, 20), opened) == (None, None)  # still met: nothing moves
    assert closing_invoice_change(current_credential(), date(2026, 5, 20), None) == (None, None)


def test_paying_the_closing_fee_of_a_met_cycle_rolls_it_over_with_fresh_totals():
    credential = current_credential(
        met_on=date(2026, 4, 1), recorded={"professional_education": 31}, eligible={"professional_education": 31}
    )
    fees = [
        renewal_invoice(credential, date(a, 5, 10), BOOK).model_copy(update={"state": "paid", "paid_on": date(a, 5, 2)})
        for a in (2024, 2025, 2026)
    ]
    after, rolled = after_payment(credential, fees, date(2026, 5, 2), BOOK)
    assert rolled and after is not None
    assert (after.cycle_start, after.cycle_end, after.met_on, after.recorded) == (
        date(2026, 5, 10),
        date(2029, 5, 9),
        None,
        {},
    )
    unpaid_earlier = [fees[0].model_copy(update={"state": "open", "paid_on": None}), *fees[1:]]
    # An earlier fee of the cycle still unpaid: no roll-over, and the member is inactive on that day.
    held, rolled = after_payment(credential, unpaid_earlier, date(2026, 5, 2), BOOK)
    assert not rolled and held is not None
    assert (held.cycle_start, held.status) == (date(2023, 5, 10), "inactive")


def test_paying_a_missed_fee_makes_an_inactive_member_active_again_without_a_roll_over():
    credential = current_credential(status="inactive", status_since=date(2024, 6, 1))
    late = renewal_invoice(credential, date(2024, 5, 10), BOOK).model_copy(
        update={"state": "paid", "paid_on": date(2024, 7, 1)}
    )
    after, rolled = after_payment(credential, [late], date(2024, 7, 1), BOOK)
    assert not rolled and after is not None
    assert (after.status, after.status_since, after.cycle_start) == ("active", date(2024, 7, 1), date(2023, 5, 10))


def test_reinstatement_starts_a_new_cycle_on_its_day_and_loses_grandfathering():
    lapsed = current_credential(
        grandfathered=True,
        status="must_recertify",
        recertification_required=True,
        recertification_required_on=date(2027, 1, 1),
        lapsed_since=date(2024, 5, 31),
        met_on=date(2025, 1, 1),
    )
    new = reinstated(lapsed, date(2027, 3, 15), BOOK)
    assert (new.cycle_start, new.cycle_end, new.anniversary_anchor) == (
        date(2027, 3, 15),
        date(2030, 3, 14),
        date(2027, 3, 15),
    )
    assert (new.status, new.grandfathered, new.recertification_required, new.lapsed_since, new.met_on) == (
        "active",
        False,
        False,
        None,
        None,
    )
    assert credential_status(new, [], date(2027, 3, 15), BOOK).status == "active"


def test_reinstated_again_on_the_day_its_cycle_began_keeps_the_ce_completed_in_that_cycle():
    """Found by the past-days property: a reinstatement undone by its refunded fee, CE recorded that day,
    then reinstated again the same day; the cycle is the same one, so the day's 2 points stay counted."""
    from decimal import Decimal

    from ccp.domain.values import Category

    points = {Category.PROFESSIONAL_EDUCATION: Decimal(2)}
    same_day = lapsed_credential(
        cycle_start=date(2017, 2, 28),
        cycle_end=date(2020, 2, 27),
        recorded=points,
        eligible=points,
        status="must_recertify",
    )
    again = reinstated(same_day, date(2017, 2, 28), default_rule_book())
    assert (again.cycle_start, again.recorded, again.status) == (date(2017, 2, 28), points, "active")
    later = reinstated(same_day, date(2017, 3, 1), default_rule_book())  # a new cycle: nothing in it yet
    assert (later.cycle_start, later.recorded, later.met_on) == (date(2017, 3, 1), {}, None)
