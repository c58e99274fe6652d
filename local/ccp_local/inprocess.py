"""The template deployed into in-process moto, with its functions' environments: for tests and
benchmarks that call the real handlers directly (no worker processes, no HTTP)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import boto3

from ccp_local.events import FakeLambdaContext, api_event, scheduled_event


def reset_cached_dependencies() -> None:
    from aws_lambda_powertools.utilities import parameters

    from ccp import forget_dependencies

    parameters.clear_caches()  # the Credly secret of a previous stack
    forget_dependencies()  # every table, settings model and service built for the previous stack


class DeployedStack:
    def __init__(self, deployment):
        self.deployment = deployment
        self.table_name = deployment.physical_ids["CcpTable"]
        self.bucket = deployment.physical_ids["MailBatchesBucket"]
        env = {}
        for name in (
            "RenewalNoticesFunction",
            "RecertifyFunction",
            "BadgeWorkerFunction",
            "BillingFunction",
            "RecordCeFunction",
            "ImportWorkerFunction",
        ):
            env.update(deployment.functions[name]["Environment"]["Variables"])
        os.environ.update({k: str(v) for k, v in env.items()})
        self.queue_url = env["RENEWAL_QUEUE_URL"]
        self.import_queue_url = env["IMPORT_QUEUE_URL"]
        reset_cached_dependencies()

    # ---- calling functions ---------------------------------------------------------------

    def api(self, handler_path: str, method: str, resource: str, path: str, **kwargs: Any) -> dict[str, Any]:
        import importlib

        module, name = handler_path.rsplit(".", 1)
        response = getattr(importlib.import_module(module), name)(
            api_event(method, resource, path, **kwargs), FakeLambdaContext()
        )
        if response.get("body") and response.get("isBase64Encoded") is False:
            with suppress(ValueError):
                response["json"] = json.loads(response["body"])
        return response

    def job(self, name: str, at, *, catch_up: bool = False) -> dict[str, Any]:
        """The scheduled function `name` fired at `at`. Unless `catch_up`, as if it had run every day
        before (with nothing to do on the days a test skips): a test that jumps a year runs that day
        alone, as the daily runs would on it. With `catch_up`, it does every day it has not done."""
        from renewals import jobs_handler

        if not catch_up:
            self.assume_done_before(name, at)
        result = getattr(jobs_handler, name)(scheduled_event(at), FakeLambdaContext())
        return result

    def assume_done_before(self, job: str, at) -> None:
        from datetime import timedelta

        from ccp.data.dynamo import table
        from ccp.data.job_days import JobDays
        from ccp.rules.dates import business_date

        # The jobs' own table (their retries): a test may call this inside a throttle.
        JobDays(table(for_jobs=True)).finished(job, business_date(at) - timedelta(days=1), at)

    def start_credly(self):
        """A fake Credly for this stack, the template's secret pointed at it."""
        from ccp_local.stack import start_fake_credly

        self.credly = start_fake_credly(self.deployment)
        return self.credly

    def start_stripe(self):
        """The local payment processor for this stack, the template's secret pointed at it."""
        from ccp_local.stack import start_fake_stripe

        self.stripe = start_fake_stripe(self.deployment)
        return self.stripe

    def webhook(self, payload: dict[str, Any] | str, *, signature: str | None = None, at=None) -> dict[str, Any]:
        """Deliver a processor event to the webhook function, signed with the stack's secret unless
        `signature` says otherwise."""
        from ccp_local.stripe_fake import sign

        body = payload if isinstance(payload, str) else json.dumps(payload)
        header = sign(body, self.stripe.webhook_secret) if signature is None else signature
        extra = {"at": at} if at is not None else {}
        return self.api(
            "renewals.payment_webhook.lambda_handler",
            "POST",
            "/webhooks/payments",
            "/webhooks/payments",
            raw_body=body,
            headers={"Stripe-Signature": header} if header else {},
            **extra,
        )

    def pay_checkout(self, checkout_id: str, at) -> dict[str, Any]:
        """The payer pays at the processor: the session completes and its signed event reaches the webhook."""
        from ccp_local.stripe_fake import completed_event

        return self.webhook(completed_event(self.stripe.mark_paid(checkout_id), at), at=at)

    def drain_badges(self) -> list[Any]:
        """Deliver queued badge events to the badge worker (one pass); the batch responses."""
        from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

        from recertify.badges import lambda_handler

        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName=self.deployment.physical_ids["BadgeQueue"].rsplit("/", 1)[-1])["QueueUrl"]
        responses: list[Any] = []
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
                "Messages", []
            )
            if not messages:
                return responses
            records = [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {},
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:badges",
                    "awsRegion": "us-east-1",
                }
                for m in messages
            ]
            try:
                response = lambda_handler({"Records": records}, FakeLambdaContext())  # type: ignore[arg-type]
            except BatchProcessingError:  # the whole batch failed: Lambda retries all of it
                response = {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages]}
            responses.append(response)
            failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
            for m in messages:
                if m["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if failed:
                return responses  # failed ones stay queued (Lambda retries them later)

    def drain_queue(self) -> list[dict[str, Any]]:
        """Deliver queued renewal work to the worker until the queue is empty (as the event source mapping would)."""
        from renewals.jobs_handler import renewal_worker

        return self._drain(self.queue_url, renewal_worker)

    def drain_imports(self) -> list[dict[str, Any]]:
        """Deliver an import's queued work (the split, chunks, invitations) to its worker until none is left."""
        from imports.worker import lambda_handler

        return self._drain(self.import_queue_url, lambda_handler)

    def _drain(self, queue_url: str, worker: Any) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        summaries: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=5, AttributeNames=["All"]).get(
                "Messages", []
            )
            if not messages:
                return summaries
            event = {
                "Records": [
                    {
                        "messageId": m["MessageId"],
                        "receiptHandle": m["ReceiptHandle"],
                        "body": m["Body"],
                        "attributes": m.get("Attributes", {}),
                        "messageAttributes": {},
                        "md5OfBody": "",
                        "eventSource": "aws:sqs",
                        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                        "awsRegion": "us-east-1",
                    }
                    for m in messages
                ]
            }
            result = worker(event, FakeLambdaContext())
            failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
            summaries += result["summaries"]
            for m in messages:
                if m["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])

    # ---- what was sent --------------------------------------------------------------------

    def emails(self) -> list[dict[str, Any]]:
        from ccp_local.stack import _email_views, _ses_backend

        backend = _ses_backend()
        return [v for m in backend.sent_messages for v in _email_views(m, backend.templates)]

    def batch_keys(self) -> list[str]:
        s3 = boto3.client("s3")
        return [o["Key"] for o in s3.list_objects_v2(Bucket=self.bucket, Prefix="mail-batches/").get("Contents", [])]

    def read(self, key: str) -> bytes:
        return boto3.client("s3").get_object(Bucket=self.bucket, Key=key)["Body"].read()


@contextmanager
def deployed_stack() -> Iterator[DeployedStack]:
    from moto import mock_aws

    from ccp_local.deploy import deploy

    with mock_aws():
        stack = DeployedStack(deploy("us-east-1"))
        try:
            yield stack
        finally:
            reset_cached_dependencies()
