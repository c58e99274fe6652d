"""Proof documents (audit and recertification evidence): a private upload through a presigned POST
whose policy limits type and size, and a short-lived link to read one back. Only the member's own."""

from __future__ import annotations

import secrets
from datetime import datetime

from ccp.data.recertification import DocumentStore, RecertificationRepository
from ccp.domain.records import DocumentRecord
from ccp.errors import NotFound, RuleViolation
from recertify.service import DOCUMENT_TYPES, MAX_DOCUMENT_BYTES, member_of


class ProofDocuments:
    def __init__(self, repository: RecertificationRepository, documents: DocumentStore):
        self._repo = repository
        self._documents = documents

    def new_document(
        self,
        member_id: str,
        *,
        purpose: str,
        content_type: str,
        filename: str,
        size: int,
        audit_id: str | None,
        now: datetime,
    ) -> tuple[DocumentRecord, dict]:
        if content_type not in DOCUMENT_TYPES:
            raise RuleViolation("Documents are PDF, JPEG or PNG.", code="UNSUPPORTED_DOCUMENT_TYPE")
        if size > MAX_DOCUMENT_BYTES:
            raise RuleViolation("Documents are at most 10 MB.", code="DOCUMENT_TOO_LARGE")
        if audit_id is not None and member_of(audit_id) != member_id:
            raise NotFound("No such audit.", code="AUDIT_NOT_FOUND")
        document_id = "D" + secrets.token_hex(6).upper()
        document = DocumentRecord(
            member_id=member_id,
            document_id=document_id,
            purpose=purpose,
            content_type=content_type,
            filename=filename,
            key=f"documents/{member_id}/{document_id}",
            audit_id=audit_id,
            created_at=now,
        )
        self._repo.put_document(document)
        return document, self._documents.upload_form(document.key, content_type, MAX_DOCUMENT_BYTES)

    def document_link(self, member_id: str, document_id: str) -> tuple[DocumentRecord, str]:
        document = self._repo.document(member_id, document_id)
        if document is None:
            raise NotFound(f"No document {document_id}.", code="DOCUMENT_NOT_FOUND")
        return document, self._documents.download_url(document.key)
