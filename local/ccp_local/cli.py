"""`ccp-local`: run the CCP backend on a laptop with no AWS account and no Docker."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from typing import Any

from ccp.jobs import merge_summaries
from ccp_local.state import STATE_DIR, state_file


def _running_ports(args: argparse.Namespace) -> None:
    """Fill in the running stack's ports (written to .ccp-local/state.json by `up`) unless given."""
    found = state_file()
    state = json.loads(found.read_text()) if found.exists() else {}
    if getattr(args, "port", None) is None:
        args.port = urllib.parse.urlsplit(state.get("api_url", "http://127.0.0.1:3000")).port
    if hasattr(args, "lambda_port") and args.lambda_port is None:
        args.lambda_port = urllib.parse.urlsplit(state.get("lambda_url", "http://127.0.0.1:3001")).port


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    except urllib.error.URLError as error:
        sys.exit(f"ccp-local: cannot reach the local stack at {url} ({error}). Start it with `ccp-local up`.")


def wait_for_stop() -> None:
    """Return on SIGTERM or Ctrl-C."""
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        # The signal may reach any of the stack's threads, and Python runs its handler only when the main
        # thread next runs: a wait without a timeout could sleep through a SIGTERM for good.
        while not stopped.wait(timeout=0.5):
            pass
    except KeyboardInterrupt:
        pass


def cmd_up(args: argparse.Namespace) -> None:
    from ccp_local.stack import LOCAL_PASSWORD, STAFF_USER, LocalStack, StackConfig

    print("Starting embedded AWS and deploying infra/template.yaml ...", flush=True)
    stack = LocalStack(StackConfig(api_port=args.port, lambda_port=args.lambda_port, aws_port=args.aws_port)).start()
    demos = []
    if not args.no_seed:
        from ccp_local.seed import seed

        demos = seed(stack.table_name, synthetic=args.demo_members, logins=stack.seed_logins)
        stack.token(staff=True)  # makes the staff login
    print(f"""
CCP local stack is up.
  Member portal       {stack.api_url}/portal/    (public verification: {stack.api_url}/portal/verify)
  API                 {stack.api_url}            (routes of infra/template.yaml)
  Lambda invoke       {stack.lambda_url}            (aws lambda invoke --endpoint-url {stack.lambda_url} ...)
  Embedded AWS        {stack.aws_endpoint}      (moto; table {stack.table_name})
  OpenAPI / docs      {stack.api_url}/_local/openapi.json   {stack.api_url}/_local/docs
  Outbox              {stack.api_url}/_local/outbox   (or: ccp-local outbox)
  Function logs       .ccp-local/logs/
""")
    if demos:
        print(f"Demo members ({len(demos)} named, {args.demo_members} more generated):")
        for demo in demos:
            print(f"  {demo.member_id}  {demo.name:<16} {demo.credentials:<9} {demo.note}")
        print(f"""
Portal logins: a member id (or the member's email, e.g. {demos[0].email}) and the password {LOCAL_PASSWORD}
  (every seeded member has one); staff sign in as "{STAFF_USER}" with the same password.""")
        first = demos[0].member_id
        print(f"""
Try it:
  TOKEN=$(ccp-local token --member-id {first} | tail -n 1)
  curl -s -H "Authorization: Bearer $TOKEN" {stack.api_url}/members/{first}/progress
  ccp-local token --staff        # a staff token
""")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        wait_for_stop()
    finally:
        began = monotonic()
        print("Stopping ...", flush=True)
        stack.stop()
        print(f"Stopped in {monotonic() - began:.1f} s.", flush=True)
        # Everything is stopped and closed; tearing down embedded AWS's object graph at interpreter exit
        # took seconds more, for nothing.
        os._exit(0)


def cmd_token(args: argparse.Namespace) -> None:
    query = {"staff": "true"} if args.staff else {"member_id": args.member_id}
    payload = json.loads(_get(f"http://127.0.0.1:{args.port}/_local/token?{urllib.parse.urlencode(query)}"))
    who = "staff" if args.staff else f"member {args.member_id}"
    print(f"ID token for {who} (valid 1 hour); use it as: Authorization: Bearer <token>")
    print(payload["id_token"])


def _post(url: str, payload: object | None = None, timeout: float = 900) -> tuple[Any, bool]:
    """POST JSON; (the JSON answer, whether Lambda reported a function error)."""
    data = json.dumps(payload).encode() if payload is not None else b""
    request = urllib.request.Request(url, data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null"), bool(response.headers.get("X-Amz-Function-Error"))
    except urllib.error.HTTPError as error:
        sys.exit(f"ccp-local: {error.code} {error.read().decode()}")
    except urllib.error.URLError as error:
        sys.exit(f"ccp-local: cannot reach the local stack ({error}). Start it with `ccp-local up`.")


def _invoke(function: str, event: object, *, port: int, lambda_port: int) -> tuple[Any, bool]:
    """Run a function and wait for everything it started (queued work); merge the workers' summaries."""
    result, failed = _post(f"http://127.0.0.1:{lambda_port}/2015-03-31/functions/{function}/invocations", event)
    drained, _ = _post(f"http://127.0.0.1:{port}/_local/drain")
    if isinstance(result, dict) and drained.get("worker_summaries"):
        result = merge_summaries([result, *drained["worker_summaries"]])
    if isinstance(result, dict) and drained.get("copied_batches"):
        result["copied_batches"] = drained["copied_batches"]
    return result, failed


def _moment(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_invoke(args: argparse.Namespace) -> None:
    from ccp_local.events import scheduled_event

    if args.event:
        with open(args.event) as handle:
            event = json.load(handle)
    else:
        event = scheduled_event(_moment(args.time))
    result, failed = _invoke(args.function, event, port=args.port, lambda_port=args.lambda_port)
    print(json.dumps(result, indent=2))
    if failed:
        sys.exit(1)


# The daily jobs, in the order and at the Chicago times of their schedules in the template.
DAILY_JOBS = [
    ("InvoiceUnlockFunction", time(0, 5)),
    ("RenewalNoticesFunction", time(6, 0)),
    ("StatusSweepFunction", time(6, 30)),
]


def cmd_replay(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from ccp.rules.dates import BUSINESS_TZ
    from ccp_local.events import scheduled_event

    first, last = date.fromisoformat(args.start), date.fromisoformat(args.end)
    if last < first:
        sys.exit("ccp-local: --to is before --from")
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    totals: dict = {}
    failures = []
    for day in tqdm(days, desc="replaying days", unit="day"):
        for function, at in DAILY_JOBS:
            moment = datetime.combine(day, at, tzinfo=BUSINESS_TZ).astimezone(UTC)
            result, failed = _invoke(function, scheduled_event(moment), port=args.port, lambda_port=args.lambda_port)
            if failed:
                failures.append(f"{day} {function}: {result}")
            elif isinstance(result, dict):
                result = {k: v for k, v in result.items() if k not in ("date", "postal_batches", "copied_batches")}
                totals = merge_summaries([totals, result])
    roll_overs = json.loads(_get(f"http://127.0.0.1:{args.port}/_local/roll-overs?from={first}&to={last}"))[
        "roll_overs"
    ]
    print(f"\nReplayed {len(days)} days, {first} to {last}")
    print(f"  invoices issued      {totals.get('invoices_issued', 0)}")
    print(f"  invoices unlocked    {totals.get('invoices_unlocked', 0)}")
    print(f"  roll-overs           {roll_overs}")
    print(f"  status changes       {totals.get('status_changes', {}) or 'none'}")
    print("  notices by type and channel:")
    for kind, channels in sorted(totals.get("notices", {}).items()):
        print(f"    {kind:<18} " + ", ".join(f"{k} {v}" for k, v in sorted(channels.items())))
    print(f"  SES requests         {totals.get('ses_requests', 0)}")
    print("  print batches        copied to .ccp-local/mail-batches/")
    if failures:
        print(f"\n{len(failures)} job run(s) failed:")
        for failure in failures[:20]:
            print("  " + failure)
        sys.exit(1)


def cmd_pay(args: argparse.Namespace) -> None:
    query = urllib.parse.urlencode(
        {k: v for k, v in {"decline": "true" if args.decline else None, "time": args.time}.items() if v}
    )
    result, _ = _post(
        f"http://127.0.0.1:{args.port}/_local/payments/{urllib.parse.quote(args.checkout_id)}/complete?{query}"
    )
    if result.get("declined"):
        print(
            f"Checkout {args.checkout_id}: declined at the processor; nothing was charged and the invoice stays open."
        )
        return
    webhook = result["webhook"]
    print(
        f"Checkout {args.checkout_id}: paid at the processor; the signed event {webhook['event_id']} "
        f"reached the webhook: {webhook['status']} {webhook['answer']}"
    )
    if not 200 <= webhook["status"] < 300:
        sys.exit(1)


def cmd_refund(args: argparse.Namespace) -> None:
    query = "?dispute=true" if args.dispute else ""
    result, _ = _post(f"http://127.0.0.1:{args.port}/_local/refunds/{urllib.parse.quote(args.invoice_id)}{query}")
    webhook = result["webhook"]
    what = "A lost dispute" if args.dispute else "A refund"
    print(
        f"{what} of invoice {args.invoice_id} was sent to the webhook ({webhook['type']}): "
        f"{webhook['status']} {webhook['answer']}"
    )
    if not 200 <= webhook["status"] < 300:
        sys.exit(1)


def cmd_outbox(args: argparse.Namespace) -> None:
    emails = json.loads(_get(f"http://127.0.0.1:{args.port}/_local/outbox"))
    print(f"{len(emails)} email(s) sent")
    for email in emails:
        print(f"- {email['sent_at']}  to {', '.join(email['to'])}: {email['subject']}")
    batches = sorted(
        p.relative_to(Path.cwd()) if p.is_relative_to(Path.cwd()) else p
        for p in STATE_DIR.glob("mail-batches/**/*.pdf")
    )
    print(f"{len(batches)} postal batch(es) (PDF + CSV manifest) in embedded S3, copied to {STATE_DIR}/mail-batches/")
    for batch in batches[-20:]:
        print(f"- {batch}")


def cmd_import(args: argparse.Namespace) -> None:
    from ccp_local.importing import main as run_import

    run_import(args.file, port=args.port, dry_run=args.dry_run)


def _add_import(commands: Any) -> None:
    imported = commands.add_parser(
        "import", help="import a JSON Lines file of members (docs/import.md) through the API, with a progress bar"
    )
    imported.add_argument("file", help="the .jsonl (or .jsonl.gz) file")
    imported.add_argument("--dry-run", action="store_true", help="check every line and report; write nothing")
    imported.add_argument("--port", type=int, help="API port (default: the running stack's)")
    imported.set_defaults(run=cmd_import)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ccp-local", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start the embedded stack (foreground; Ctrl-C stops it)")
    up.add_argument("--port", type=int, default=3000, help="API port (default 3000)")
    up.add_argument("--lambda-port", type=int, default=3001, help="Lambda invoke port (default 3001)")
    up.add_argument("--aws-port", type=int, default=0, help="embedded AWS (moto) port (default: any free port)")
    up.add_argument("--no-seed", action="store_true", help="start with an empty table")
    up.add_argument("--demo-members", type=int, default=200, help="generated members besides the named demos")
    up.set_defaults(run=cmd_up)

    token = commands.add_parser("token", help="print an ID token for a member or for staff (last line)")
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument("--member-id")
    who.add_argument("--staff", action="store_true")
    token.add_argument("--port", type=int, help="API port (default: the running stack's)")
    token.set_defaults(run=cmd_token)

    invoke = commands.add_parser("invoke", help="run a function (logical id) for a moment, print its result")
    invoke.add_argument("function")
    invoke.add_argument("--time", help="the scheduled event's time, e.g. 2027-03-01T12:00:00Z (default: now)")
    invoke.add_argument("--event", help="a JSON file with the whole event instead of a scheduled event")
    invoke.add_argument("--lambda-port", type=int, help="Lambda invoke port (default: the running stack's)")
    invoke.add_argument("--port", type=int, help="API port, to wait for queued work (default: the running stack's)")
    invoke.set_defaults(run=cmd_invoke)

    replay = commands.add_parser("replay", help="run every daily job day by day and summarize")
    replay.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
    replay.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
    replay.add_argument("--port", type=int, help="API port (default: the running stack's)")
    replay.add_argument("--lambda-port", type=int, help="Lambda invoke port (default: the running stack's)")
    replay.set_defaults(run=cmd_replay)

    outbox = commands.add_parser("outbox", help="list the emails sent by the local stack")
    outbox.add_argument("--port", type=int, help="API port (default: the running stack's)")
    outbox.set_defaults(run=cmd_outbox)

    pay = commands.add_parser("pay", help="pay a checkout at the local payment processor (sends the signed webhook)")
    pay.add_argument("checkout_id", help="the checkout_id that POST .../invoices/{id}/checkout returned")
    pay.add_argument("--decline", action="store_true", help="the card is declined: nothing is paid")
    pay.add_argument("--time", help="the payment's time at the processor (default: now), e.g. 2027-03-02T15:00:00Z")
    pay.add_argument("--port", type=int, help="API port (default: the running stack's)")
    pay.set_defaults(run=cmd_pay)

    refund = commands.add_parser(
        "refund", help="refund an invoice's card payment at the local processor (sends charge.refunded)"
    )
    refund.add_argument("invoice_id")
    refund.add_argument("--dispute", action="store_true", help="a dispute the body lost, instead of a refund")
    refund.add_argument("--port", type=int, help="API port (default: the running stack's)")
    refund.set_defaults(run=cmd_refund)

    _add_import(commands)

    args = parser.parse_args(argv)
    if args.command != "up":
        _running_ports(args)
    args.run(args)


if __name__ == "__main__":
    main()
