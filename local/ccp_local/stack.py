"""The whole embedded stack in one process: moto server, the deployed template, function
workers, the API gateway and the Lambda endpoint."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from ccp_local import template as tpl
from ccp_local.credly_fake import FakeCredly
from ccp_local.deploy import Deployment, deploy
from ccp_local.gateway import Gateway, TokenVerifier, serve_api, serve_lambda
from ccp_local.portal import PortalFiles, portal_config, security_headers
from ccp_local.queues import Poller, drain, start_pollers
from ccp_local.runtime import LocalFunction, LocalRuntime, function_environment
from ccp_local.state import STATE_DIR, state_file
from ccp_local.streams import start_stream_pollers
from ccp_local.stripe_fake import FakeStripe

REGION = "us-east-1"
LOCAL_PASSWORD = "Local-Passw0rd!"
STAFF_USER = "staff"
# How long a stop waits for the servers, pollers and workers before embedded AWS goes regardless.
STOP_SECONDS = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class StackConfig:
    host: str = "127.0.0.1"
    api_port: int = 3000
    lambda_port: int = 3001
    aws_port: int = 0  # 0: any free port
    concurrency: int = 2


class LocalStack:
    def __init__(self, config: StackConfig):
        self.config = config
        # Set by start(); a stack is used only once started.
        self.deployment: Deployment
        self.runtime: LocalRuntime | None = None
        self.gateway: Gateway
        self._servers: list[Any] = []
        self._moto: Any = None

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> LocalStack:
        from moto.server import ThreadedMotoServer

        from ccp_local.emulator.embedded import embedded_dynamodb

        embedded_dynamodb()
        _quiet_embedded_aws()

        aws_port = self.config.aws_port or free_port()
        self._moto = ThreadedMotoServer(ip_address=self.config.host, port=aws_port, verbose=False)
        self._moto.start()
        _ses_backend().sent_messages = _TimestampedMessages()
        from ccp_local.emulator.moto_cognito import cognito_like_aws

        cognito_like_aws(send_local_mail)  # invitations and reset codes reach the outbox
        self.aws_endpoint = f"http://{self.config.host}:{aws_port}"
        # This process talks to embedded AWS too (deploying, seeding, tokens, outbox).
        os.environ.update(
            AWS_ENDPOINT_URL=self.aws_endpoint,
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION,
        )
        os.environ.pop("AWS_PROFILE", None)
        self.deployment = deploy(REGION)
        self.credly = start_fake_credly(self.deployment)
        self.stripe = start_fake_stripe(self.deployment)
        # The seeder and the OpenAPI export import function code, as the functions' own processes do.
        for spec in tpl.functions():
            if str(spec.code_dir) not in sys.path:
                sys.path.insert(0, str(spec.code_dir))
        STATE_DIR.mkdir(exist_ok=True)
        log_dir = STATE_DIR / "logs"
        log_dir.mkdir(exist_ok=True)
        specs = {s.logical_id: s for s in tpl.functions()}
        stream_consumers = {s.function for s in tpl.stream_sources()}
        self.runtime = LocalRuntime(
            {
                logical: LocalFunction(
                    specs[logical],
                    # The portal is served by this gateway: checkouts return to it.
                    {
                        **function_environment(specs[logical], configuration, self.aws_endpoint, REGION),
                        **self._portal_override(configuration),
                        # A function that starts another reaches this stack's Lambda endpoint (moto runs none).
                        "AWS_ENDPOINT_URL_LAMBDA": self.lambda_url,
                        **({"CCP_LOCAL_NICE": "10"} if logical in stream_consumers else {}),
                    },
                    log_dir,
                    self.config.concurrency,
                )
                for logical, configuration in self.deployment.functions.items()
            }
        )
        ids = self.deployment.physical_ids
        verifier = TokenVerifier(
            [
                (
                    f"{self.aws_endpoint}/{ids[pool]}/.well-known/jwks.json",
                    f"https://cognito-idp.{REGION}.amazonaws.com/{ids[pool]}",
                    ids[client],
                )
                for pool, client in (("UserPool", "UserPoolClient"), ("StaffUserPool", "StaffUserPoolClient"))
            ]
        )
        from ccp_local.emulator.moto_events import route_lambda_targets

        # EventBridge rules that target a function (CourseCompleted) reach it through this runtime.
        route_lambda_targets(self.runtime.invoke)
        self.pollers: list[Poller] = [
            *start_pollers(tpl.queue_sources(), self.deployment.physical_ids, self.runtime, REGION)
        ]
        # The table's stream feeds the dashboard's counters, as the template's DynamoDB event source does.
        self.pollers += start_stream_pollers(tpl.stream_sources(), self.deployment.physical_ids, self.runtime, REGION)
        portal = PortalFiles(
            portal_config(
                api_url="",  # the same origin
                cognito_url=self.aws_endpoint,
                region=REGION,
                client_id=ids["UserPoolClient"],
                staff_client_id=ids["StaffUserPoolClient"],
            ),
            headers=security_headers(tpl.load(), region=REGION, aws_endpoint=self.aws_endpoint),
        )
        self.gateway = Gateway(tpl.api_routes(), self.runtime, verifier, self._local_routes(), portal)
        self._servers.append(serve_api(self.gateway, self.config.host, self.config.api_port))
        self.stripe.webhook_url = f"{self.api_url}/webhooks/payments"
        self._servers.append(serve_lambda(self.runtime, self.config.host, self.config.lambda_port))
        self._write_state()
        return self

    def stop(self) -> None:
        """Everything at once (each server and poller waits up to a poll interval to notice), then
        the workers and embedded AWS: a stop takes about one interval, not their sum."""
        import threading

        stoppers = [server.shutdown for server in self._servers] + [
            poller.stop for poller in getattr(self, "pollers", [])
        ]
        stoppers += [
            fake.stop for fake in (getattr(self, "credly", None), getattr(self, "stripe", None)) if fake is not None
        ]
        if self.runtime:
            stoppers.append(self.runtime.stop)
        threads = [threading.Thread(target=stop, daemon=True) for stop in stoppers]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + STOP_SECONDS  # one deadline for all: a stop waits the longest, not the sum
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._moto:
            self._moto.stop()
        state_file().unlink(missing_ok=True)

    def _portal_override(self, configuration: dict[str, Any]) -> dict[str, str]:
        variables = configuration.get("Environment", {}).get("Variables", {})
        return {"PORTAL_URL": self.api_url} if "PORTAL_URL" in variables else {}  # the portal is at /portal/

    @property
    def api_url(self) -> str:
        return f"http://{self.config.host}:{self.config.api_port}"

    @property
    def lambda_url(self) -> str:
        return f"http://{self.config.host}:{self.config.lambda_port}"

    @property
    def table_name(self) -> str:
        return self.deployment.physical_ids["CcpTable"]

    def _write_state(self) -> None:
        state = {
            "api_url": self.api_url,
            "lambda_url": self.lambda_url,
            "aws_endpoint": self.aws_endpoint,
            "table": self.table_name,
            "user_pool_id": self.deployment.physical_ids["UserPool"],
            "staff_user_pool_id": self.deployment.physical_ids["StaffUserPool"],
            "payments_url": self.stripe.url,
            "pid": os.getpid(),
        }
        state_file().write_text(json.dumps(state, indent=2))

    # ---- identities -----------------------------------------------------------------------

    def token(self, *, member_id: str | None = None, staff: bool = False) -> str:
        """An ID token from the stack's members' pool, or its staff pool, creating the local user on first use."""
        idp = boto3.client("cognito-idp", region_name=REGION)
        pool = self.deployment.physical_ids["StaffUserPool" if staff else "UserPool"]
        client = self.deployment.physical_ids["StaffUserPoolClient" if staff else "UserPoolClient"]
        username = STAFF_USER if staff else member_id
        if username is None:
            raise ValueError("a member token needs the member's id")
        try:
            idp.admin_get_user(UserPoolId=pool, Username=username)
            # An invited member too: from now on they sign in with the local password.
            idp.admin_set_user_password(UserPoolId=pool, Username=username, Password=LOCAL_PASSWORD, Permanent=True)
        except idp.exceptions.UserNotFoundException:
            local_login(idp, pool, username, "staff@ccp.localhost" if staff else None, staff=staff)
        auth = idp.admin_initiate_auth(
            UserPoolId=pool,
            ClientId=client,
            AuthFlow="ADMIN_NO_SRP_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": LOCAL_PASSWORD},
        )
        return auth["AuthenticationResult"]["IdToken"]

    def seed_logins(self, members: list[tuple[str, str]]) -> None:
        """Demo members sign in with their member id or email and the local password."""
        idp = boto3.client("cognito-idp", region_name=REGION)
        for member_id, email in members:
            local_login(idp, self.deployment.physical_ids["UserPool"], member_id, email)

    # ---- queued work and print batches ----------------------------------------------------

    def drain(self) -> dict[str, Any]:
        """Wait for everything queued work started; copy new print batches to .ccp-local/."""
        results = drain(self.pollers)
        summaries = [s for r in results for s in (r or {}).get("summaries", [])]
        return {"worker_summaries": summaries, "copied_batches": self.copy_batches()}

    def copy_batches(self) -> list[str]:
        bucket = self.deployment.physical_ids.get("MailBatchesBucket")
        if not bucket:
            return []
        s3 = boto3.client("s3", region_name=REGION)
        copied = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="mail-batches/"):
            for item in page.get("Contents", []):
                target = STATE_DIR / item["Key"]
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
                    copied.append(str(target.relative_to(tpl.ROOT)))
        return copied

    def roll_overs(self, start: str, end: str) -> int:
        """Cycles rolled over between two dates (from the archived cycles in the table)."""
        from boto3.dynamodb.conditions import Key

        from ccp.data.keys import dated_partition

        table = boto3.resource("dynamodb", region_name=REGION).Table(self.table_name)
        count = 0
        for year in range(int(start[:4]), int(end[:4]) + 1):
            for shard in range(
                int(self.deployment.functions["RecordCeFunction"]["Environment"]["Variables"].get("INDEX_SHARDS", 16))
            ):
                kwargs = {
                    "IndexName": "gsi2",
                    "KeyConditionExpression": Key("gsi2pk").eq(dated_partition("ROLLOVER", str(year), shard)),
                }
                while True:
                    page = table.query(**kwargs)
                    count += sum(1 for i in page["Items"] if start <= i["rolled_over_on"] <= end)
                    if "LastEvaluatedKey" not in page:
                        break
                    kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return count

    # ---- local-only routes ----------------------------------------------------------------

    def outbox(self) -> dict[str, Any]:
        backend = _ses_backend()
        emails = [view for message in backend.sent_messages for view in _email_views(message, backend.templates)]
        s3 = boto3.client("s3", region_name=REGION)
        batches: list[dict[str, Any]] = []
        bucket = self.deployment.physical_ids.get("MailBatchesBucket")
        if bucket:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="mail-batches/"):
                batches.extend({"key": o["Key"], "size": o["Size"]} for o in page.get("Contents", []))
        return {"emails": emails, "postal_batches": batches}

    def openapi(self) -> dict[str, Any]:
        """The API's contract (docs/openapi.json, made from the resolvers), served at this stack's address."""
        from ccp_local.openapi import merged_document

        return {**merged_document(), "servers": [{"url": self.api_url}]}

    def _local_routes(self):
        def outbox(query):
            return 200, "application/json", json.dumps(self.outbox()["emails"]).encode()

        def openapi(query):
            return 200, "application/json", json.dumps(self.openapi()).encode()

        def docs(query):
            return 200, "text/html; charset=utf-8", SWAGGER_HTML.encode()

        def swagger_file(query):
            # Powertools ships Swagger UI's files: served from here, the page works offline.
            name = query["file"][0]
            if name not in SWAGGER_FILES:
                return 404, "application/json", _local_error("ROUTE_NOT_FOUND", "No such file.")
            return 200, SWAGGER_FILES[name], (_swagger_dir() / name).read_bytes()

        def token(query):
            member_id = (query.get("member_id") or [None])[0]
            staff = (query.get("staff") or ["false"])[0].lower() in ("1", "true", "yes")
            if not member_id and not staff:
                return (
                    422,
                    "application/json",
                    b'{"error": {"code": "VALIDATION_ERROR", "message": "member_id or staff=true", "details": []}}',
                )
            return (
                200,
                "application/json",
                json.dumps({"id_token": self.token(member_id=member_id, staff=staff)}).encode(),
            )

        def drain_queues(query):
            return 200, "application/json", json.dumps(self.drain(), default=str).encode()

        def roll_overs(query):
            start, end = (query.get("from") or [""])[0], (query.get("to") or [""])[0]
            return 200, "application/json", json.dumps({"roll_overs": self.roll_overs(start, end)}).encode()

        def timing(query):
            t = self.gateway.timing
            if (query.get("reset") or ["false"])[0] == "true":
                self.gateway.timing = type(t)()
            return (
                200,
                "application/json",
                json.dumps({"requests": t.requests, "total_ms": t.total_ms, "handler_ms": t.handler_ms}).encode(),
            )

        def badges(query):
            return 200, "application/json", json.dumps(list(self.credly.badges.values())).encode()

        def pay(query):
            checkout_id = query["checkout_id"][0]
            if checkout_id not in self.stripe.sessions:
                return 404, "application/json", _local_error("CHECKOUT_NOT_FOUND", f"No checkout {checkout_id}.")
            if (query.get("decline") or ["false"])[0].lower() in ("1", "true", "yes"):
                return 200, "application/json", json.dumps({"checkout_id": checkout_id, "declined": True}).encode()
            at = (query.get("time") or [None])[0]
            delivery = self.stripe.complete(
                checkout_id, at=datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None
            )
            return 200, "application/json", json.dumps({"checkout_id": checkout_id, "webhook": delivery}).encode()

        def refund(query):
            invoice_id = query["invoice_id"][0]
            dispute = (query.get("dispute") or ["false"])[0].lower() in ("1", "true", "yes")
            try:
                delivery = self.stripe.refund(invoice_id, dispute=dispute)
            except KeyError:
                return (
                    404,
                    "application/json",
                    _local_error("NO_PAID_CHECKOUT", f"No paid checkout for invoice {invoice_id}."),
                )
            return 200, "application/json", json.dumps({"invoice_id": invoice_id, "webhook": delivery}).encode()

        return {
            ("GET", "/_local/badges"): badges,
            ("POST", "/_local/payments/{checkout_id}/complete"): pay,
            ("POST", "/_local/refunds/{invoice_id}"): refund,
            ("GET", "/_local/timing"): timing,
            ("POST", "/_local/drain"): drain_queues,
            ("GET", "/_local/roll-overs"): roll_overs,
            ("GET", "/_local/outbox"): outbox,
            ("GET", "/_local/openapi.json"): openapi,
            ("GET", "/_local/docs"): docs,
            ("GET", "/_local/docs/{file}"): swagger_file,
            ("GET", "/_local/token"): token,
        }


def _local_error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": []}}).encode()


def local_login(idp: Any, pool: str, username: str, email: str | None, *, staff: bool = False) -> None:
    """A login with the local password, as an imported member's (no invitation), or the staff user's."""
    attributes = [{"Name": "email_verified", "Value": "true"}]
    attributes += [{"Name": "email", "Value": email}] if email else []
    attributes += [] if staff else [{"Name": "custom:member_id", "Value": username}]
    idp.admin_create_user(UserPoolId=pool, Username=username, UserAttributes=attributes, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username=username, Password=LOCAL_PASSWORD, Permanent=True)
    if staff:
        idp.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName="staff")


def start_fake_stripe(deployment: Deployment) -> FakeStripe:
    """Locally, payments go to a stand-in for the processor; the template's secret is pointed at it."""
    from ccp_local.stripe_fake import API_KEY

    stripe = FakeStripe().start()
    secret = {"api_key": API_KEY, "webhook_secret": stripe.webhook_secret, "api_base": stripe.url}
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=deployment.physical_ids["PaymentsSecret"], SecretString=json.dumps(secret)
    )
    return stripe


def _quiet_embedded_aws() -> None:
    """Keep the console for what a person needs: moto's request lines (the queue pollers ask every
    second) and its notes on resource types it does not deploy (Scheduler, QueuePolicy: covered in
    docs/decisions.md) go nowhere."""
    import logging
    import warnings

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse", module="moto.cloudformation")


def start_fake_credly(deployment: Deployment) -> FakeCredly:
    """Locally, badges go to a fake Credly; the template's secret is pointed at it."""
    credly = FakeCredly().start()
    codes = ["RMA", "CMAS", "RDA", "CMLA", "AHI", "RPT", "MLS", "MLT", "CLC", "MDT"]
    secret = {
        "base_url": credly.url,
        "organization_id": "local-org",
        "token": "local-token",
        "badge_templates": {code: f"template-{code.lower()}" for code in codes},
    }
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=deployment.physical_ids["CredlySecret"], SecretString=json.dumps(secret)
    )
    return credly


def _ses_backend() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID][REGION]


def send_local_mail(to: str, subject: str, text: str) -> None:
    """A message Cognito would email, put where SES's messages are (the outbox)."""
    from types import SimpleNamespace

    _ses_backend().sent_messages.append(
        SimpleNamespace(destinations={"ToAddresses": [to]}, subject=subject, body=text, template=None)
    )


class _TimestampedMessages(list):
    """moto keeps no send time: stamp each message as SES records it (for the outbox's sent_at)."""

    def append(self, message: Any) -> None:
        message.ccp_sent_at = datetime.now(UTC).isoformat()
        super().append(message)


def _email_views(message: Any, templates: dict[str, Any]) -> list[dict[str, Any]]:
    """One outbox entry per recipient: bulk templated sends are rendered with their template."""
    from moto.ses.template import parse_template

    sent_at = getattr(message, "ccp_sent_at", None)
    template_name = getattr(message, "template", None)
    if template_name is None:
        destinations = getattr(message, "destinations", {}) or {}
        to = destinations.get("ToAddresses", []) if isinstance(destinations, dict) else list(destinations)
        text = getattr(message, "body", None) or getattr(message, "raw_data", None)
        return [{"to": to, "subject": getattr(message, "subject", None), "text": text, "sent_at": sent_at}]
    template = templates.get(template_name, {})
    destinations = (
        message.destinations if isinstance(message.destinations, list) else [{"Destination": message.destinations}]
    )
    defaults = json.loads(getattr(message, "template_data", None) or "{}")
    views = []
    for destination in destinations:
        data = {**defaults, **json.loads(destination.get("ReplacementTemplateData") or "{}")}
        views.append(
            {
                "to": destination["Destination"].get("ToAddresses", []),
                "subject": parse_template(template.get("subject_part", ""), data),
                "text": parse_template(template.get("text_part", ""), data),
                "template": template_name,
                "sent_at": sent_at,
            }
        )
    return views


SWAGGER_FILES = {
    "swagger-ui-bundle.min.js": "text/javascript; charset=utf-8",
    "swagger-ui.min.css": "text/css; charset=utf-8",
}


def _swagger_dir():

    from aws_lambda_powertools.event_handler.openapi import swagger_ui

    return Path(swagger_ui.__file__).parent


SWAGGER_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CCP API (local)</title>
<link rel="stylesheet" href="/_local/docs/swagger-ui.min.css"></head>
<body><div id="ui"></div>
<script src="/_local/docs/swagger-ui-bundle.min.js"></script>
<script>SwaggerUIBundle({url: "/_local/openapi.json", dom_id: "#ui"});</script>
</body></html>"""
