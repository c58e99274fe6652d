"""All benchmarks in one run: `make bench` (or `python bench/run.py --members 100000`).

Prints ratios measured in one run (these machines are shared and noisy: absolute times drift,
ratios within one run hold) and writes the same table to bench/results.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "shared"), str(ROOT / "local"), str(ROOT)]
os.environ.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", POWERTOOLS_TRACE_DISABLED="true",
                  POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_NAMESPACE="CCP", POWERTOOLS_SERVICE_NAME="bench")

HANDLERS = ["record_ce.handler", "record_ce.course_completed", "renewals.billing_api", "renewals.jobs_handler",
            "recertify.handler", "recertify.audit_job", "recertify.badges"]


def p1_p2(members: int) -> list[tuple[str, str, str, str]]:
    from bench.renewal_run import measure

    figures = measure(members)
    return [
        ("P1", f"DynamoDB items read per due notice ({members:,} members, {figures['notices_due']:,} notices due)", f"{figures['items_read_per_due_notice']:.3f}", "≤ 1.05"),
        ("P1", "Scan calls in the run", str(figures["scans"]), "0"),
        ("P2", f"SES requests per email notice ({figures['emails']:,} emails)", f"{figures['ses_requests_per_email']:.3f}", "≤ 0.05"),
    ]


def p3() -> list[tuple[str, str, str, str]]:
    from decimal import Decimal

    from ccp.data.dynamo import table
    from ccp_local.counting import counted_requests
    from ccp.rules.ce import ActivityClaim
    from ccp.rules.versions import Category
    from ccp_local.events import member_claims
    from ccp_local.inprocess import deployed_stack, reset_cached_dependencies

    rows = []
    with deployed_stack() as stack:
        from record_ce.handler import service
        from record_ce.service import ActivityRequest, NewCredential, NewMember

        at = datetime(2026, 6, 15, 17, tzinfo=timezone.utc)
        today = date(2026, 6, 15)
        for activities in (10, 1000):
            member = NewMember(first_name="Bench", last_name=str(activities), email=f"bench{activities}@example.org", mailing_address=None,
                               credentials=[NewCredential(code="RMA", certified_on=date(2025, 3, 10))])
            claims = [ActivityRequest(["RMA"], ActivityClaim(category=Category.PROFESSIONAL_EDUCATION, title=f"Course {n}", points=Decimal("0.01"),
                                                             start_date=date(2025, 4, 1), end_date=date(2025, 4, 1)), True) for n in range(activities)]
            [state] = service().import_members([(member, claims)], today=today, now=at)
            member_id = state.profile.member_id
            reset_cached_dependencies()
            stack.api("record_ce.handler.lambda_handler", "GET", "/members/{member_id}/progress", f"/members/{member_id}/progress", claims=member_claims(member_id), at=at)
            with counted_requests(table().meta.client) as counts:
                stack.api("record_ce.handler.lambda_handler", "GET", "/members/{member_id}/progress", f"/members/{member_id}/progress", claims=member_claims(member_id), at=at)
            rows.append(("P3", f"DynamoDB requests per progress read, {activities:,} activities", " + ".join(f"{v} {k}" for k, v in sorted(counts.items())), "1"))
        body = {"credentials": ["RMA"], "category": "formal_education", "title": "Bench course", "points": 3, "start_date": "2026-01-05", "end_date": "2026-01-05", "attested": True}
        with counted_requests(table().meta.client) as counts:
            stack.api("record_ce.handler.lambda_handler", "POST", "/members/{member_id}/ce-activities", f"/members/{member_id}/ce-activities", claims=member_claims(member_id), at=at, body=body)
        rows.insert(0, ("P3", "DynamoDB requests per CE record", " + ".join(f"{v} {k}" for k, v in sorted(counts.items())), "1 transaction"))
    return rows


def p4(repeats: int = 11) -> list[tuple[str, str, str, str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT / "shared")]), "PYTHONDONTWRITEBYTECODE": "1",
           "TABLE_NAME": "t", "POWERTOOLS_SERVICE_NAME": "bench"}
    floor = "import boto3, pydantic"
    # What every API handler imports before any code of ours: the Powertools pieces the project uses.
    framework = ("import boto3, pydantic; from aws_lambda_powertools import Logger, Metrics; "
                 "from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver; "
                 "from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query")
    statements = [floor, framework, *(f"import {module}" for module in HANDLERS)]

    def once(statement: str) -> float:
        code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        return float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)

    # Round-robin, so a busy moment of the (shared, noisy) machine falls on floor and modules alike.
    times: dict[str, list[float]] = {statement: [] for statement in statements}
    for _ in range(repeats):
        for statement in statements:
            times[statement].append(once(statement))
    median = {statement: statistics.median(runs) for statement, runs in times.items()}
    rows = [("P4", f"floor: import boto3, pydantic (median of {repeats} fresh interpreters, interleaved)", f"{median[floor] * 1000:.0f} ms", "1.00"),
            ("P4", "framework floor (+ Powertools Logger, Metrics, Event Handler with OpenAPI params) ÷ floor", f"{median[framework] / median[floor]:.2f}", "—")]
    for module in HANDLERS:
        rows.append(("P4", f"cold import {module} ÷ floor", f"{median[f'import {module}'] / median[floor]:.2f}", "≤ 1.5"))
    return rows


def p5(requests_each: int = 150) -> list[tuple[str, str, str, str]]:
    import requests

    from ccp_local.stack import free_port

    api, lam = free_port(), free_port()
    process = subprocess.Popen([str(Path(sys.executable).parent / "ccp-local"), "up", "--port", str(api), "--lambda-port", str(lam), "--no-seed"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in process.stdout:
            if "Press Ctrl-C" in line:
                break
        base = f"http://127.0.0.1:{api}"
        staff = requests.get(f"{base}/_local/token?staff=true", timeout=30).json()["id_token"]
        created = requests.post(f"{base}/staff/members", json={"first_name": "Bench", "last_name": "Mark", "email": "b@example.org",
                                "credentials": [{"code": "RMA", "certified_on": "2025-03-10"}]}, headers={"Authorization": f"Bearer {staff}"}, timeout=30)
        member_id = created.json()["member_id"]
        token = requests.get(f"{base}/_local/token?member_id={member_id}", timeout=30).json()["id_token"]
        auth = {"Authorization": f"Bearer {token}"}
        session = requests.Session()
        rows = []
        for name, call in (
            ("POST ce-activities", lambda n: session.post(f"{base}/members/{member_id}/ce-activities", headers=auth, timeout=30,
                json={"credentials": ["RMA"], "category": "professional_education", "title": f"Course {n}", "points": 0.5,
                      "start_date": "2026-01-05", "end_date": "2026-01-05", "attested": True})),
            ("GET progress", lambda n: session.get(f"{base}/members/{member_id}/progress", headers=auth, timeout=30)),
        ):
            call(-1)  # warm the function's worker
            session.get(f"{base}/_local/timing?reset=true", timeout=30)
            started = time.perf_counter()
            for n in range(requests_each):
                assert call(n).status_code in (200, 201)
            elapsed = time.perf_counter() - started
            timing = session.get(f"{base}/_local/timing", timeout=30).json()
            rows.append(("P5", f"local API {name}: requests/s ({requests_each} sequential)", f"{requests_each / elapsed:.1f}", "reported"))
            rows.append(("P5", f"local API {name}: share of the request spent in the handler", f"{timing['handler_ms'] / timing['total_ms']:.2f}", "shown"))
        return rows
    finally:
        process.terminate()
        process.wait(timeout=30)


def versions() -> str:
    names = ["boto3", "aws-lambda-powertools", "pydantic", "moto", "fpdf2"]
    return ", ".join(f"{n} {metadata.version(n)}" for n in names) + f", Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000, help="population of the renewal run (P1, P2)")
    args = parser.parse_args()
    rows = []
    for part in (p3, p4, p5, lambda: p1_p2(args.members)):
        rows += part()
        print(f"... {rows[-1][0]} done", flush=True)
    width = max(len(r[1]) for r in rows)
    lines = ["| figure | what | measured | target |", "|---|---|---|---|"] + [f"| {f} | {w} | {m} | {t} |" for f, w, m, t in rows]
    print("\n".join(f"{f:<3} {w:<{width}}  {m:>14}  {t}" for f, w, m, t in rows))
    header = f"# Benchmark results\n\nMeasured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()} ({os.cpu_count()} cores), {versions()}.\nRatios measured in one run; embedded AWS (moto), requests counted with botocore hooks.\n\n"
    (ROOT / "bench" / "results.md").write_text(header + "\n".join(lines) + "\n")
    print("\nwritten to bench/results.md")


if __name__ == "__main__":
    main()
