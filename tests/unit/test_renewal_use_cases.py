"""The renewal use cases (the daily runs, payments, refunds, voids) over the in-memory store: each
invoice issued once, each notice sent once however often a run repeats, and every status the records
imply, judged by the state left behind and the outbox."""

from datetime import date
from decimal import Decimal

import pytest

from ccp.data.payments import ProcessorPayment, ProcessorRefund
from ccp.errors import Conflict
from tests.unit.program import Program, at

CERTIFIED = date(2024, 7, 20)


@pytest.fixture
def program():
    program = Program()
    program.member = program.enrol(CERTIFIED, today=CERTIFIED)
    return program


def invoice(program, invoice_id):
    return next(i for i in program.store.member_state(program.member).invoices if i.invoice_id == invoice_id)


def test_the_renewal_run_issues_each_invoice_once_and_sends_each_notice_once(program):
    program.daily_jobs(date(2025, 7, 1))
    program.daily_jobs(date(2025, 7, 1))  # a re-run of the same day
    assert [i.invoice_id for i in program.store.member_state(program.member).invoices] == ["RMA-20250720"]
    assert invoice(program, "RMA-20250720").state == "open"
    [notice] = program.outbox.to("ann@example.org", "renewal_due")
    assert (notice["invoice_id"], notice["amount"], notice["due_date"]) == ("RMA-20250720", "$50.00", "2025-07-31")


def test_an_unpaid_fee_makes_the_member_inactive_after_its_due_date_and_they_are_told_once(program):
    program.daily_jobs(date(2025, 7, 1))
    program.daily_jobs(date(2025, 8, 1))
    program.daily_jobs(date(2025, 8, 1))
    assert program.store.credentials(program.member)[0].status == "inactive"
    [told] = program.outbox.to("ann@example.org", "status_changed")
    assert told["sentence"] == (
        "Your RMA certification is inactive because the 2025 renewal fee (invoice RMA-20250720, $50.00) "
        "was due by 2025-07-31 and is unpaid."
    )


def test_a_cheque_pays_the_invoice_once_and_the_member_is_active_again(program):
    program.daily_jobs(date(2025, 7, 1))
    program.daily_jobs(date(2025, 8, 1))
    program.pay_by_cheque(program.member, "RMA-20250720", date(2025, 8, 10))
    with pytest.raises(Conflict) as refused:
        program.pay_by_cheque(program.member, "RMA-20250720", date(2025, 8, 11))
    assert refused.value.code == "INVOICE_ALREADY_PAID"
    paid = invoice(program, "RMA-20250720")
    assert (paid.state, paid.paid_on) == ("paid", date(2025, 8, 10))
    assert [p.amount for p in program.store.payments_of(program.member)] == [Decimal(50)]
    assert program.reading.member(program.member, date(2025, 8, 10)).statuses == {"RMA": "active"}
    assert program.reading.member(program.member, date(2025, 8, 5)).statuses == {"RMA": "inactive"}
    # Told once each way, in words: inactive by the sweep, active again by the payment.
    told = [d["sentence"] for d in program.outbox.to("ann@example.org", "status_changed")]
    assert told == [
        "Your RMA certification is inactive because the 2025 renewal fee (invoice RMA-20250720, $50.00) "
        "was due by 2025-07-31 and is unpaid.",
        "Your RMA certification is active again: nothing is past due any more.",
    ]


def test_a_refund_makes_the_invoice_payable_again_and_the_due_list_holds_it_again(program):
    program.daily_jobs(date(2025, 7, 1))
    outcome = program.billing.on_processor_event(
        ProcessorPayment("evt_1", program.member, "RMA-20250720", "pi_1", Decimal(50), "usd", at(date(2025, 7, 5))),
        received_at=at(date(2025, 7, 5)),
    )
    assert outcome.outcome == "recorded"
    assert list(program.store.unpaid_invoices_due_on(date(2025, 7, 31), 0)) == [[]]
    program.billing.on_processor_event(
        ProcessorRefund("evt_2", "pi_1", "refund", True, Decimal(50)), received_at=at(date(2025, 7, 9))
    )
    assert invoice(program, "RMA-20250720").state == "refunded"
    assert [i.invoice_id for [*page] in program.store.unpaid_invoices_due_on(date(2025, 7, 31), 0) for i in page] == [
        "RMA-20250720"
    ]
    assert program.store.payment_reference("pi_1").state == "refunded"


def test_a_voided_invoice_is_chased_by_no_notice_and_lapses_nobody(program):
    program.daily_jobs(date(2025, 7, 1))
    program.billing.void(
        program.member, "RMA-20250720", reason="issued in error", staff="staff-1", now=at(date(2025, 7, 2))
    )
    program.daily_jobs(date(2025, 8, 1))
    assert invoice(program, "RMA-20250720").state == "void"
    assert program.store.credentials(program.member)[0].status == "active"
    assert program.outbox.to("ann@example.org", "past_due") == []


def test_the_closing_invoice_opens_the_day_after_the_points_and_paying_it_rolls_the_cycle_over(program):
    for year in (2025, 2026):
        program.daily_jobs(date(year, 7, 1))
        program.pay_by_cheque(program.member, f"RMA-{year}0720", date(year, 7, 2), reference=str(year))
    program.daily_jobs(date(2027, 7, 1))
    assert invoice(program, "RMA-20270720").state == "locked"
    program.record(program.member, "30", date(2027, 7, 5))
    program.daily_jobs(date(2027, 7, 5))
    assert invoice(program, "RMA-20270720").state == "locked"  # payable from the day after
    program.daily_jobs(date(2027, 7, 6))
    assert invoice(program, "RMA-20270720").state == "open"
    assert len(program.outbox.to("ann@example.org", "invoice_payable")) == 1
    program.pay_by_cheque(program.member, "RMA-20270720", date(2027, 7, 7), reference="2027")
    [credential] = program.store.credentials(program.member)
    assert (credential.cycle_start, credential.cycle_end, credential.recorded) == (
        date(2027, 7, 20),
        date(2030, 7, 19),
        {},
    )
    [archived] = program.store.archives.values()
    assert archived.credential.recorded == {"professional_education": Decimal(30)}
    assert [e for e, _ in program.events.published] == ["CycleRolledOver"]


def test_a_member_enrolled_in_their_anniversary_month_gets_its_invoice_and_notice_at_once_and_once():
    program = Program()
    member = program.enrol(date(2024, 7, 20), today=date(2025, 7, 10))
    assert [(i.invoice_id, i.state) for i in program.store.member_state(member).invoices] == [("RMA-20250720", "open")]
    assert len(program.outbox.to("ann@example.org", "renewal_due")) == 1
    program.daily_jobs(date(2025, 7, 10))
    program.daily_jobs(date(2025, 8, 1))  # unpaid: the sweep makes them inactive, as any member
    assert len(program.outbox.to("ann@example.org", "renewal_due")) == 1
    assert program.store.credentials(member)[0].status == "inactive"


def test_a_member_enrolled_the_month_before_hears_of_the_coming_renewal_and_nothing_of_earlier_months():
    program = Program()
    program.enrol(date(2024, 7, 20), today=date(2025, 6, 10))
    assert [d["anniversary"] for d in program.outbox.to("ann@example.org", "renewal_upcoming")] == ["2025-07-20"]
    assert program.store.invoices == {}
    program.enrol(date(2024, 3, 20), today=date(2025, 6, 10), email="pat@example.org")  # March: months ago
    assert program.outbox.to("pat@example.org") == [] and program.store.invoices == {}
