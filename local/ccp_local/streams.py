"""Local DynamoDB stream event source mappings: read the table's stream (embedded DynamoDB keeps its
records) and invoke the mapped function with the event Lambda would build, in order, a batch at a
time, retrying from the first record it reports failed."""

from __future__ import annotations

import time
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

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                records = self._read()
            except Exception:
                time.sleep(0.5)
                continue
            if not records:
                self._behind = False
                time.sleep(0.2)
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
            answer = self._streams.get_records(ShardIterator=self._iterators[shard_id], Limit=1000)
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


def _as_lambda_sends(record: dict[str, Any]) -> dict[str, Any]:
    """boto3 parses the write time into a datetime; Lambda's event carries epoch seconds."""
    stream = dict(record["dynamodb"])
    written = stream.get("ApproximateCreationDateTime")
    if hasattr(written, "timestamp"):
        stream["ApproximateCreationDateTime"] = int(written.timestamp())
    return {**record, "dynamodb": stream}


def start_stream_pollers(
    sources: list[StreamSource], physical_ids: dict[str, str], runtime: LocalRuntime, region: str
) -> list[StreamPoller]:
    dynamodb = boto3.client("dynamodb", region_name=region)
    pollers = []
    for source in sources:
        arn = dynamodb.describe_table(TableName=physical_ids[source.table])["Table"]["LatestStreamArn"]
        pollers.append(StreamPoller(source, arn, runtime, region).start())
    return pollers
