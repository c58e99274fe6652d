"""The renewal rules (docs/rules.md §2, §4, §5) tested directly: anniversaries, the end-of-cycle lock,
payability, roll-over readiness, status on a day. Properties hold for any dates hypothesis picks."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccp.domain.values import Category, CycleTotals
from ccp.rules.ce import progress_of
from ccp.rules.dates import cycle_starting
from ccp.rules.renewals import (
    CycleInvoice,
    anniversary_in,
    closes_cycle,
    due_date_for,
    issue_date_for,
    lock_for,
    payment_refusal,
    ready_to_roll_over,
    state_on,
)
from ccp.rules.status import StatusFacts, lapse_dates, status_on
from ccp.rules.versions import default_rule_book

RULES = default_rule_book().in_force_on(date(2026, 1, 1))
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


# ---- anniversaries ------------------------------------------------------------------------------


def test_a_29_february_certification_renews_on_28_february_in_common_years():
    leap_day = date(2024, 2, 29)
    assert anniversary_in(leap_day, 2025, 2) == date(2025, 2, 28)
    assert anniversary_in(leap_day, 2028, 2) == date(2028, 2, 29)
    assert anniversary_in(leap_day, 2025, 3) is None


@given(anchor=days, year=st.integers(min_value=2000, max_value=2100))
def test_an_anniversary_falls_in_the_anchor_month_on_its_day_or_the_months_last(anchor, year):
    anniversary = anniversary_in(anchor, year, anchor.month)
    assert anniversary is not None
    assert (anniversary.year, anniversary.month) == (year, anchor.month)
    if anniversary.day != anchor.day:  # only a day the month lacks moves (29 Feb), to the month's last day
        assert anchor.day > anniversary.day
        assert (anniversary + timedelta(days=1)).month != anchor.month


@given(anniversary=days)
def test_a_fee_is_issued_on_the_first_and_due_on_the_last_day_of_the_anniversary_month(anniversary):
    issued, due = issue_date_for(anniversary), due_date_for(anniversary)
    assert issued.day == 1 and (issued.year, issued.month) == (anniversary.year, anniversary.month)
    assert (due.year, due.month) == (anniversary.year, anniversary.month)
    assert (due + timedelta(days=1)).day == 1


# ---- the end-of-cycle lock ----------------------------------------------------------------------


def test_only_the_renewal_that_starts_the_next_cycle_closes_the_open_one():
    cycle = cycle_starting(date(2023, 5, 10), 3)
    assert closes_cycle(cycle, date(2026, 5, 10))
    assert not closes_cycle(cycle, date(2025, 5, 10))
    assert not closes_cycle(cycle, date(2027, 5, 10))


@given(issued_on=days, met_after_issue=st.integers(min_value=-800, max_value=800), day_offset=st.integers(-400, 400))
def test_a_closing_invoice_is_payable_from_the_day_after_the_requirement_is_met_and_never_before(
    issued_on, met_after_issue, day_offset
):
    met_on = issued_on + timedelta(days=met_after_issue)
    lock = lock_for(closes=True, grandfathered=False, met_on=met_on, issued_on=issued_on)
    day = issued_on + timedelta(days=day_offset)
    if day < issued_on:
        return  # not issued yet: nothing to pay
    payable = state_on("locked" if lock.locked else "open", lock.available_on, day) == "open"
    assert payable == (day > met_on)


@given(issued_on=days, day_offset=st.integers(0, 2000))
def test_a_closing_invoice_stays_locked_while_the_requirement_is_unmet(issued_on, day_offset):
    lock = lock_for(closes=True, grandfathered=False, met_on=None, issued_on=issued_on)
    assert lock.locked
    assert state_on("locked", lock.available_on, issued_on + timedelta(days=day_offset)) == "locked"


@given(issued_on=days, met=st.one_of(st.none(), days), closes=st.booleans())
def test_grandfathered_members_and_mid_cycle_renewals_are_never_locked(issued_on, met, closes):
    assert lock_for(closes=closes, grandfathered=True, met_on=met, issued_on=issued_on).locked is False
    assert lock_for(closes=False, grandfathered=False, met_on=met, issued_on=issued_on).locked is False


# ---- payability ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "purpose", "status", "refusal"),
    [
        ("open", "renewal", "active", None),
        ("refunded", "renewal", "inactive", None),
        ("paid", "renewal", "active", "INVOICE_ALREADY_PAID"),
        ("void", "renewal", "active", "INVOICE_VOID"),
        ("locked", "renewal", "active", "INVOICE_LOCKED"),
        ("open", "renewal", "must_recertify", "MUST_RECERTIFY"),
        ("locked", "renewal", "must_recertify", "MUST_RECERTIFY"),
        ("open", "recertification", "must_recertify", None),  # the way back is recertification's own fee
    ],
)
def test_an_invoice_is_payable_only_when_open_and_not_an_old_fee_of_a_member_who_must_recertify(
    state, purpose, status, refusal
):
    assert payment_refusal(state=state, purpose=purpose, status=status) == refusal


# ---- roll-over ---------------------------------------------------------------------------------------


def test_a_cycle_rolls_over_once_met_and_every_fee_of_it_is_paid_including_the_closing_one():
    cycle = cycle_starting(date(2023, 5, 10), 3)
    fees = [date(2024, 5, 10), date(2025, 5, 10), date(2026, 5, 10)]

    def ready(*, met=True, grandfathered=False, states=("paid", "paid", "paid")):
        invoices = [CycleInvoice(a, s) for a, s in zip(fees, states, strict=True)]
        return ready_to_roll_over(cycle, met=met, grandfathered=grandfathered, invoices=invoices)

    assert ready()
    assert ready(states=("void", "paid", "paid"))
    assert not ready(met=False)
    assert ready(met=False, grandfathered=True)
    assert not ready(states=("paid", "paid", "open"))  # the closing fee
    assert not ready(states=("open", "paid", "paid"))  # an earlier fee of the cycle
    assert not ready(states=("paid", "paid", "refunded"))
    # The next cycle's fees do not hold this one back.
    later = [CycleInvoice(a, "paid") for a in fees] + [CycleInvoice(date(2027, 5, 10), "open")]
    assert ready_to_roll_over(cycle, met=True, grandfathered=False, invoices=later)


# ---- status on a day -------------------------------------------------------------------------------


status_facts = st.builds(
    StatusFacts,
    cycle_end=days,
    requirement_met=st.booleans(),
    grandfathered=st.booleans(),
    unpaid_due_dates=st.lists(days, max_size=4).map(tuple),
    must_recertify_from=st.one_of(st.none(), days),
)


@given(facts=status_facts, day=days, later=st.integers(min_value=0, max_value=3000))
def test_status_never_improves_with_time_alone(facts, day, later):
    """Without a new payment or record, a later day is never better than an earlier one."""
    severity = {"active": 0, "inactive": 1, "must_recertify": 2}
    before = status_on(facts, day, RULES).status
    after = status_on(facts, day + timedelta(days=later), RULES).status
    assert severity[after] >= severity[before]


@given(facts=status_facts, day=days)
def test_a_member_with_nothing_missed_is_active(facts, day):
    clean = StatusFacts(
        cycle_end=facts.cycle_end,
        requirement_met=True,
        grandfathered=facts.grandfathered,
        unpaid_due_dates=tuple(d for d in facts.unpaid_due_dates if d >= day),
        must_recertify_from=None,
    )
    assert status_on(clean, day, RULES).status == "active"


@given(facts=status_facts, day=days)
def test_the_lapse_dates_predict_the_status_if_the_member_does_nothing_more(facts, day):
    """lapse_dates (shown to the member) agree with status_on on every day after them."""
    dates = lapse_dates(facts, None, RULES)
    verdict = status_on(facts, day, RULES).status
    if dates.must_recertify_on is not None and day >= dates.must_recertify_on:
        assert verdict == "must_recertify"
    elif dates.inactive_on is not None and day >= dates.inactive_on:
        assert verdict == "inactive"
    else:
        assert verdict == "active"


def test_an_unpaid_fee_makes_a_member_inactive_the_day_after_its_due_date_and_must_recertify_3_years_on():
    facts = StatusFacts(
        cycle_end=date(2030, 1, 1), requirement_met=True, grandfathered=False, unpaid_due_dates=(date(2026, 5, 31),)
    )
    assert status_on(facts, date(2026, 5, 31), RULES).status == "active"
    assert status_on(facts, date(2026, 6, 1), RULES).status == "inactive"
    assert status_on(facts, date(2029, 5, 30), RULES).status == "inactive"
    assert status_on(facts, date(2029, 5, 31), RULES).status == "must_recertify"


# ---- caps ------------------------------------------------------------------------------------------------


@given(
    eligible=st.dictionaries(
        st.sampled_from(list(Category)), st.decimals(min_value=0, max_value=500, places=2), max_size=len(Category)
    ),
    credential=st.sampled_from(sorted(RULES.credentials)),
)
def test_no_category_counts_more_than_its_cap_and_the_total_counted_adds_up(eligible, credential):
    totals = CycleTotals(recorded=dict(eligible), eligible=dict(eligible))
    progress = progress_of(totals, credential=credential, grandfathered=False, rules=RULES)
    required = RULES.credential(credential).required_points
    for category, row in progress.by_category.items():
        share = RULES.categories[category].cap_share
        assert row.counted <= eligible.get(category, Decimal(0))
        if share is not None:
            assert row.counted <= required * share
    assert progress.counted_points == sum(row.counted for row in progress.by_category.values())
    assert progress.remaining_points == max(Decimal(0), required - progress.counted_points)


@given(
    activities=st.lists(
        st.tuples(
            st.sampled_from(list(Category)),
            st.decimals(min_value=Decimal("0.25"), max_value=20, places=2),
            st.decimals(min_value=0, max_value=1, places=2),  # the share that is eligible
        ),
        max_size=25,
    ),
    credential=st.sampled_from(sorted(RULES.credentials)),
)
def test_each_activitys_counted_part_adds_up_to_the_cycles_progress_category_by_category(activities, credential):
    from ccp.domain.values import ActivityClaim
    from ccp.rules.ce import counted_by_activity, totals_of

    claims = [
        (
            ActivityClaim(category=c, title=f"t{n}", points=p, start_date=date(2025, 1, 1), end_date=date(2025, 1, 1)),
            (p * share).quantize(Decimal("0.01")),
        )
        for n, (c, p, share) in enumerate(activities)
    ]
    progress = progress_of(totals_of(claims), credential=credential, grandfathered=False, rules=RULES)
    gaps = [{"before_cycle": claim.points - eligible} if eligible < claim.points else {} for claim, eligible in claims]
    rows = counted_by_activity(claims, progress, gaps)
    for category, row in progress.by_category.items():
        mine = [r for (claim, _), r in zip(claims, rows, strict=True) if claim.category == category]
        assert sum((r.counted for r in mine), Decimal(0)) == row.counted
    for (claim, eligible), row in zip(claims, rows, strict=True):
        assert row.counted + row.not_counted == claim.points
        assert ("before_cycle" in row.reasons) == (eligible < claim.points)
        assert ("over_cap" in row.reasons) == (row.counted < eligible)
        assert sum(row.parts.values(), Decimal(0)) == row.not_counted
