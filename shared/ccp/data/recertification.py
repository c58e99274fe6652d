"""Recertification applications, documents and audits in the single table; documents in S3."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from ccp.data import keys
from ccp.data.dynamo import (
    JOB_BOTO_CONFIG,
    conditionally,
    query_all,
    transact,
    translated_errors,
)
from ccp.data.items import to_item
from ccp.data.members import StaleWrite, credential_put, versioned_put
from ccp.data.renewals import application_item, application_put, invoice_item
from ccp.domain.records import (
    ApplicationRecord,
    AuditRecord,
    CredentialRecord,
    DocumentRecord,
    InvoiceRecord,
)
from ccp.errors import Conflict, NotFound, Retryable


class RecertificationRepository:
    def __init__(self, table: Any):
        self._table = table
        self._client = table.meta.client
        self._name = table.name

    @property
    def index_shards(self) -> int:
        """Shards of the date-keyed indexes: the fan-out of every scan of them."""
        return keys.index_shards()

    # ---- applications --------------------------------------------------------------------

    def create_application(self, application: ApplicationRecord, fee: InvoiceRecord) -> None:
        items = [
            {
                "Put": {
                    "TableName": self._name,
                    "Item": application_item(application),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._name,
                    "Item": invoice_item(fee),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        if transact(self._client, items, ["application", "fee"]):
            raise Conflict("This application already exists.", code="APPLICATION_EXISTS")

    def application(self, member_id: str, application_id: str) -> ApplicationRecord:
        with translated_errors():
            item = self._table.get_item(
                Key={"pk": keys.member_pk(member_id), "sk": keys.application_sk(application_id)}
            ).get("Item")
        if item is None:
            raise NotFound(f"No application {application_id}.", code="APPLICATION_NOT_FOUND")
        return ApplicationRecord.model_validate(item)

    def applications(self, member_id: str) -> list[ApplicationRecord]:
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id))
            & Key("sk").begins_with(keys.APPLICATION_PREFIX),
        )
        return [ApplicationRecord.model_validate(i) for i in items]

    def review_queue(self, state: str) -> list[ApplicationRecord]:
        items = query_all(
            self._table, IndexName="gsi3", KeyConditionExpression=Key("gsi3pk").eq(keys.review_queue_partition(state))
        )
        return [ApplicationRecord.model_validate(i) for i in items]

    def save_application(
        self,
        before: ApplicationRecord,
        after: ApplicationRecord,
        credential: tuple[CredentialRecord, CredentialRecord] | None = None,
        void: Sequence[InvoiceRecord] = (),
    ) -> None:
        """The application's new state, and (on reinstatement) the credential and voided invoices, together."""
        items = [application_put(self._name, before, after)]
        if credential is not None:
            items.append(credential_put(self._name, *credential))
        for invoice in void:
            items.append(
                {"Put": {"TableName": self._name, "Item": invoice_item(invoice.model_copy(update={"state": "void"}))}}
            )
        if transact(self._client, items, roles=[""] * len(items)):  # any failure: re-read and retry
            raise StaleWrite()

    # ---- documents -----------------------------------------------------------------------

    def put_document(self, document: DocumentRecord) -> None:
        with translated_errors():
            self._table.put_item(
                Item={
                    "pk": keys.member_pk(document.member_id),
                    "sk": keys.document_sk(document.document_id),
                    "entity": "document",
                    **to_item(document),
                },
                ConditionExpression="attribute_not_exists(pk)",
            )

    def document(self, member_id: str, document_id: str) -> DocumentRecord | None:
        with translated_errors():
            item = self._table.get_item(Key={"pk": keys.member_pk(member_id), "sk": keys.document_sk(document_id)}).get(
                "Item"
            )
        return DocumentRecord.model_validate(item) if item else None

    # ---- audits --------------------------------------------------------------------------

    def audit_run(self, year: int) -> dict[str, Any] | None:
        with translated_errors():
            answer = self._table.get_item(Key={"pk": keys.AUDIT_RUN_PK, "sk": str(year)}, ConsistentRead=True)
        run: dict[str, Any] | None = answer.get("Item")
        return run

    def record_audit_run(self, year: int, run: dict[str, Any]) -> dict[str, Any]:
        """The year's draw, recorded once; a second run gets the first one's seed and snapshot."""
        item = {"pk": keys.AUDIT_RUN_PK, "sk": str(year), "entity": "audit_run", **run}
        if conditionally(self._table.put_item, Item=item, ConditionExpression="attribute_not_exists(pk)"):
            return run
        first = self.audit_run(year)
        if first is None:  # the put failed because the item exists: it cannot be gone
            raise Retryable(f"the audit run of {year} was neither written nor found")
        return first

    def put_audit(self, audit: AuditRecord) -> bool:
        return conditionally(
            self._table.put_item, Item=self._audit_item(audit), ConditionExpression="attribute_not_exists(pk)"
        )

    def audits_of(self, member_id: str) -> list[AuditRecord]:
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id)) & Key("sk").begins_with(keys.AUDIT_PREFIX),
        )
        return [AuditRecord.model_validate(i) for i in items]

    def audits_of_year(self, year: int) -> list[AuditRecord]:
        items = query_all(
            self._table, IndexName="gsi2", KeyConditionExpression=Key("gsi2pk").eq(keys.audit_year_partition(year))
        )
        return [AuditRecord.model_validate(i) for i in items]

    def open_audits_due_in(self, month: date, shard: int) -> list[AuditRecord]:
        """Open audits whose deadline falls in `month`, one shard (closed ones leave the index)."""
        partition = keys.dated_partition("AUDIT_DUE", f"{month:%Y-%m}", shard)
        items = query_all(self._table, IndexName="gsi3", KeyConditionExpression=Key("gsi3pk").eq(partition))
        return [AuditRecord.model_validate(i) for i in items]

    def save_audit(
        self,
        before: AuditRecord,
        after: AuditRecord,
        credential: tuple[CredentialRecord, CredentialRecord] | None = None,
    ) -> None:
        items = [
            versioned_put(
                self._name, self._audit_item(after.model_copy(update={"version": before.version + 1})), before.version
            )
        ]
        if credential is not None:
            items.append(credential_put(self._name, *credential))
        if transact(self._client, items, roles=[""] * len(items)):  # any failure: re-read and retry
            raise StaleWrite()

    def _audit_item(self, audit: AuditRecord) -> dict[str, Any]:
        item = {
            "pk": keys.member_pk(audit.member_id),
            "sk": keys.audit_sk(audit.year, audit.credential),
            "entity": "audit",
            **keys.audit_year_keys(audit.year, audit.member_id, audit.credential),
            **to_item(audit),
        }
        if audit.state == "open":
            item.update(keys.audit_deadline_keys(audit.deadline, audit.member_id, audit.credential))
        return item


class DocumentStore:
    """Private, encrypted uploads through presigned POSTs whose policy limits type and size."""

    def __init__(self, bucket: str, client: Any | None = None):
        self._bucket = bucket
        self._client = client or boto3.client("s3", config=JOB_BOTO_CONFIG)

    def upload_form(self, key: str, content_type: str, max_bytes: int, expires_in: int = 900) -> dict[str, Any]:
        form: dict[str, Any] = self._client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type, "x-amz-server-side-encryption": "AES256"},
            Conditions=[
                {"Content-Type": content_type},
                {"x-amz-server-side-encryption": "AES256"},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_in,
        )
        return form

    def download_url(self, key: str, expires_in: int = 300) -> str:
        return str(
            self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_in
            )
        )

    def uploaded(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self._bucket, Key=key)
            return True
        except ClientError:
            return False
