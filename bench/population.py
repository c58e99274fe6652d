"""A seeded member population for benchmarks: certification dates spread evenly over 20 years,
so about 1/12 of the credentials have their anniversary in any month and 1/365 on any day."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tqdm import tqdm

from ccp.domain.records import Address
from ccp.domain.values import ActivityClaim, Category
from ccp.rules.dates import cycle_containing

CODES = ["RMA", "RMA", "RMA", "RPT", "RPT", "CMAS", "MLT", "MLS", "RDA", "CMLA", "MDT", "AHI"]
CHUNK = 500


def seed_population(members: int, *, today: date, rng_seed: int = 7, progress: bool = True) -> None:
    from record_ce.service import ActivityRequest, NewCredential, NewMember
    from record_ce.wiring import history_loading

    service = history_loading()
    rng = random.Random(rng_seed)
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    requests = []
    for n in range(members):
        certified = today - timedelta(days=rng.randint(1, 20 * 365))
        code = rng.choice(CODES)
        cycle = cycle_containing(certified, today)
        activities = []
        if rng.random() < 0.6 and (today - cycle.start).days > 0:
            end = cycle.start + timedelta(days=rng.randint(0, (today - cycle.start).days))
            claim = ActivityClaim(
                category=Category.PROFESSIONAL_EDUCATION,
                title="Webinar",
                points=Decimal(rng.randint(1, 30)),
                start_date=end,
                end_date=end,
            )
            activities.append(ActivityRequest(credentials=[code], claim=claim, attested=True))
        address = (
            Address(line1=f"{n} Main St", city="Springfield", state="IL", postal_code="62701")
            if rng.random() > 0.03
            else None
        )
        requests.append(
            (
                NewMember(
                    first_name="Member",
                    last_name=str(n),
                    email=f"member{n}@example.org",
                    mailing_address=address,
                    credentials=[NewCredential(code=code, certified_on=certified)],
                    mail_opt_out=rng.random() < 0.05,
                ),
                activities,
            )
        )
    with tqdm(
        total=members, desc=f"seeding {members:,} members", unit="member", leave=False, disable=not progress
    ) as bar:
        for start in range(0, members, CHUNK):
            chunk = requests[start : start + CHUNK]
            service.import_members(chunk, today=today, now=now)
            bar.update(len(chunk))
