"""The notice sender every function that sends notices builds the same way: the ledger in the
program's table, SES, the print-batch bucket, from the function's notice settings. Apart from
ccp.notices, so that a function that only reads notices' words needs none of those settings."""

from __future__ import annotations

from typing import Any

from ccp.data.notice_ledger import NoticeLedger
from ccp.data.outbound import MailBatchStore, Mailer
from ccp.notices import NoticeSender
from ccp.settings import NoticeSettings


def notice_sender(table: Any) -> NoticeSender:
    settings = NoticeSettings.from_env()
    return NoticeSender(
        NoticeLedger(table),
        Mailer(settings.sender_email, settings.email_configuration_set),
        MailBatchStore(settings.mail_batch_bucket),
        settings.email_template_prefix,
        common={"portal_url": settings.portal_url},
    )
