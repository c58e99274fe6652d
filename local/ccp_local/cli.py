"""`ccp-local`: run the CCP backend on a laptop with no AWS account and no Docker."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    except urllib.error.URLError as error:
        sys.exit(f"ccp-local: cannot reach the local stack at {url} ({error}). Start it with `ccp-local up`.")


def cmd_up(args: argparse.Namespace) -> None:
    from ccp_local.stack import LocalStack, StackConfig

    print("Starting embedded AWS and deploying infra/template.yaml ...", flush=True)
    stack = LocalStack(StackConfig(api_port=args.port, lambda_port=args.lambda_port, aws_port=args.aws_port)).start()
    demos = []
    if not args.no_seed:
        from ccp_local.seed import seed

        demos = seed(stack.table_name, synthetic=args.demo_members)
    print(f"""
CCP local stack is up.
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
        first = demos[0].member_id
        print(f"""
Try it:
  TOKEN=$(ccp-local token --member-id {first} | tail -n 1)
  curl -s -H "Authorization: Bearer $TOKEN" {stack.api_url}/members/{first}/progress
  ccp-local token --staff        # a staff token
""")
    print("Press Ctrl-C to stop.", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping ...", flush=True)
        stack.stop()


def cmd_token(args: argparse.Namespace) -> None:
    query = {"staff": "true"} if args.staff else {"member_id": args.member_id}
    payload = json.loads(_get(f"http://127.0.0.1:{args.port}/_local/token?{urllib.parse.urlencode(query)}"))
    who = "staff" if args.staff else f"member {args.member_id}"
    print(f"ID token for {who} (valid 1 hour); use it as: Authorization: Bearer <token>")
    print(payload["id_token"])


def cmd_invoke(args: argparse.Namespace) -> None:
    from ccp_local.events import scheduled_event

    if args.event:
        with open(args.event) as handle:
            event = json.load(handle)
    else:
        moment = datetime.fromisoformat(args.time.replace("Z", "+00:00")) if args.time else datetime.now(timezone.utc)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        event = scheduled_event(moment)
    request = urllib.request.Request(
        f"http://127.0.0.1:{args.lambda_port}/2015-03-31/functions/{args.function}/invocations",
        data=json.dumps(event).encode(),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=900) as response:
            failed = response.headers.get("X-Amz-Function-Error")
            result = json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        sys.exit(f"ccp-local: {error.code} {error.read().decode()}")
    except urllib.error.URLError as error:
        sys.exit(f"ccp-local: cannot reach the local stack ({error}). Start it with `ccp-local up`.")
    print(json.dumps(result, indent=2))
    if failed:
        sys.exit(1)


def cmd_outbox(args: argparse.Namespace) -> None:
    emails = json.loads(_get(f"http://127.0.0.1:{args.port}/_local/outbox"))
    print(f"{len(emails)} email(s) sent")
    for email in emails:
        print(f"- {email['sent_at']}  to {', '.join(email['to'])}: {email['subject']}")


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
    token.add_argument("--port", type=int, default=3000)
    token.set_defaults(run=cmd_token)

    invoke = commands.add_parser("invoke", help="run a function (logical id) for a moment, print its result")
    invoke.add_argument("function")
    invoke.add_argument("--time", help="the scheduled event's time, e.g. 2027-03-01T12:00:00Z (default: now)")
    invoke.add_argument("--event", help="a JSON file with the whole event instead of a scheduled event")
    invoke.add_argument("--lambda-port", type=int, default=3001)
    invoke.set_defaults(run=cmd_invoke)

    outbox = commands.add_parser("outbox", help="list the emails sent by the local stack")
    outbox.add_argument("--port", type=int, default=3000)
    outbox.set_defaults(run=cmd_outbox)

    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
