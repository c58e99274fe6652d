"""What the recertification functions are built from (the API and the audit job share it), with
no API code in it: the scheduled audit job imports this, not the HTTP handler."""

from __future__ import annotations

from ccp import dependency
from ccp.data.dynamo import table
from ccp.data.members import MemberRepository
from ccp.data.outbound import EventPublisher, MailBatchStore
from ccp.data.recertification import DocumentStore, RecertificationRepository
from ccp.data.work_lists import WorkLists
from ccp.notice_sending import notice_sender
from ccp.notices import NoticeSender
from ccp.rules.versions import default_rule_book
from ccp.settings import DocumentSettings, EventSettings
from recertify.audit import AuditService
from recertify.documents import ProofDocuments
from recertify.service import RecertificationService


def _events() -> EventPublisher:
    return EventPublisher(EventSettings.from_env().event_bus_name, source="ccp.recertify")


@dependency
def sender() -> NoticeSender:
    return notice_sender(table())


@dependency
def service() -> RecertificationService:
    documents = DocumentStore(DocumentSettings.from_env().document_bucket)
    return RecertificationService(
        MemberRepository(table()),
        RecertificationRepository(table()),
        documents,
        default_rule_book(),
        _events(),
        sender(),
    )


@dependency
def audits() -> AuditService:
    bucket = DocumentSettings.from_env().document_bucket
    return AuditService(
        MemberRepository(table()),
        RecertificationRepository(table()),
        WorkLists(table()),
        MailBatchStore(bucket),
        sender(),
        default_rule_book(),
        _events(),
        DocumentStore(bucket),
    )


@dependency
def proof_documents() -> ProofDocuments:
    return ProofDocuments(
        RecertificationRepository(table()), DocumentStore(DocumentSettings.from_env().document_bucket)
    )
