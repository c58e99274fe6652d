"""What the recertification functions are built from (the API and the audit job share it), with
no API code in it: the scheduled audit job imports this, not the HTTP handler."""

from __future__ import annotations

from functools import lru_cache

from ccp.data.dynamo import table
from ccp.data.members import MemberRepository
from ccp.data.outbound import EventPublisher, MailBatchStore, Mailer
from ccp.data.recertification import DocumentStore, RecertificationRepository
from ccp.data.renewals import RenewalRepository
from ccp.notices import NoticeSender
from ccp.rules.versions import default_rule_book
from ccp.settings import DocumentSettings, EventSettings, NoticeSettings
from recertify.audit import AuditService
from recertify.service import RecertificationService


def _events() -> EventPublisher:
    return EventPublisher(EventSettings.from_env().event_bus_name, source="ccp.recertify")


@lru_cache(maxsize=1)
def sender() -> NoticeSender:
    notices = NoticeSettings.from_env()
    return NoticeSender(
        RenewalRepository(table()),
        Mailer(notices.sender_email, notices.email_configuration_set),
        MailBatchStore(notices.mail_batch_bucket),
        notices.email_template_prefix,
        common={"portal_url": notices.portal_url},
    )


@lru_cache(maxsize=1)
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


@lru_cache(maxsize=1)
def audits() -> AuditService:
    bucket = DocumentSettings.from_env().document_bucket
    return AuditService(
        MemberRepository(table()),
        RecertificationRepository(table()),
        RenewalRepository(table()),
        MailBatchStore(bucket),
        sender(),
        default_rule_book(),
        _events(),
        DocumentStore(bucket),
    )
