"""The dashboard's counters (ccp.figures): whatever the order and repetition of changes an item goes
through, the counters moved change by change equal a recount of what is stored in the end."""

from collections import Counter
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from ccp.figures import as_csv, counts_in, dashboard, moves, tally


def credential(code="RMA", status="active", unmet_until=None):
    item = {"pk": "MEMBER#M1", "sk": f"STATE#CRED#{code}", "code": code, "status": status}
    if unmet_until:
        item["gsi2pk"] = f"CYCLE_END#{unmet_until}#03"
    return item


def invoice(state="open", due="2027-03-31", paid_on=None, purpose="renewal"):
    item = {"pk": "MEMBER#M1", "sk": "STATE#INV#RMA#2027-03-10", "due_date": due, "state": state, "purpose": purpose}
    if paid_on:
        item["paid_on"] = paid_on
    return item


def test_an_item_counts_in_the_counters_of_its_state():
    assert counts_in(credential(status="inactive", unmet_until="2027-05")) == {"HOLDERS#RMA#inactive", "UNMET#2027-05"}
    assert counts_in(invoice("paid", paid_on="2027-03-20")) == {"RENEWALS_DUE#2027-03", "RENEWALS_PAID_ON_TIME#2027-03"}
    assert counts_in(invoice("paid", paid_on="2027-04-02")) == {"RENEWALS_DUE#2027-03", "RENEWALS_PAID_LATE#2027-03"}
    assert counts_in(invoice("void")) == {"RENEWALS_DUE#2027-03", "RENEWALS_VOID#2027-03"}
    assert counts_in(invoice(purpose="recertification")) == set()  # a recertification fee is not a renewal
    assert counts_in({"pk": "MEMBER#M1", "sk": "AUDIT#2025#RMA", "year": 2025, "state": "open"}) == {"AUDITS#2025#open"}
    assert counts_in({"pk": "MEMBER#M1", "sk": "ACT#1"}) == set() and counts_in(None) == set()


def test_a_change_moves_an_item_from_its_old_counters_to_its_new_ones():
    assert moves(invoice("open"), invoice("paid", paid_on="2027-03-20")) == {"RENEWALS_PAID_ON_TIME#2027-03": 1}
    assert moves(invoice("paid", paid_on="2027-03-20"), invoice("refunded")) == {"RENEWALS_PAID_ON_TIME#2027-03": -1}
    assert moves(credential(status="active"), credential(status="must_recertify")) == {
        "HOLDERS#RMA#must_recertify": 1,
        "HOLDERS#RMA#active": -1,
    }
    assert moves(None, credential()) == {"HOLDERS#RMA#active": 1}
    assert moves(credential(), None) == {"HOLDERS#RMA#active": -1}
    assert moves(credential(), credential()) == {}


STATES = [
    credential(status=s, unmet_until=u)
    for s in ("active", "inactive", "must_recertify")
    for u in (None, "2027-05", "2027-06")
]
INVOICES = [
    invoice("open"),
    invoice("locked"),
    invoice("paid", paid_on="2027-03-01"),
    invoice("paid", paid_on="2027-05-01"),
]
INVOICES += [invoice("void"), invoice("refunded")]


@settings(max_examples=300)
@given(
    histories=st.lists(
        st.lists(st.one_of(st.sampled_from(STATES), st.sampled_from(INVOICES), st.none()), min_size=1, max_size=8),
        min_size=1,
        max_size=6,
    )
)
def test_counters_moved_change_by_change_equal_a_recount_of_the_final_items(histories):
    """Each history is one item's versions (None: deleted); the stream carries old and new image."""
    counters: Counter[str] = Counter()
    final = []
    for history in histories:
        old = None
        for new in history:
            counters.update(moves(old, new))
            old = new
        final.append(old)
    assert {k: v for k, v in counters.items() if v} == {k: v for k, v in tally(i for i in final if i).items() if v}


def test_the_dashboard_reads_the_counters_for_the_month_and_the_next_ninety_days():
    counters = {
        "HOLDERS#RMA#active": 10,
        "HOLDERS#RMA#inactive": 2,
        "HOLDERS#RPT#active": 0,  # counted down to nothing: not shown
        "RENEWALS_DUE#2027-03": 5,
        "RENEWALS_PAID_ON_TIME#2027-03": 2,
        "RENEWALS_PAID_LATE#2027-03": 1,
        "RENEWALS_VOID#2027-03": 1,
        "UNMET#2027-03": 4,
        "UNMET#2027-06": 2,
        "UNMET#2027-07": 9,  # beyond the 90 days
        "AUDITS#2025#passed": 3,
        "AUDITS#2026#open": 1,
    }
    view = dashboard(counters, date(2027, 3, 15))
    assert view.holders == [("RMA", "active", 10), ("RMA", "inactive", 2)]
    assert view.renewals == {"due": 5, "paid_on_time": 2, "paid_late": 1, "void": 1, "unpaid": 1}
    assert view.unmet_cycles_ending == [("2027-03", 4), ("2027-04", 0), ("2027-05", 0), ("2027-06", 2)]
    assert view.audits == [(2026, {"open": 1, "passed": 0, "failed": 0}), (2025, {"open": 0, "passed": 3, "failed": 0})]
    text = as_csv(view)
    assert text.splitlines()[0] == "figure,key,value"
    assert "renewals unpaid,2027-03,1" in text.splitlines() and "audits passed,2025,3" in text.splitlines()
