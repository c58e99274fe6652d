"""The live checkout session of each invoice, kept on the invoice item: one session per invoice while
it lives (across midnight), so one invoice is never offered for payment twice at once."""

from __future__ import annotations

from typing import Any

from ccp.data.dynamo import conditionally
from ccp.data.items import invoice_key
from ccp.data.payments import CheckoutSession
from ccp.data.writes import Update, equals, missing, present
from ccp.domain.records import InvoiceRecord


class CheckoutStore:
    def __init__(self, table: Any):
        self._table = table

    def remember(self, invoice: InvoiceRecord, session: CheckoutSession) -> bool:
        """Keep `session` as the invoice's live one; False if another session was kept meanwhile (the
        caller reads the invoice again and offers that one)."""
        started = invoice.checkouts_started
        kept = Update().set(
            checkout_id=session.checkout_id,
            checkout_url=session.checkout_url,
            checkout_expires_at=session.expires_at.isoformat(),
            checkouts_started=started + 1,
        )
        none_started_since = present() & (missing("checkouts_started") | equals("checkouts_started", started))
        return conditionally(self._table.update_item, Key=invoice_key(invoice), **kept.request(none_started_since))
