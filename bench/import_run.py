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
import sys
import time
from contextlib import suppress
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "shared"), str(ROOT / "local"), str(ROOT)]
from bench import OFFLINE_AWS  # noqa: E402  (importable once the root is on the path)

os.environ.update(OFFLINE_AWS)
IMPORT_DAY = date(2026, 12, 2)


def member_lines(members: int, rng_seed: int = 11) -> list[str]:
    """The demo seed's generated members (ccp_local.seed.history_lines), as of the import day."""
    from ccp_local.seed import history_lines

    return [json.dumps(line) for line in history_lines(members, today=IMPORT_DAY, rng_seed=rng_seed)]


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
    # The program's own work a member (the line checked and its history replayed), without any I/O.
    from ccp.rules.versions import default_rule_book
    from imports.lines import parse_line
    from imports.replay import HistoryProblem, Replay

    # Its memory, apart from the emulator's table (which holds every member written, in this process):
    # what a worker holds stays the same from the first member to the last.
    replay = Replay(default_rule_book())
    own_memory = [_rss_mb()]
    own_started = time.perf_counter()
    for number, text in enumerate(lines):
        parsed = parse_line(text, number)
        with suppress(HistoryProblem):
            replay.member(parsed, f"M{number}", IMPORT_DAY)  # type: ignore[arg-type]
        if number + 1 in (members // 2, members):
            own_memory.append(_rss_mb())
    own_seconds = time.perf_counter() - own_started
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
        "own_rss_mb_start_half_end": " / ".join(f"{m:.0f}" for m in own_memory),
        "own_ms_per_member": own_seconds / members * 1000,
        "share_of_time_in_embedded_aws": 1 - own_seconds / seconds,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    figures = measure(parser.parse_args().members)
    for key, value in figures.items():
        print(f"{key:<30} {value:,.3f}" if isinstance(value, float) else f"{key:<30} {value}")
