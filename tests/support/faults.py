"""Throttling injected where botocore sends HTTP: a share of DynamoDB and SES calls get the
service's own throttling answer instead of reaching moto (which stands in for the HTTP transport
at botocore's `before-send`), so the SDK's retry logic runs as it would against AWS (attempts,
back-off, retry quota). Deterministic for a seed."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import BotocoreStubber, MockRawResponse

ANSWERS = {
    "dynamodb": (
        {"Content-Type": "application/x-amz-json-1.0"},
        '{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
        '"message":"The level of configured provisioned throughput for the table was exceeded."}',
    ),
    "ses": (
        {"Content-Type": "text/xml"},
        '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>'
        "<Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error>"
        "<RequestId>throttled</RequestId></ErrorResponse>",
    ),
}


class Throttler:
    def __init__(self, share: float, services: tuple[str, ...], seed: int):
        self.share = share
        self.services = services
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.calls: Counter = Counter()  # service -> HTTP requests botocore sent
        self.throttled: Counter = Counter()  # service -> of those, answered with a throttle
        self.backoff_seconds = 0.0  # what the SDK's retry logic asked to sleep, in total

    def answer(self, request: Any, event_name: str) -> AWSResponse | None:
        """The throttle for this request, or None to let it through."""
        service = event_name.split(".")[1]
        if service not in self.services:
            return None
        with self._lock:
            self.calls[service] += 1
            if self._rng.random() >= self.share:
                return None
            self.throttled[service] += 1
        headers, body = ANSWERS[service]
        return AWSResponse(request.url, 400, {**headers, "x-amzn-RequestId": "throttled"}, MockRawResponse(body))


@contextmanager
def throttled(
    share: float, services: tuple[str, ...] = ("dynamodb", "ses"), *, seed: int = 30, wait: bool = False
) -> Iterator[Throttler]:
    """Clients made inside the block (cached ones are dropped) meet the throttle. With
    `wait=False` the SDK's back-off is recorded rather than slept, to keep the suite short."""
    from botocore import endpoint

    from ccp_local.inprocess import reset_cached_dependencies

    throttler = Throttler(share, services, seed)
    # botocore calls every before-send handler and takes the first answer, so the throttle must
    # stand in front of moto's stubber rather than beside it: a throttled request never lands.
    real_stub = BotocoreStubber.__call__

    def stub(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        return throttler.answer(request, event_name) or real_stub(self, event_name, request, **kwargs)

    real_sleep = endpoint.time.sleep

    def sleep(seconds: float) -> None:
        throttler.backoff_seconds += seconds
        if wait:
            real_sleep(seconds)

    BotocoreStubber.__call__ = stub
    endpoint.time = _TimeWithSleep(sleep)
    reset_cached_dependencies()
    try:
        yield throttler
    finally:
        BotocoreStubber.__call__ = real_stub
        endpoint.time = __import__("time")
        reset_cached_dependencies()


class _TimeWithSleep:
    """botocore.endpoint's `time`, with `sleep` replaced (everything else is the real module)."""

    def __init__(self, sleep):
        self.sleep = sleep

    def __getattr__(self, name: str) -> Any:
        return getattr(__import__("time"), name)
