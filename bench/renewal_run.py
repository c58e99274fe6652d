"""P1/P2/P7: a renewal run over a seeded population, then a day of cycle-ending reminders, in embedded
AWS, requests counted with hooks.

python bench/renewal_run.py --members 10000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "shared"), str(ROOT / "local"), str(ROOT)]
from bench import OFFLINE_AWS  # noqa: E402  (importable once the root is on the path)

os.environ.update(OFFLINE_AWS)


def measure(members: int, *, plain_moto: bool = False) -> dict:
    import warnings
    from datetime import date, datetime

    warnings.filterwarnings("ignore")
    from bench.population import seed_population
    from ccp_local.counting import counting
    from ccp_local.emulator.moto_atomic import make_dynamodb_writes_atomic
    from ccp_local.inprocess import deployed_stack, reset_cached_dependencies

    make_dynamodb_writes_atomic()
    if not plain_moto:
        from ccp_local.emulator.embedded import embedded_dynamodb

        embedded_dynamodb()  # moto's cost per index page, not the program's, would grow with the table
    with deployed_stack() as stack:
        seed_population(members, today=date(2026, 4, 20))
        reset_cached_dependencies()
        with counting() as counts:
            started = time.perf_counter()
            summary = stack.job("renewal_notices", datetime(2026, 5, 1, 11, 0, tzinfo=UTC))
            worked = stack.drain_queue()
            seconds = time.perf_counter() - started
        # A day that is not the 1st: the run sends only the reminders of unmet cycles ending 90 and 30 days
        # later, read through the cycle-end index by that day (rules §9).
        reset_cached_dependencies()  # clients made inside `counting` are the ones it counts
        with counting() as reminder_counts:
            reminders = stack.job("renewal_notices", datetime(2026, 5, 2, 11, 0, tzinfo=UTC))
            reminders_worked = stack.drain_queue()
    due = summary["notices_due"] + sum(w.get("notices_due", 0) for w in worked)
    emails = sum(c.get("email", 0) for s in [summary, *worked] for c in s.get("notices", {}).values())
    letters = sum(c.get("postal", 0) for s in [summary, *worked] for c in s.get("notices", {}).values())
    return {
        "members": members,
        "notices_due": due,
        "emails": emails,
        "letters": letters,
        "invoices_issued": summary["invoices_issued"] + sum(w.get("invoices_issued", 0) for w in worked),
        "items_read": counts["dynamodb.items_read"],
        "items_read_per_due_notice": counts["dynamodb.items_read"] / max(due, 1),
        "scans": counts["dynamodb.Scan"],
        "queries": counts["dynamodb.Query"],
        "ses_requests": counts["ses.SendBulkTemplatedEmail"],
        "ses_requests_per_email": counts["ses.SendBulkTemplatedEmail"] / max(emails, 1),
        "worker_units": sum(1 for w in worked if "units_done" in w),
        "cycle_ending_reminders": (
            reminded := reminders["notices_due"] + sum(w.get("notices_due", 0) for w in reminders_worked)
        ),
        "items_read_per_cycle_ending_reminder": reminder_counts["dynamodb.items_read"] / max(reminded, 1),
        "queries_for_cycle_ending_reminders": reminder_counts["dynamodb.Query"],
        "seconds_in_embedded_aws": seconds,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument(
        "--plain-moto", action="store_true", help="without the index-partition map (same figures, slower)"
    )
    args = parser.parse_args()
    figures = measure(args.members, plain_moto=args.plain_moto)
    for key, value in figures.items():
        print(f"{key:<28} {value:,.3f}" if isinstance(value, float) else f"{key:<28} {value:,}")
