"""Local DynamoDB stream event source mappings: read the table's stream (embedded DynamoDB keeps its
records) and invoke the mapped function with the event Lambda would build, in order, a batch at a
time, retrying from the first record it reports failed. As Lambda does, records the mapping's
filter does not match never reach the function, and a batch waits up to the batching window."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import boto3

from ccp_local.queues import Poller
from ccp_local.runtime import InvokeError, LocalRuntime
from ccp_local.template import StreamSource

RETRIES = 3  # locally a batch that keeps failing is skipped after this many tries (Lambda: its DLQ)


class StreamPoller(Poller):
    def __init__(self, source: StreamSource, stream_arn: str, runtime: LocalRuntime, region: str):
        self.source = source
        self._arn = stream_arn
        self._runtime = runtime
        self._streams = boto3.client("dynamodbstreams", region_name=region)
        self._iterators: dict[str, str] = {}
        self._behind = True  # until a read finds nothing new
        super().__init__(f"stream-{source.function}")

    def pending(self) -> int:
        return int(self._behind)

    def _wanted(self, record: dict[str, Any]) -> bool:
        return not self.source.filters or any(_matches(json.loads(p), record) for p in self.source.filters)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                records = self._read()
            except Exception:
                time.sleep(0.5)
                continue
            records = [r for r in records if self._wanted(r)]
            window_ends = time.monotonic() + self.source.window_seconds
            while records and len(records) < self.source.batch_size and time.monotonic() < window_ends:
                time.sleep(1)  # the batching window: a burst of writes reaches the function together
                records += [r for r in self._read() if self._wanted(r)]
            if not records:
                self._behind = False
                time.sleep(max(0.2, self.source.window_seconds / 5))
                continue
            self._behind = True
            self.busy = True
            try:
                for start in range(0, len(records), self.source.batch_size):
                    self._deliver(records[start : start + self.source.batch_size])
            except Exception:  # the worker logged it; the poller goes on with the next records
                pass
            finally:
                self.busy = False

    def _read(self) -> list[dict[str, Any]]:
        shards = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        records: list[dict[str, Any]] = []
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            answer = self._streams.get_records(ShardIterator=self._iterators[shard_id], Limit=self.source.batch_size)
            self._iterators[shard_id] = answer["NextShardIterator"]
            records.extend(_as_lambda_sends(r) for r in answer.get("Records", []))
        return records

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        for _ in range(RETRIES):
            event = {"Records": [{**r, "eventSourceARN": self._arn} for r in batch]}
            try:
                result = self._runtime.invoke(self.source.function, event).result or {}
            except InvokeError:
                continue
            with self._lock:
                self.results.append(result)
            failed = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
            if not failed:
                return
            numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
            batch = batch[numbers.index(failed[0]) :] if failed[0] in numbers else batch


def _matches(pattern: Any, value: Any) -> bool:
    """An event filter pattern (the subset the template uses): nested keys, and a list of accepted
    values, each a literal or {"prefix": ...}."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and _matches(v, value[k]) for k, v in pattern.items())
    if isinstance(pattern, list):
        return any(_accepts(option, value) for option in pattern)
    return bool(pattern == value)


def _accepts(option: Any, value: Any) -> bool:
    if isinstance(option, dict) and "prefix" in option:
        return isinstance(value, str) and value.startswith(option["prefix"])
    return bool(option == value)


def _as_lambda_sends(record: dict[str, Any]) -> dict[str, Any]:
    """boto3 parses the write time into a datetime; Lambda's event carries epoch seconds."""
    stream = dict(record["dynamodb"])
    written = stream.get("ApproximateCreationDateTime")
    if isinstance(written, datetime):
        stream["ApproximateCreationDateTime"] = int(written.timestamp())
    return {**record, "dynamodb": stream}


def filtered_sort_key_prefixes(sources: list[StreamSource]) -> tuple[str, ...]:
    """The sort-key prefixes every mapping's filter accepts (empty: some mapping takes everything)."""
    prefixes: list[str] = []
    for source in sources:
        if not source.filters:
            return ()
        for pattern in source.filters:
            options = json.loads(pattern).get("dynamodb", {}).get("Keys", {}).get("sk", {}).get("S")
            if not options or not all(isinstance(o, dict) and "prefix" in o for o in options):
                return ()
            prefixes += [o["prefix"] for o in options]
    return tuple(prefixes)


def start_stream_pollers(
    sources: list[StreamSource], physical_ids: dict[str, str], runtime: LocalRuntime, region: str
) -> list[StreamPoller]:
    from ccp_local.emulator.moto_memory import record_only_stream_keys

    record_only_stream_keys(filtered_sort_key_prefixes(sources))
    dynamodb = boto3.client("dynamodb", region_name=region)
    pollers = []
    for source in sources:
        arn = dynamodb.describe_table(TableName=physical_ids[source.table])["Table"]["LatestStreamArn"]
        pollers.append(StreamPoller(source, arn, runtime, region).start())
    return pollers
