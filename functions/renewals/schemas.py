"""Bodies of the billing API (API.md: invoices and payments)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ccp.api import Points, json_number

# Renewals: <credential>-<anniversary YYYYMMDD>; recertification fees: RC-<application token>.
INVOICE_ID_PATTERN = r"^([A-Z]{2,8}-\d{8}|RC-[0-9A-F]{8})$"


class InvoiceOut(BaseModel):
    invoice_id: str
    credential: str
    anniversary: date
    amount: Points
    issued_on: date
    due_date: date
    state: Literal["locked", "open", "paid", "void"]
    available_on: date | None
    closes_cycle: bool
    paid_on: date | None


class InvoiceList(BaseModel):
    invoices: list[InvoiceOut]


AmountIn = json_number(gt=0)


class PaymentIn(BaseModel):
    """A payment the processor has confirmed."""

    model_config = ConfigDict(extra="forbid")

    amount: AmountIn
    processor_reference: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")


class PaymentOut(BaseModel):
    payment_id: str
    invoice_id: str
    amount: Points
    state: Literal["paid"]
    rolled_over: bool
    cycle_start: date
    cycle_end: date
    status: str
