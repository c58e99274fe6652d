"""Local SQS event source mappings: poll each queue of the template and invoke its function with
the SQS event Lambda would build, honouring partial batch failures (moto's redrive then moves a
message that keeps failing to its dead-letter queue)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any, Self

import boto3

from ccp_local.runtime import InvokeError, LocalRuntime
from ccp_local.template import QueueSource

RETRY_AFTER_SECONDS = 1  # a failed message comes back this soon locally (Lambda: the visibility timeout)


class Poller:
    """An event source mapping run by a thread: what `drain` waits on (busy, pending) and the
    function's answers meanwhile (take_results)."""

    def __init__(self, name: str):
        self._stop = threading.Event()
        self.busy = False
        self.results: list[Any] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, daemon=True, name=name)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        # Its receive waits a second; a delivery in flight ends when the runtime's stop ends its worker.
        self._thread.join(timeout=2)

    def take_results(self) -> list[Any]:
        with self._lock:
            results, self.results = self.results, []
        return results

    def pending(self) -> int:
        raise NotImplementedError

    def _loop(self) -> None:
        raise NotImplementedError


class QueuePoller(Poller):
    def __init__(self, source: QueueSource, queue_url: str, queue_arn: str, runtime: LocalRuntime, region: str):
        self.source = source
        self.url = queue_url
        self._arn = queue_arn
        self._runtime = runtime
        self._region = region
        self._sqs = boto3.client("sqs", region_name=region)
        super().__init__(f"poll-{source.function}")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                messages = self._sqs.receive_message(
                    QueueUrl=self.url,
                    MaxNumberOfMessages=min(self.source.batch_size, 10),
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception:
                time.sleep(0.5)
                continue
            if not messages:
                continue
            self.busy = True
            try:
                self._deliver(messages)
            finally:
                self.busy = False

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [self._record(m) for m in messages]}
        failed_ids: set[str]
        try:
            result = self._runtime.invoke(self.source.function, event).result or {}
            failed_ids = (
                {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
                if self.source.reports_failures
                else set()
            )
            with self._lock:
                self.results.append(result)
        except InvokeError:
            failed_ids = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] in failed_ids:
                self._sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=RETRY_AFTER_SECONDS
                )
            else:
                self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": self._region,
        }

    def pending(self) -> int:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def start_pollers(
    sources: list[QueueSource], physical_ids: dict[str, str], runtime: LocalRuntime, region: str
) -> list[QueuePoller]:
    sqs = boto3.client("sqs", region_name=region)
    pollers = []
    for source in sources:
        name = physical_ids[source.queue].rstrip("/").rsplit("/", 1)[-1]
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pollers.append(QueuePoller(source, url, arn, runtime, region).start())
    return pollers


def drain(pollers: Sequence[Poller], timeout: float = 900) -> list[Any]:
    """Wait until every mapped queue is empty and no function is busy; the results meanwhile."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        idle = all(not p.busy and p.pending() == 0 for p in pollers)
        if idle:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 0.3:
                break
        else:
            quiet_since = None
        time.sleep(0.1)
    results: list[Any] = []
    for poller in pollers:
        results.extend(poller.take_results())
    return results
