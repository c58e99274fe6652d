"""What the program sends out: email (SES), print batches (S3), work (SQS), events (EventBridge).

Thin adapters so services take them as parameters and tests can count or fail them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, NamedTuple

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ccp.data.dynamo import JOB_BOTO_CONFIG

# SES allows 50 destinations in one SendBulkTemplatedEmail call.
SES_BULK_LIMIT = 50
MEMBER_TAG = "member_id"  # the SES message tag that names the member a message went to


class Delivery(NamedTuple):
    ok: bool
    error: str | None = None


class Mailer:
    def __init__(self, sender: str, configuration_set: str | None = None, client: Any | None = None):
        self._sender = sender
        self._configuration_set = configuration_set  # bounces and complaints are published from it
        self._client = client or boto3.client("ses", config=JOB_BOTO_CONFIG)
        self._templates: dict[str, dict[str, str]] = {}

    def send_bulk(self, template: str, messages: list[tuple[str, dict[str, str], str]]) -> list[Delivery]:
        """One SES request for up to 50 recipients of one template (address, template data, member id);
        one Delivery per message. Each message is tagged with its member, so a bounce or complaint
        SES reports later names the member without a lookup by address."""
        if not messages:
            return []
        if len(messages) > SES_BULK_LIMIT:
            raise ValueError("at most 50 messages per bulk send")
        request: dict[str, Any] = {
            "Source": self._sender,
            "Template": template,
            "DefaultTemplateData": "{}",
            "Destinations": [
                {
                    "Destination": {"ToAddresses": [to]},
                    "ReplacementTemplateData": json.dumps(data),
                    "ReplacementTags": [{"Name": MEMBER_TAG, "Value": member_id}],
                }
                for to, data, member_id in messages
            ],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            response = self._client.send_bulk_templated_email(**request)
        except (ClientError, BotoCoreError) as error:
            return [Delivery(False, _describe(error))] * len(messages)
        return [_delivery(status) for status in response.get("Status", [])]

    def template_text(self, template: str) -> dict[str, str]:
        """The template's subject and text part, to print letters with the same words as the emails."""
        if template not in self._templates:
            found = self._client.get_template(TemplateName=template)["Template"]
            self._templates[template] = {"subject": found.get("SubjectPart", ""), "text": found.get("TextPart", "")}
        return self._templates[template]


class MailBatchStore:
    def __init__(self, bucket: str, client: Any | None = None):
        self._bucket = bucket
        self._client = client or boto3.client("s3", config=JOB_BOTO_CONFIG)

    def put(self, key: str, body: bytes, content_type: str) -> str:
        self._client.put_object(
            Bucket=self._bucket, Key=key, Body=body, ContentType=content_type, ServerSideEncryption="AES256"
        )
        return f"s3://{self._bucket}/{key}"

    def get(self, key: str) -> bytes:
        body: bytes = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return body


class WorkQueue:
    def __init__(self, queue_url: str, client: Any | None = None):
        self._url = queue_url
        self._client = client or boto3.client("sqs", config=JOB_BOTO_CONFIG)

    def send(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            batch = messages[start : start + 10]
            response = self._client.send_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(n), "MessageBody": json.dumps(m)} for n, m in enumerate(batch)],
            )
            if response.get("Failed"):
                raise RuntimeError(f"{len(response['Failed'])} work messages were not queued")


class EventPublisher:
    def __init__(self, bus: str = "default", source: str = "ccp", client: Any | None = None):
        self._bus = bus
        self._source = source
        self._client = client or boto3.client("events", config=JOB_BOTO_CONFIG)

    def publish(self, detail_type: str, detail: dict[str, Any]) -> None:
        response = self._client.put_events(
            Entries=[
                {
                    "Source": self._source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, default=str),
                    "EventBusName": self._bus,
                }
            ]
        )
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"event {detail_type} was not accepted")


class JobStarter:
    """Starts a scheduled function now, as its schedule would (an asynchronous invocation with a
    scheduled event for `moment`): the staff console's "send now" after a re-drive."""

    def __init__(self, function_name: str, client: Any | None = None):
        self._function = function_name
        self._client = client or boto3.client("lambda", config=JOB_BOTO_CONFIG)

    def start(self, moment: datetime) -> None:
        event = {
            "version": "0",
            "id": f"staff-{moment.timestamp():.0f}",
            "detail-type": "Scheduled Event",
            "source": "ccp.staff",
            "account": "",
            "time": moment.isoformat().replace("+00:00", "Z"),
            "region": "",
            "resources": [],
            "detail": {},
        }
        self._client.invoke(FunctionName=self._function, InvocationType="Event", Payload=json.dumps(event).encode())


def _delivery(status: dict[str, Any]) -> Delivery:
    # SES answers each destination with Status "Success" (or an error) and a MessageId;
    # moto sends only the MessageId, which is also a delivery.
    code = status.get("Status", "Success" if status.get("MessageId") else None)
    if code == "Success":
        return Delivery(True)
    return Delivery(False, f"{code}: {status.get('Error')}")


def _describe(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__
