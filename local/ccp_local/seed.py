"""Demo data for the local stack, judged by the same rules and service code the API uses,
written in batches (a transaction per member would be needlessly slow in embedded AWS)."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from tqdm import tqdm

from ccp.domain.records import Address
from ccp.domain.values import ActivityClaim, Category
from ccp.rules.dates import business_date, cycle_containing

FIRST = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hiro", "Ines", "Jonah", "Kara", "Luis", "Mei", "Noah"]
LAST = ["Alvarez", "Brooks", "Chen", "Diallo", "Evans", "Fischer", "Garcia", "Huang", "Ito", "Jensen", "Khan", "Lopez"]
CODES = ["RMA", "RMA", "RMA", "RPT", "RPT", "CMAS", "MLT", "MLS", "RDA", "CMLA", "MDT", "AHI"]
BATCH = 50


@dataclass(frozen=True)
class DemoMember:
    member_id: str
    name: str
    credentials: str
    note: str
    email: str = ""


def seed(
    table_name: str,
    synthetic: int = 200,
    *,
    now: datetime | None = None,
    rng_seed: int = 2026,
    logins: Callable[[list[tuple[str, str]]], None] | None = None,
) -> list[DemoMember]:
    """Demo members; `logins` is given every (member id, email) seeded, to make their sign-ins."""
    # The service lives with its function (functions/record_ce), which the local stack puts on sys.path.
    from record_ce.service import ActivityRequest, NewCredential, NewMember
    from record_ce.wiring import history_loading

    os.environ["TABLE_NAME"] = table_name
    service = history_loading(table_name)
    now = now or datetime.now(UTC)
    today = business_date(now)
    rng = random.Random(rng_seed)

    def member(first, last, credentials, with_address=True):
        address = Address(line1=f"{rng.randint(1, 9999)} Oak St", city="Springfield", state="IL", postal_code="62701")
        return NewMember(
            first_name=first,
            last_name=last,
            email=f"{first}.{last}.{rng.randint(100, 999)}@example.org".lower(),
            mailing_address=address if with_address else None,
            credentials=[NewCredential(code=c, certified_on=d) for c, d in credentials],
        )

    def activity(codes, category, title, points, end):
        claim = ActivityClaim(
            category=category,
            title=title,
            provider="Demo Provider",
            points=Decimal(points),
            start_date=end,
            end_date=end,
        )
        return ActivityRequest(credentials=codes, claim=claim, attested=True)

    maria_certified = (today - relativedelta(years=2, months=1)).replace(day=1)
    james_mls, james_mlt = (
        (today - relativedelta(years=7, months=-2)).replace(day=1),
        (today - relativedelta(years=4, months=-5)).replace(day=1),
    )
    named = [
        (
            member("Maria", "Santos", [("RMA", maria_certified)]),
            [
                activity(
                    ["RMA"],
                    Category.PROFESSIONAL_EDUCATION,
                    "Infection control update",
                    "8",
                    today - timedelta(days=120),
                ),
                activity(["RMA"], Category.AUTHORSHIP, "Clinic newsletter article", "20", today - timedelta(days=60)),
            ],
            ("RMA", "authorship over its cap; points still missing"),
        ),
        (
            member("James", "Okafor", [("MLS", james_mls), ("MLT", james_mlt)]),
            [
                activity(
                    ["MLS", "MLT"],
                    Category.FORMAL_EDUCATION,
                    "Molecular biology (3 semester credits)",
                    "45",
                    today - timedelta(days=20),
                )
            ],
            ("MLS, MLT", "both requirements met by one course"),
        ),
        (member("Dorothy", "Klein", [("RMA", date(1998, 2, 12))]), [], ("RMA", "grandfathered: fee only")),
    ]
    requests = [(m, a) for m, a, _ in named]
    for _ in range(synthetic):
        code, certified = rng.choice(CODES), today - timedelta(days=rng.randint(30, 20 * 365))
        cycle_start = cycle_containing(certified, today).start
        span = (today - cycle_start).days
        activities = [
            activity(
                [code],
                Category.PROFESSIONAL_EDUCATION,
                f"Webinar {n}",
                str(rng.randint(1, 10)),
                today - timedelta(days=rng.randint(0, span)),
            )
            for n in range(rng.randint(0, 4) if span > 0 else 0)
        ]
        requests.append(
            (member(rng.choice(FIRST), rng.choice(LAST), [(code, certified)], rng.random() > 0.05), activities)
        )

    states = []
    with tqdm(total=len(requests), desc="seeding demo members", unit="member", leave=False) as bar:
        for start in range(0, len(requests), BATCH):
            chunk = requests[start : start + BATCH]
            loaded = service.import_members(chunk, today=today, now=now)
            if logins:
                logins([(state.profile.member_id, state.profile.email) for state in loaded])
            states.extend(loaded)
            bar.update(len(chunk))
    return [
        DemoMember(
            state.profile.member_id,
            f"{state.profile.first_name} {state.profile.last_name}",
            codes,
            note,
            state.profile.email,
        )
        for state, (_, _, (codes, note)) in zip(states, named, strict=False)
    ]
