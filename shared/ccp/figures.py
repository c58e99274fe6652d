"""The program at a glance, kept up by the writes: every change of a credential, invoice or audit
item (the table's stream) moves the counters it belongs to. Pure: items in, counter moves out.

An item *counts in* a set of counters, from its state alone; a change moves it from the counters
of the old image to those of the new one. Replaying a change is therefore never a new count (the
stream consumer also skips an event it has applied).
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from dateutil.relativedelta import relativedelta
from defusedcsv import csv  # every cell: a leading = + - @ | % cannot run as a formula

CREDENTIAL_SK, INVOICE_SK, AUDIT_SK = "STATE#CRED#", "STATE#INV#", "AUDIT#"
STATUSES = ("active", "inactive", "must_recertify")


def counts_in(item: dict[str, Any] | None) -> set[str]:
    """The counters an item (as stored) counts in."""
    if not item:
        return set()
    sk = str(item.get("sk", ""))
    if sk.startswith(CREDENTIAL_SK):
        found = {f"HOLDERS#{item['code']}#{item.get('status', 'active')}"}
        listed = str(item.get("gsi2pk", ""))
        if listed.startswith("CYCLE_END#"):  # its open cycle is unmet (the sparse index lists it)
            found.add(f"UNMET#{listed.split('#')[1]}")
        return found
    if sk.startswith(INVOICE_SK) and item.get("purpose", "renewal") == "renewal":
        month = str(item["due_date"])[:7]
        found = {f"RENEWALS_DUE#{month}"}
        if item.get("state") == "paid":
            on_time = str(item.get("paid_on") or "9999") <= str(item["due_date"])
            found.add(f"RENEWALS_PAID_{'ON_TIME' if on_time else 'LATE'}#{month}")
        elif item.get("state") == "void":
            found.add(f"RENEWALS_VOID#{month}")
        return found
    if sk.startswith(AUDIT_SK):
        return {f"AUDITS#{item['year']}#{item['state']}"}
    return set()


def moves(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, int]:
    """What one change of an item does to the counters: +1 where it now counts, -1 where it no longer does."""
    before, after = counts_in(old), counts_in(new)
    return {**{key: 1 for key in after - before}, **{key: -1 for key in before - after}}


class Dashboard(NamedTuple):
    month: str  # YYYY-MM: the renewals figures' month
    holders: list[tuple[str, str, int]]  # credential, status, holders
    renewals: dict[str, int]  # due, paid_on_time, paid_late, void, unpaid
    unmet_cycles_ending: list[tuple[str, int]]  # YYYY-MM, cycles still unmet, for this month and the next 3
    audits: list[tuple[int, dict[str, int]]]  # year, {open, passed, failed}


def dashboard(counters: dict[str, int], today: date) -> Dashboard:
    month = f"{today:%Y-%m}"
    holders = sorted(
        (key.split("#")[1], key.split("#")[2], n) for key, n in counters.items() if key.startswith("HOLDERS#") and n
    )
    renewal = {
        kind.lower(): counters.get(f"RENEWALS_{kind}#{month}", 0)
        for kind in ("DUE", "PAID_ON_TIME", "PAID_LATE", "VOID")
    }
    renewal["unpaid"] = renewal["due"] - renewal["paid_on_time"] - renewal["paid_late"] - renewal["void"]
    # Cycles end on any day: the 90 days ahead are this month and the next three, whole.
    months = [f"{today + relativedelta(months=n):%Y-%m}" for n in range(4)]
    audits: dict[int, dict[str, int]] = {}
    for key, n in counters.items():
        if key.startswith("AUDITS#"):
            _, year, state = key.split("#")
            audits.setdefault(int(year), {"open": 0, "passed": 0, "failed": 0})[state] = n
    return Dashboard(
        month=month,
        holders=holders,
        renewals=renewal,
        unmet_cycles_ending=[(m, counters.get(f"UNMET#{m}", 0)) for m in months],
        audits=sorted(audits.items(), reverse=True),
    )


def as_csv(view: Dashboard) -> str:
    """One figure a row: what a program manager pastes into the monthly report."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["figure", "key", "value"])
    rows: Iterable[tuple[str, str, int]] = [
        *((f"holders {status}", code, n) for code, status, n in view.holders),
        *((f"renewals {kind}", view.month, n) for kind, n in view.renewals.items()),
        *(("unmet cycles ending", month, n) for month, n in view.unmet_cycles_ending),
        *((f"audits {state}", str(year), n) for year, states in view.audits for state, n in states.items()),
    ]
    writer.writerows(rows)
    return out.getvalue()


def tally(items: Iterable[dict[str, Any]]) -> Counter[str]:
    """The counters recounted from scratch (a backfill, and the tests' check of the running counters)."""
    counted: Counter[str] = Counter()
    for item in items:
        counted.update(counts_in(item))
    return counted
