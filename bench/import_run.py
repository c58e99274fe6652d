"""P8: importing a body's members locally (docs/import.md): 10,000 members with three years of history
and more (fees since certification, CE of the open cycle, some lapsed), through the import's own use
cases and workers over the deployed template in embedded AWS; members a second, DynamoDB requests a
member, and the process's memory at the start, half way and the end (flat: a chunk at a time).

python bench/import_run.py --members 10000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "shared"), str(ROOT / "local"), str(ROOT)]
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
    POWERTOOLS_METRICS_NAMESPACE="CCP",
    POWERTOOLS_SERVICE_NAME="bench",
)
IMPORT_DAY = date(2026, 12, 2)
FEES = {"RMA": "50.00", "RPT": "50.00", "CMAS": "50.00", "MLS": "90.00", "MLT": "90.00", "AHI": "30.00"}


def member_lines(members: int, rng_seed: int = 11) -> list[str]:
    """Members certified over twenty years; fees paid each year (one in eight stopped paying some years
    ago), the CE of the open cycle (0 to 5 activities), one in five with a second credential."""
    from ccp.rules.dates import cycle_containing
    from ccp.rules.renewals import anniversary_in

    rng = random.Random(rng_seed)
    lines = []
    for n in range(members):
        codes = rng.sample(sorted(FEES), 2 if rng.random() < 0.2 else 1)
        credentials, payments, activities = [], [], []
        for code in codes:
            certified = IMPORT_DAY - timedelta(days=rng.randint(400, 20 * 365))
            credentials.append({"code": code, "certified_on": certified.isoformat()})
            stop = IMPORT_DAY.year - rng.randint(1, 6) if rng.random() < 0.125 else IMPORT_DAY.year + 1
            for year in range(certified.year + 1, min(stop, IMPORT_DAY.year + 1)):
                anniversary = anniversary_in(certified, year, certified.month)
                if anniversary is None or anniversary.replace(day=1) >= IMPORT_DAY:
                    continue
                paid_on = min(
                    anniversary.replace(day=1) + timedelta(days=rng.randint(0, 40)), IMPORT_DAY - timedelta(1)
                )
                payments.append(
                    {
                        "credential": code,
                        "anniversary": anniversary.isoformat(),
                        "amount": FEES[code],
                        "paid_on": paid_on.isoformat(),
                        "method": rng.choice(["card", "check"]),
                        "reference": f"B{n}-{code}-{year}",
                    }
                )
            cycle = cycle_containing(certified, IMPORT_DAY)
            for a in range(rng.randint(0, 5)):
                end = cycle.start + timedelta(days=rng.randint(0, max(0, (IMPORT_DAY - cycle.start).days - 1)))
                activities.append(
                    {
                        "credentials": [code],
                        "category": "professional_education",
                        "title": f"Webinar {a}",
                        "points": rng.randint(2, 12),
                        "start_date": end.isoformat(),
                        "end_date": end.isoformat(),
                    }
                )
        lines.append(
            json.dumps(
                {
                    "legacy_id": f"B-{n:07d}",
                    "first_name": "Pat",
                    "last_name": f"Member{n}",
                    "email": f"member{n}@example.org",
                    "credentials": credentials,
                    "activities": activities,
                    "payments": payments,
                }
            )
        )
    return lines


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(members: int) -> dict:
    import warnings

    import boto3

    warnings.filterwarnings("ignore")
    from ccp_local.counting import counting
    from ccp_local.emulator.embedded import embedded_dynamodb
    from ccp_local.emulator.moto_atomic import make_dynamodb_writes_atomic
    from ccp_local.inprocess import deployed_stack, reset_cached_dependencies
    from imports.replay import at
    from imports.wiring import imports

    make_dynamodb_writes_atomic()
    embedded_dynamodb()
    lines = member_lines(members)
    history = sum(len(json.loads(x)["payments"]) + len(json.loads(x)["activities"]) for x in lines)
    with deployed_stack() as stack:
        reset_cached_dependencies()
        with counting() as counts:
            service = imports()
            record, _ = service.create(dry_run=False, staff="bench", now=at(IMPORT_DAY, 9))
            boto3.client("s3").put_object(
                Bucket=os.environ["DOCUMENT_BUCKET"], Key=record.file_key, Body="\n".join(lines).encode()
            )
            started = time.perf_counter()
            service.start(record.import_id, now=at(IMPORT_DAY, 9))
            memory = [_rss_mb()]
            sqs, url = boto3.client("sqs"), stack.import_queue_url
            done_messages = 0
            while True:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
                if not got:
                    break
                for message in got:
                    service.work(json.loads(message["Body"]))
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    done_messages += 1
                    if done_messages == members // 200:
                        memory.append(_rss_mb())
            seconds = time.perf_counter() - started
            memory.append(_rss_mb())
        final = service.view(record.import_id).record
    dynamodb = sum(v for k, v in counts.items() if k.startswith("dynamodb.") and k != "dynamodb.items_read")
    return {
        "members": members,
        "history_entries": history,
        "imported": final.imported,
        "invalid": final.invalid,
        "seconds": seconds,
        "members_per_second": final.imported / seconds,
        "dynamodb_requests": dynamodb,
        "dynamodb_requests_per_member": dynamodb / max(final.imported, 1),
        "transactions_per_member": counts["dynamodb.TransactWriteItems"] / max(final.imported, 1),
        "rss_mb_start_half_end": " / ".join(f"{m:.0f}" for m in memory),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    figures = measure(parser.parse_args().members)
    for key, value in figures.items():
        print(f"{key:<30} {value:,.3f}" if isinstance(value, float) else f"{key:<30} {value}")
