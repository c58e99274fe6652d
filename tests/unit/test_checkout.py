"""Paying an invoice at the processor (BillingService.checkout) on in-memory ports: one live session
per invoice, whoever clicks and whenever, judged by the sessions made and what the invoice keeps."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ccp.domain.records import CredentialRecord, InvoiceRecord, MemberRecord, MemberState
from ccp.errors import Conflict
from ccp.rules.versions import default_rule_book
from renewals.billing import BillingService
from tests.support.fakes import FakeProcessor, InMemoryCheckouts, InMemoryMemberStates

INVOICE = "RMA-20260415"
NOON = datetime(2026, 4, 2, 17, 0, tzinfo=UTC)


def member_with_an_open_invoice(state="open"):
    profile = MemberRecord(member_id="M1", first_name="Ann", last_name="Bee", email="ann@example.org", created_at=NOON)
    credential = CredentialRecord(
        member_id="M1",
        code="RMA",
        certified_on=date(2023, 4, 15),
        grandfathered=False,
        cycle_start=date(2023, 4, 15),
        cycle_end=date(2026, 4, 14),
        met_on=date(2026, 3, 20),
    )
    invoice = InvoiceRecord(
        member_id="M1",
        invoice_id=INVOICE,
        credential="RMA",
        anniversary=date(2026, 4, 15),
        amount=Decimal("50"),
        issued_on=date(2026, 4, 1),
        due_date=date(2026, 4, 30),
        state=state,
        closes_cycle=True,
        cycle_start=date(2023, 4, 15),
    )
    return MemberState(profile=profile, credentials=[credential], invoices=[invoice])


@pytest.fixture
def billing():
    members = InMemoryMemberStates(member_with_an_open_invoice())
    processor = FakeProcessor()
    service = BillingService(
        members, None, None, default_rule_book(), None, processor=processor, checkouts=InMemoryCheckouts(members)
    )
    return service, members, processor


def checkout(service, processor, at):
    processor.now = at
    return service.checkout("M1", INVOICE, now=at, success_url="https://p/ok", cancel_url="https://p/no")


def test_a_second_click_after_midnight_gets_the_same_live_session(billing):
    service, members, processor = billing
    late = checkout(service, processor, datetime(2026, 4, 3, 4, 50, tzinfo=UTC))  # 23:50 in Chicago
    after_midnight = checkout(service, processor, datetime(2026, 4, 3, 5, 10, tzinfo=UTC))
    assert late == after_midnight and len(processor.sessions) == 1
    kept = members.invoice("M1", INVOICE)
    assert (kept.checkout_id, kept.checkouts_started) == (late.checkout_id, 1)


def test_an_expired_session_is_followed_by_a_new_one_under_the_next_key(billing):
    service, members, processor = billing
    first = checkout(service, processor, NOON)
    second = checkout(service, processor, NOON + timedelta(hours=25))
    assert first.checkout_id != second.checkout_id
    assert list(processor.sessions) == [f"checkout:{INVOICE}:M1:1", f"checkout:{INVOICE}:M1:2"]
    assert members.invoice("M1", INVOICE).checkout_id == second.checkout_id


def test_a_click_that_lost_the_race_offers_the_session_kept_first(billing):
    service, members, processor = billing
    other = member_with_an_open_invoice().invoices[0]
    processor.now = NOON

    class Racing(InMemoryCheckouts):
        def remember(self, invoice, session):
            if not members.invoice("M1", INVOICE).checkout_id:  # another device keeps its session first
                super().remember(other, session._replace(checkout_id="cs_other", checkout_url="https://pay/other"))
            return super().remember(invoice, session)

    service._checkouts = Racing(members)
    offered = checkout(service, processor, NOON)
    assert offered.checkout_id == "cs_other"


@pytest.mark.parametrize(("state", "code"), [("paid", "INVOICE_NOT_OPEN"), ("void", "INVOICE_NOT_OPEN")])
def test_only_an_open_invoice_starts_a_session(state, code):
    members = InMemoryMemberStates(member_with_an_open_invoice(state))
    processor = FakeProcessor()
    service = BillingService(
        members, None, None, default_rule_book(), None, processor=processor, checkouts=InMemoryCheckouts(members)
    )
    with pytest.raises(Conflict) as refused:
        checkout(service, processor, NOON)
    assert refused.value.code == code and processor.sessions == {}
