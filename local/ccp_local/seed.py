"""Demo data for the local stack, made the way a body moves its members in: each member a line of an
import (docs/import.md), replayed through the program's use cases and written by the import's own use
case, so every page has a lived history to show: fees paid and open, a lapse, a reinstatement, CE
over a cap and CE that meets two requirements at once."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from tqdm import tqdm

from ccp.rules.dates import business_date, cycle_starting
from ccp.rules.history import history_start
from ccp.rules.renewals import anniversary_in, issue_date_for

FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hiro", "Ines", "Jonah", "Kara", "Luis", "Mei", "Noah"]
LAST = ["Alvarez", "Brooks", "Chen", "Diallo", "Evans", "Fischer", "Garcia", "Huang", "Ito", "Jensen", "Khan", "Lopez"]
FEES = {"RMA": "50.00", "RPT": "50.00", "CMAS": "50.00", "MLT": "90.00", "MLS": "90.00", "RDA": "50.00", "AHI": "30.00"}
CODES = ["RMA", "RMA", "RMA", "RPT", "RPT", "CMAS", "MLT", "MLS", "RDA", "AHI"]
DAY = timedelta(days=1)


@dataclass(frozen=True)
class DemoMember:
    member_id: str
    name: str
    credentials: str
    note: str
    email: str = ""


def fees(
    owner: str, code: str, anchor: date, today: date, *, until: date | None = None, day_paid: int = 5
) -> list[dict]:
    """The fee of every anniversary from the year after `anchor` whose invoice was issued before today
    (and before `until`: the member stopped paying), each paid on the `day_paid` of its month; the
    references are the `owner`'s (a processor's reference is used once across the body)."""
    paid = []
    for year in range(anchor.year + 1, today.year + 1):
        anniversary = anniversary_in(anchor, year, anchor.month)
        if anniversary is None or issue_date_for(anniversary) >= today or (until and anniversary >= until):
            continue
        paid_on = min(issue_date_for(anniversary).replace(day=day_paid), today - DAY)
        paid.append(
            {
                "credential": code,
                "anniversary": anniversary.isoformat(),
                "amount": FEES[code],
                "paid_on": paid_on.isoformat(),
                "method": "card" if year % 2 else "check",
                "reference": f"{owner}-{code}-{year}",
            }
        )
    return paid


def activity(codes: list[str], category: str, title: str, points: int, end: date) -> dict:
    return {
        "credentials": codes,
        "category": category,
        "title": title,
        "provider": "Demo Provider",
        "points": points,
        "start_date": end.isoformat(),
        "end_date": end.isoformat(),
    }


def named_lines(today: date) -> list[tuple[dict, str, str]]:
    """The demo members the README and the tests name: (line, credentials, what their history shows)."""

    def person(first: str, last: str, legacy: str, **history: Any) -> dict:
        return {
            "legacy_id": legacy,
            "first_name": first,
            "last_name": last,
            "email": f"{first}.{last}.{legacy[-3:]}@example.org".lower(),
            "mailing_address": {
                "line1": f"{legacy[-3:]} Oak St",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "62701",
            },
            **history,
        }

    maria = (today - relativedelta(years=2, months=1)).replace(day=1)
    mls, mlt = (
        (today - relativedelta(years=7, months=-2)).replace(day=1),
        (today - relativedelta(years=4, months=-5)).replace(day=1),
    )
    hiro = (today - relativedelta(years=10)).replace(day=4)
    grace, grace_back = date(2009, 11, 30), today - relativedelta(months=14)
    femi = (today - relativedelta(years=5, months=2)).replace(day=12)
    return [
        (
            person(
                "Maria",
                "Santos",
                "DEMO-001",
                credentials=[{"code": "RMA", "certified_on": maria.isoformat()}],
                payments=fees("DEMO-001", "RMA", maria, today),
                activities=[
                    activity(["RMA"], "professional_education", "Infection control update", 8, today - 120 * DAY),
                    activity(["RMA"], "authorship", "Clinic newsletter article", 20, today - 60 * DAY),
                ],
            ),
            "RMA",
            "authorship over its cap; points still missing",
        ),
        (
            person(
                "James",
                "Okafor",
                "DEMO-002",
                credentials=[
                    {"code": "MLS", "certified_on": mls.isoformat()},
                    {"code": "MLT", "certified_on": mlt.isoformat()},
                ],
                payments=fees("DEMO-002", "MLS", mls, today) + fees("DEMO-002", "MLT", mlt, today),
                activities=[
                    activity(
                        ["MLS", "MLT"],
                        "formal_education",
                        "Molecular biology (3 semester credits)",
                        45,
                        today - 20 * DAY,
                    )
                ],
            ),
            "MLS, MLT",
            "both requirements met by one course",
        ),
        (
            person(
                "Dorothy",
                "Klein",
                "DEMO-003",
                credentials=[{"code": "RMA", "certified_on": "1998-02-12", "grandfathered": True}],
                payments=fees("DEMO-003", "RMA", date(1998, 2, 12), today),
            ),
            "RMA",
            "grandfathered: fee only",
        ),
        (
            person(
                "Hiro",
                "Ito",
                "DEMO-004",
                credentials=[{"code": "RPT", "certified_on": hiro.isoformat()}],
                payments=fees("DEMO-004", "RPT", hiro, today, until=today - relativedelta(years=5)),
            ),
            "RPT",
            "no fee for five years: must recertify",
        ),
        (
            person(
                "Grace",
                "Evans",
                "DEMO-005",
                credentials=[{"code": "RMA", "certified_on": grace.isoformat()}],
                reinstatements=[{"credential": "RMA", "path": "exam", "reinstated_on": grace_back.isoformat()}],
                payments=fees("DEMO-005", "RMA", grace_back, today),
            ),
            "RMA",
            "lapsed, reinstated by exam last year",
        ),
        (
            person(
                "Femi",
                "Diallo",
                "DEMO-006",
                credentials=[{"code": "CMAS", "certified_on": femi.isoformat()}],
                payments=fees("DEMO-006", "CMAS", femi, today, until=today - relativedelta(months=3)),
            ),
            "CMAS",
            "this year's fee past due: inactive",
        ),
    ]


def history_lines(members: int, *, today: date, rng_seed: int) -> list[dict]:
    """Members certified over twenty years: fees paid each year (one in eight stopped paying some years
    ago), the CE of the cycle their record begins with (0 to 5 activities), one in five with two
    credentials. The benchmark imports these too (bench/import_run.py)."""
    rng = random.Random(rng_seed)
    lines = []
    for n in range(members):
        credentials, payments, activities = [], [], []
        legacy_id = f"GEN-{rng_seed}-{n:07d}"
        for code in rng.sample(sorted(FEES), 2 if rng.random() < 0.2 else 1):
            certified = today - timedelta(days=rng.randint(400, 20 * 365))
            credentials.append({"code": code, "certified_on": certified.isoformat()})
            stopped = today - relativedelta(years=rng.randint(1, 6)) if rng.random() < 0.125 else None
            paid = fees(legacy_id, code, certified, today, until=stopped, day_paid=rng.randint(1, 28))
            payments += paid
            anniversaries = [date.fromisoformat(p["anniversary"]) for p in paid]
            cycle = cycle_starting(history_start(certified, anniversaries, today, 3))
            last = min(cycle.end, today - DAY)
            for a in range(rng.randint(0, 5) if last >= cycle.start else 0):
                end = cycle.start + timedelta(days=rng.randint(0, (last - cycle.start).days))
                activities.append(
                    activity([code], "professional_education", f"Webinar {a + 1}", rng.randint(2, 12), end)
                )
        first, last_name = rng.choice(FIRST), rng.choice(LAST)
        lines.append(
            {
                "legacy_id": legacy_id,
                "first_name": first,
                "last_name": last_name,
                "email": f"{first}.{last_name}.{n}@example.org".lower(),
                "credentials": credentials,
                "activities": activities,
                "payments": payments,
            }
        )
    return lines


class _SeedLogins:
    """Demo members sign in with the local password (the stack's `logins`), nothing sent."""

    def __init__(self, logins: Callable[[list[tuple[str, str]]], None] | None):
        self._logins = logins

    def create_quietly(self, member_id: str, email: str) -> None:
        if self._logins:
            self._logins([(member_id, email)])


def seed(
    table_name: str,
    synthetic: int = 200,
    *,
    now: datetime | None = None,
    rng_seed: int = 2026,
    logins: Callable[[list[tuple[str, str]]], None] | None = None,
) -> list[DemoMember]:
    """The named demo members and `synthetic` more, imported as of today; `logins` is given every
    (member id, email) imported, to make their sign-ins."""
    # The import lives with its function (functions/imports), which the local stack puts on sys.path.
    from ccp.data.dynamo import table
    from ccp.data.imports import ImportedMembers
    from ccp.data.outbound import EventPublisher
    from ccp.rules.versions import default_rule_book
    from imports.member_import import MemberImport, member_id_for
    from imports.replay import Replay

    os.environ["TABLE_NAME"] = table_name
    today = business_date(now or datetime.now(UTC))
    importer = MemberImport(
        ImportedMembers(table(table_name, for_jobs=True)),
        Replay(default_rule_book()),
        EventPublisher("default", source="ccp.imports"),  # the badges the program would have given
        _SeedLogins(logins),
    )
    named = named_lines(today)
    demos = []
    for number, (line, codes, note) in enumerate(named, start=1):
        result = importer.import_line(json.dumps(line), number, today, import_id="demo-seed", dry_run=False)
        if result.outcome == "invalid":
            raise RuntimeError(f"the demo member {line['first_name']} {line['last_name']} was refused: {result.errors}")
        member_id = result.member_id or member_id_for(line["legacy_id"])  # imported before: unchanged
        demos.append(DemoMember(member_id, f"{line['first_name']} {line['last_name']}", codes, note, line["email"]))
    for number, line in enumerate(
        tqdm(
            history_lines(synthetic, today=today, rng_seed=rng_seed),
            desc="seeding demo members",
            unit="member",
            leave=False,
        ),
        start=len(named) + 1,
    ):
        importer.import_line(json.dumps(line), number, today, import_id="demo-seed", dry_run=False)
    return demos
