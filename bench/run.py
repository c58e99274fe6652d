"""All benchmarks in one run: `make bench` (or `python bench/run.py --members 100000`).

Prints ratios measured in one run (these machines are shared and noisy: absolute times drift,
ratios within one run hold) and writes the same table to bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Locust lives in its own venv (`make bench` makes it): its gevent must not meet the tests' interpreter.
LOCUST = ROOT / ".venv-bench" / "bin" / "locust"
LOCUST_SUMMARIES: list[str] = []  # each Locust run's final summary, appended to bench/results.md
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "shared"), str(ROOT / "local"), str(ROOT)]
from bench import OFFLINE_AWS  # noqa: E402  (importable once the root is on the path)

os.environ.update(OFFLINE_AWS)

HANDLERS = [
    "record_ce.handler",
    "record_ce.course_completed",
    "renewals.billing_api",
    "renewals.payment_webhook",
    "renewals.jobs_handler",
    "recertify.handler",
    "recertify.audit_job",
    "recertify.badges",
    "dashboard.handler",
    "dashboard.figures_stream",
]


def p1_p2(members: int) -> list[tuple[str, str, str, str]]:
    from bench.renewal_run import measure

    figures = measure(members)
    return [
        (
            "P1",
            f"DynamoDB items read per due notice ({members:,} members, {figures['notices_due']:,} notices due)",
            f"{figures['items_read_per_due_notice']:.3f}",
            "≤ 1.05",
        ),
        ("P1", "Scan calls in the run", str(figures["scans"]), "0"),
        (
            "P7",
            f"DynamoDB items read per cycle-ending reminder, 90 and 30 days ahead ({members:,} members, "
            f"{figures['cycle_ending_reminders']:,} reminders on 2 May; "
            f"{figures['queries_for_cycle_ending_reminders']} queries)",
            f"{figures['items_read_per_cycle_ending_reminder']:.3f}",
            "≤ 1.05",
        ),
        (
            "P2",
            f"SES requests per email notice ({figures['emails']:,} emails)",
            f"{figures['ses_requests_per_email']:.3f}",
            "≤ 0.05",
        ),
    ]


def p8(members: int) -> list[tuple[str, str, str, str]]:
    from bench.import_run import measure

    f = measure(members)
    return [
        (
            "P8",
            f"members imported a second ({members:,} members, {f['history_entries']:,} fees and activities; "
            f"{f['imported']:,} imported, {f['invalid']} refused; one worker, embedded AWS)",
            f"{f['members_per_second']:.0f}",
            "≥ 300",
        ),
        (
            "P8",
            "the program's own work a member (line checked, history replayed; no I/O): ms, and members/s a core",
            f"{f['own_ms_per_member']:.1f} ms / {1000 / f['own_ms_per_member']:.0f}",
            "reported",
        ),
        (
            "P8",
            "share of the import's time spent inside embedded AWS",
            f"{f['share_of_time_in_embedded_aws']:.2f}",
            "shown",
        ),
        (
            "P8",
            f"DynamoDB requests a member imported ({f['transactions_per_member']:.2f} transactions)",
            f"{f['dynamodb_requests_per_member']:.2f}",
            "reported",
        ),
        (
            "P8",
            "memory of the import's own work a member after another: start / half / end (MB)",
            f["own_rss_mb_start_half_end"],
            "flat",
        ),
        (
            "P8",
            "memory of the whole process, the emulator's table of every member written included (MB)",
            f["rss_mb_start_half_end"],
            "shown",
        ),
    ]


def p3() -> list[tuple[str, str, str, str]]:
    from decimal import Decimal

    from ccp.data.dynamo import table
    from ccp.domain.values import ActivityClaim, Category
    from ccp_local.counting import counted_requests
    from ccp_local.events import member_claims
    from ccp_local.inprocess import deployed_stack, reset_cached_dependencies

    rows = []
    with deployed_stack() as stack:
        from record_ce.handler import service
        from record_ce.service import ActivityRequest, NewCredential, NewMember

        at = datetime(2026, 6, 15, 17, tzinfo=UTC)
        today = date(2026, 6, 15)
        for activities in (10, 1000):
            member = NewMember(
                first_name="Bench",
                last_name=str(activities),
                email=f"bench{activities}@example.org",
                mailing_address=None,
                credentials=[NewCredential(code="RMA", certified_on=date(2025, 3, 10))],
            )
            claims = [
                ActivityRequest(
                    ["RMA"],
                    ActivityClaim(
                        category=Category.PROFESSIONAL_EDUCATION,
                        title=f"Course {n}",
                        points=Decimal("0.01"),
                        start_date=date(2025, 4, 1),
                        end_date=date(2025, 4, 1),
                    ),
                    True,
                )
                for n in range(activities)
            ]
            [state] = service().import_members([(member, claims)], today=today, now=at)
            member_id = state.profile.member_id
            reset_cached_dependencies()
            stack.api(
                "record_ce.handler.lambda_handler",
                "GET",
                "/members/{member_id}/progress",
                f"/members/{member_id}/progress",
                claims=member_claims(member_id),
                at=at,
            )
            with counted_requests(table().meta.client) as counts:
                stack.api(
                    "record_ce.handler.lambda_handler",
                    "GET",
                    "/members/{member_id}/progress",
                    f"/members/{member_id}/progress",
                    claims=member_claims(member_id),
                    at=at,
                )
            rows.append(
                (
                    "P3",
                    f"DynamoDB requests per progress read, {activities:,} activities",
                    " + ".join(f"{v} {k}" for k, v in sorted(counts.items())),
                    "1",
                )
            )
        body = {
            "credentials": ["RMA"],
            "category": "formal_education",
            "title": "Bench course",
            "points": 3,
            "start_date": "2026-01-05",
            "end_date": "2026-01-05",
            "attested": True,
        }
        with counted_requests(table().meta.client) as counts:
            stack.api(
                "record_ce.handler.lambda_handler",
                "POST",
                "/members/{member_id}/ce-activities",
                f"/members/{member_id}/ce-activities",
                claims=member_claims(member_id),
                at=at,
                body=body,
            )
        rows.insert(
            0,
            (
                "P3",
                "DynamoDB requests per CE record",
                " + ".join(f"{v} {k}" for k, v in sorted(counts.items())),
                "1 transaction",
            ),
        )
    return rows


def p4(repeats: int = 11) -> list[tuple[str, str, str, str]]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT / "shared")]),
        "PYTHONDONTWRITEBYTECODE": "1",
        "TABLE_NAME": "t",
        "POWERTOOLS_SERVICE_NAME": "bench",
    }
    floor = "import boto3, pydantic"
    # What every API handler imports before any code of ours: the Powertools pieces the project uses,
    # and a resolver with validation serving one route with one model.
    framework = (
        "import boto3, pydantic; from aws_lambda_powertools import Logger, Metrics; "
        "from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver; "
        "from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query; "
        "from typing import Annotated\n"
        "class Item(pydantic.BaseModel):\n    title: str\n"
        "app = APIGatewayRestResolver(enable_validation=True)\n"
        "@app.post('/items/<item_id>')\n"
        "def post(item_id: Annotated[str, Path()], item: Annotated[Item, Body()]) -> dict: return {}"
    )
    # Site-packages hold bytecode compiled by pip; ours must too, or the ratio counts compiling our
    # source (which a Lambda package without __pycache__ also pays at every cold start).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "functions"), str(ROOT / "shared")],
        check=True,
        capture_output=True,
    )
    statements = [floor, framework, *(f"import {module}" for module in HANDLERS)]

    def once(statement: str) -> float:
        code = f"import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"
        return float(
            subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
        )

    # Round-robin, so a busy moment of the (shared, noisy) machine falls on floor and modules alike.
    times: dict[str, list[float]] = {statement: [] for statement in statements}
    for _ in range(repeats):
        for statement in statements:
            times[statement].append(once(statement))
    median = {statement: statistics.median(runs) for statement, runs in times.items()}
    rows = [
        (
            "P4",
            f"floor: import boto3, pydantic (median of {repeats} fresh interpreters, interleaved)",
            f"{median[floor] * 1000:.0f} ms",
            "1.00",
        ),
        (
            "P4",
            "framework floor (+ Powertools Logger, Metrics, Event Handler validating one route) ÷ floor",
            f"{median[framework] / median[floor]:.2f}",
            "—",
        ),
    ]
    for module in HANDLERS:
        rows.append(
            (
                "P4",
                f"cold import {module} ÷ framework floor",
                f"{median[f'import {module}'] / median[framework]:.2f}",
                "≤ 1.15",
            )
        )
    return rows


def _stack_rss_mb(pid: int) -> float:
    """Resident memory of the whole local stack: the process and its function workers."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    sizes = subprocess.run(
        ["ps", "-o", "rss=", "-p", ",".join([str(pid), *children])], capture_output=True, text=True
    ).stdout.split()
    return sum(int(size) for size in sizes) / 1024


def _locust_figures(entries: list[dict]) -> dict[str, float]:
    """Requests, failures, p50/p95 and rate of Locust's final statistics entries (one name, or all)."""
    requests = sum(e["num_requests"] for e in entries)
    times = sorted((int(ms), n) for e in entries for ms, n in e["response_times"].items())

    def quantile(share: float) -> float:
        seen = 0
        for ms, n in times:
            seen += n
            if seen >= share * requests:
                return float(ms)
        return 0.0

    span = max(e["last_request_timestamp"] for e in entries) - min(e["start_time"] for e in entries)
    return {
        "requests": requests,
        "failures": sum(e["num_failures"] for e in entries),
        "p50": quantile(0.5),
        "p95": quantile(0.95),
        "rate": requests / span if span > 0 else 0.0,
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def p5_p6(
    sequential: int = 150, mixed: int = 2000, clients: int = 16, stack_members: int | None = None
) -> list[tuple[str, str, str, str]]:
    """The local stack as `make run` starts it (demo seed): latency, throughput under 16 concurrent
    clients, memory over many requests, writes reported failed that had committed, stop time."""
    import requests

    from ccp_local.stack import free_port

    api, lam = free_port(), free_port()
    seed = ["--demo-members", str(stack_members)] if stack_members else []  # default: the demo seed of `make run`
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "ccp-local"), "up", "--port", str(api), "--lambda-port", str(lam), *seed],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    size = f"{stack_members:,} seeded members" if stack_members else "demo seed"
    rows: list[tuple[str, str, str, str]] = []
    try:
        demo = None
        for line in process.stdout:
            if "Maria Santos" in line and demo is None:
                demo = line.split()[0]
            if "Press Ctrl-C" in line:
                break
        base = f"http://127.0.0.1:{api}"
        token = requests.get(f"{base}/_local/token?member_id={demo}", timeout=30).json()["id_token"]
        auth = {"Authorization": f"Bearer {token}"}
        session = requests.Session()
        titles = iter(range(10**9))

        def record(s=session):
            return s.post(
                f"{base}/members/{demo}/ce-activities",
                headers=auth,
                timeout=60,
                json={
                    "credentials": ["RMA"],
                    "category": "professional_education",
                    "title": f"Bench course {next(titles)}",
                    "points": 0.25,
                    "start_date": "2026-11-02",
                    "end_date": "2026-11-02",
                    "attested": True,
                },
            )

        def progress(s=session):
            return s.get(f"{base}/members/{demo}/progress", headers=auth, timeout=60)

        for name, call in (("POST ce-activities", record), ("GET progress", progress)):
            call()  # warm the function's worker
            session.get(f"{base}/_local/timing?reset=true", timeout=30)
            latencies = []
            for _ in range(sequential):
                started = time.perf_counter()
                assert call().status_code in (200, 201)
                latencies.append((time.perf_counter() - started) * 1000)
            p50, p95 = statistics.median(latencies), _percentile(latencies, 0.95)
            timing = session.get(f"{base}/_local/timing", timeout=30).json()
            rows.append(
                (
                    "P5",
                    f"local API {name}, {size}: p50 / p95 ms ({sequential} sequential)",
                    f"{p50:.0f} / {p95:.0f}",
                    "p50 ≤ 50",
                )
            )
            rows.append(("P5", f"local API {name}: p95 ÷ p50", f"{p95 / p50:.2f}", "≤ 3"))
            rows.append(
                (
                    "P5",
                    f"local API {name}: share of the request spent in the handler",
                    f"{timing['handler_ms'] / timing['total_ms']:.2f}",
                    "shown",
                )
            )

        if not mixed:
            return rows
        # Records alone from 16 clients, each a member of its own (as members use it): the write path's throughput.
        staff = {
            "Authorization": "Bearer " + requests.get(f"{base}/_local/token?staff=true", timeout=30).json()["id_token"]
        }
        members = []
        for n in range(clients):
            created = session.post(
                f"{base}/staff/members",
                headers=staff,
                timeout=60,
                json={
                    "first_name": "Bench",
                    "last_name": f"Client {n}",
                    "email": f"bench{n}@example.org",
                    "credentials": [{"code": "RMA", "certified_on": "2025-03-10"}],
                },
            ).json()["member_id"]
            members.append(
                (created, requests.get(f"{base}/_local/token?member_id={created}", timeout=30).json()["id_token"])
            )

        def locust(mix: str, per_user: int, label: str) -> dict[str, dict[str, float]]:
            """One headless Locust run (bounded: `per_user` requests for each of the clients, and a time
            limit), its final statistics as Locust prints them at exit (`--json`; the CSV files are
            written every few seconds and can miss the last requests)."""
            finished = subprocess.run(
                [
                    str(LOCUST),
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--host",
                    base,
                    "-u",
                    str(clients),
                    "-r",
                    str(clients),
                    "--run-time",
                    "15m",
                    "--stop-timeout",
                    "30",
                    "--json",
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                env={
                    **os.environ,
                    "BENCH_MEMBERS": str(members_file),
                    "BENCH_MIX": mix,
                    "BENCH_REQUESTS_PER_USER": str(per_user),
                },
                check=False,
                capture_output=True,
                text=True,
            )
            entries = json.loads(finished.stdout)
            stats = {e["name"]: _locust_figures([e]) for e in entries} | {"Aggregated": _locust_figures(entries)}
            LOCUST_SUMMARIES.append(
                f"{label}:\n"
                + "\n".join(
                    f"  {name:<16} {f['requests']:>6,.0f} requests  {f['failures']:>3,.0f} failures  "
                    f"p50 {f['p50']:>5,.0f} ms  p95 {f['p95']:>5,.0f} ms  {f['rate']:>6.1f} req/s"
                    for name, f in stats.items()
                )
            )
            return stats

        with tempfile.TemporaryDirectory() as scratch:
            members_file = Path(scratch) / "members.json"
            members_file.write_text(json.dumps(members))
            # Records alone: the write path's throughput.
            burst = locust("record", sequential // 4, "records")
            rows.append(
                (
                    "P5",
                    f"Locust, {clients} users, {burst['Aggregated']['requests']:,.0f} records: requests/s",
                    f"{burst['Aggregated']['rate']:.1f}",
                    "≥ 50",
                )
            )
            # Mixed (half records, then progress and the PDF transcript), in two halves: memory after each.
            before_mb = _stack_rss_mb(process.pid)
            halves = [locust("mixed", mixed // 2 // clients, "mixed-first-half")]
            half_mb = _stack_rss_mb(process.pid)
            halves.append(locust("mixed", mixed // 2 // clients, "mixed-second-half"))
            after_mb = _stack_rss_mb(process.pid)
        runs = [burst, *halves]
        calls = sum(int(half["Aggregated"]["requests"]) for half in halves)
        rate = statistics.mean(half["Aggregated"]["rate"] for half in halves)
        errors = sum(int(run["Aggregated"]["failures"]) for run in runs)
        listed = session.get(f"{base}/members/{demo}/ce-activities", headers=auth, timeout=60).json()["activities"]
        stored = sum(1 for a in listed if a["title"].startswith("Bench course"))
        answered_201 = sequential + 1  # the sequential records with their warm-up above
        for member_id, token in members:  # the 16 clients' own members
            own = session.get(
                f"{base}/members/{member_id}/ce-activities", headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            stored += sum(1 for a in own.json()["activities"] if a["title"].startswith("Client course"))
        answered_201 += sum(int(run["record"]["requests"] - run["record"]["failures"]) for run in runs)
        rows.append(
            (
                "P5",
                f"Locust, {clients} users, {calls:,} mixed requests (record / progress / transcript PDF): requests/s",
                f"{rate:.1f}",
                "reported",
            )
        )
        rows.append(
            (
                "P5",
                "errors in those requests (Locust failures: 4xx/5xx, every record has its own title)",
                str(errors),
                "0",
            )
        )
        rows.append(
            (
                "P5",
                "writes reported failed that had committed (stored records − 201 answers)",
                str(stored - answered_201),
                "0",
            )
        )
        rows.append(
            (
                "P6",
                f"resident memory of the whole stack: before / after half / after {calls:,} mixed requests (MB)",
                f"{before_mb:.0f} / {half_mb:.0f} / {after_mb:.0f}",
                "≤ 1,536, flat",
            )
        )
    finally:
        children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        stop_started = time.perf_counter()
        process.terminate()
        process.wait(timeout=30)
        stopped = time.perf_counter() - stop_started
        left = [pid for pid in children if subprocess.run(["kill", "-0", pid], capture_output=True).returncode == 0]
    rows.append(("P5", "stop on SIGTERM: seconds / worker processes left", f"{stopped:.1f} / {len(left)}", "≤ 5 / 0"))
    return rows


def versions() -> str:
    names = ["boto3", "aws-lambda-powertools", "pydantic", "moto", "fpdf2"]
    return ", ".join(f"{n} {metadata.version(n)}" for n in names) + f", Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000, help="population of the renewal run (P1, P2)")
    parser.add_argument(
        "--mixed", type=int, default=10_000, help="mixed requests from 16 clients against the local stack (P5, P6)"
    )
    parser.add_argument("--import-members", type=int, default=10_000, help="members imported (P8)")
    parser.add_argument(
        "--stack-members",
        type=int,
        default=0,
        help="also measure P5 with the local stack seeded with this many members",
    )
    args = parser.parse_args()
    rows = []
    parts = [p3, p4, lambda: p5_p6(mixed=args.mixed)]
    if args.stack_members:
        parts.append(
            lambda: [
                r for r in p5_p6(mixed=0, stack_members=args.stack_members) if "sequential" in r[1] or "÷ p50" in r[1]
            ]
        )
    for part in (*parts, lambda: p8(args.import_members), lambda: p1_p2(args.members)):
        rows += part()
        print(f"... {rows[-1][0]} done", flush=True)
    width = max(len(r[1]) for r in rows)
    lines = ["| figure | what | measured | target |", "|---|---|---|---|"] + [
        f"| {f} | {w} | {m} | {t} |" for f, w, m, t in rows
    ]
    print("\n".join(f"{f:<3} {w:<{width}}  {m:>14}  {t}" for f, w, m, t in rows))
    header = (
        f"# Benchmark results\n\nMeasured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} "
        f"({os.cpu_count()} cores), {versions()}.\n"
        "Ratios measured in one run; embedded AWS (moto), requests counted with botocore hooks.\n\n"
    )
    locust = (
        "\n\n## Locust summaries (P5, P6)\n\n```\n" + "\n".join(LOCUST_SUMMARIES) + "```\n" if LOCUST_SUMMARIES else ""
    )
    (ROOT / "bench" / "results.md").write_text(header + "\n".join(lines) + "\n" + locust)
    print("\nwritten to bench/results.md")


if __name__ == "__main__":
    main()
