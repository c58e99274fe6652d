"""Recertification applications, documents and audits in the single table; documents in S3."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from ccp.data import keys
from ccp.data.dynamo import JOB_BOTO_CONFIG, conditionally, query_all, translated_errors
from ccp.data.items import application_item, archive_item, audit_item, credential_item, invoice_item, to_item
from ccp.data.writes import UnitOfWork, absent, refusal
from ccp.domain.records import (
    ApplicationRecord,
    AuditRecord,
    CredentialRecord,
    DocumentRecord,
    EarlierCredential,
    InvoiceRecord,
)
from ccp.errors import Conflict, NotFound, Retryable

APPLICATION_EXISTS = [
    refusal("application", "fee", error=lambda: Conflict("This application already exists.", code="APPLICATION_EXISTS"))
]


class RecertificationRepository:
    def __init__(self, table: Any):
        self._table = table

    @property
    def index_shards(self) -> int:
        """Shards of the date-keyed indexes: the fan-out of every scan of them."""
        return keys.index_shards()

    # ---- applications --------------------------------------------------------------------

    def create_application(self, application: ApplicationRecord, fee: InvoiceRecord) -> None:
        work = UnitOfWork(self._table)
        work.put_new(application_item(application), role="application")
        work.put_new(invoice_item(fee), role="fee")
        work.commit(APPLICATION_EXISTS, otherwise=APPLICATION_EXISTS[0][1])  # a concurrent twin too

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
        voided: Sequence[InvoiceRecord] = (),
        replaced: EarlierCredential | None = None,
    ) -> None:
        """The application's new state, and (on reinstatement) the credential, the invoices it voids (as
        voided) and the credential it replaced (kept for past days), together. Any refusal: StaleWrite,
        re-read and retry."""
        work = UnitOfWork(self._table)
        work.replace(application_item(after), read_version=before.version, role="application")
        if credential is not None:
            work.replace(credential_item(credential[1]), read_version=credential[0].version, role="credential")
        for invoice in voided:
            work.put(invoice_item(invoice), role="void")
        if replaced is not None:
            work.put(archive_item(replaced), role="replaced")
        work.commit()

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
                **absent().request(),
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
        if conditionally(self._table.put_item, Item=item, **absent().request()):
            return run
        first = self.audit_run(year)
        if first is None:  # the put failed because the item exists: it cannot be gone
            raise Retryable(f"the audit run of {year} was neither written nor found")
        return first

    def put_audit(self, audit: AuditRecord) -> bool:
        return conditionally(self._table.put_item, Item=audit_item(audit), **absent().request())

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
        """The audit's new state and (on a failure) the credential's, together; any refusal: StaleWrite."""
        work = UnitOfWork(self._table)
        work.replace(audit_item(after), read_version=before.version, role="audit")
        if credential is not None:
            work.replace(credential_item(credential[1]), read_version=credential[0].version, role="credential")
        work.commit()


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
