"""Bodies of the billing API (docs/api.md: invoices and payments)."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import ConfigDict, Field

from ccp.api import Points, json_number
from ccp.model import LazyModel

# Renewals: <credential>-<anniversary YYYYMMDD>; recertification fees: RC-<application token>.
INVOICE_ID_PATTERN = r"^([A-Z]{2,8}-\d{8}|RC-[0-9A-F]{8})$"


class InvoiceOut(LazyModel):
    invoice_id: str
    credential: str
    anniversary: date
    amount: Points
    issued_on: date
    due_date: date
    # refunded: paid, then the money went back (a refund or a lost dispute); unpaid and payable again
    state: Literal["locked", "open", "paid", "void", "refunded"]
    currency: str
    available_on: date | None
    closes_cycle: bool
    paid_on: date | None
    member_note: str | None = Field(default=None, description="what staff wrote to the member about it (a void)")


class InvoiceList(LazyModel):
    invoices: list[InvoiceOut]


if TYPE_CHECKING:
    AmountIn = Decimal
else:
    AmountIn = json_number(gt=0)


class OfflinePaymentIn(LazyModel):
    """A check or money order that came by post (staff only)."""

    model_config = ConfigDict(extra="forbid")

    amount: AmountIn
    method: Literal["check", "money_order"]
    reference: str = Field(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-/ ]+$", description="the check or money order number"
    )


class PaymentOut(LazyModel):
    payment_id: str
    invoice_id: str
    amount: Points
    state: Literal["paid"]
    method: str
    reference: str
    recorded_by: str
    rolled_over: bool
    cycle_start: date
    cycle_end: date
    status: str


class CheckoutOut(LazyModel):
    checkout_id: str
    checkout_url: str = Field(description="the processor's hosted payment page")
    expires_at: datetime


class ReceiptOut(LazyModel):
    receipt_number: str
    member_id: str
    name: str
    invoice_id: str
    credential: str
    description: str
    amount: Points
    currency: str
    paid_on: date | None
    paid_at: datetime
    method: Literal["card", "check", "money_order"]
    reference: str


class WebhookReceived(LazyModel):
    received: bool
    outcome: Literal[
        "recorded", "already_recorded", "refunded", "already_refunded", "parked", "refunded_and_parked", "ignored"
    ]


class VoidIn(LazyModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500, description="why: kept with the invoice (internal)")
    member_note: str | None = Field(
        default=None, min_length=1, max_length=2000, description="what the member is told; `reason` stays internal"
    )


class HistoryOut(LazyModel):
    by: str
    at: datetime
    action: str
    note: str | None


class VoidedOut(LazyModel):
    invoice_id: str
    state: Literal["void"]
    history: list[HistoryOut]


class ParkedPaymentOut(LazyModel):
    event_id: str
    event_type: str
    reason: str
    message: str
    member_id: str | None
    invoice_id: str | None
    amount: Points | None
    currency: str | None
    received_at: datetime
    state: str
    refunded_automatically: bool = False


class ParkedPaymentList(LazyModel):
    payments: list[ParkedPaymentOut]


class ParkedNoticeOut(LazyModel):
    member_id: str
    name: str
    credential: str
    kind: str
    period: str
    channel: str
    attempts: int
    last_error: str | None
    claimed_at: str


class ParkedNoticeList(LazyModel):
    notices: list[ParkedNoticeOut]


class RedriveOut(LazyModel):
    requeued: int = Field(description="parked notices put back; the daily notices run was started to send them")
