"""What the billing API and the payment webhook are built from (cached per process)."""

from __future__ import annotations

from ccp import dependency
from ccp.data.checkouts import CheckoutStore
from ccp.data.dynamo import table
from ccp.data.invoices import InvoiceRepository
from ccp.data.members import MemberRepository
from ccp.data.outbound import EventPublisher
from ccp.data.payment_records import PaymentRepository
from ccp.data.payments import StripeProcessor
from ccp.data.recertification import RecertificationRepository
from ccp.notice_sending import notice_sender
from ccp.rules.versions import default_rule_book
from ccp.settings import EventSettings, NoticeSettings, PaymentSettings
from renewals.billing import BillingService
from renewals.receipts import ReceiptNotices


@dependency
def processor() -> StripeProcessor:
    return StripeProcessor(PaymentSettings.from_env().payments_secret_name)


@dependency
def service() -> BillingService:
    sender = notice_sender(table())
    events = EventPublisher(EventSettings.from_env().event_bus_name, source="ccp.renewals")
    return BillingService(
        MemberRepository(table()),
        PaymentRepository(table()),
        InvoiceRepository(table()),
        default_rule_book(),
        events,
        RecertificationRepository(table()),
        processor=processor(),
        receipts=ReceiptNotices(sender),
        checkouts=CheckoutStore(table()),
    )


@dependency
def portal_url() -> str:
    return NoticeSettings.from_env().portal_url.rstrip("/")
