"""The live checkout session of each invoice, kept on the invoice item: one session per invoice while
it lives (across midnight), so one invoice is never offered for payment twice at once."""

from __future__ import annotations

from typing import Any

from ccp.data.dynamo import conditionally
from ccp.data.payments import CheckoutSession
from ccp.data.renewals import invoice_key
from ccp.domain.records import InvoiceRecord


class CheckoutStore:
    def __init__(self, table: Any):
        self._table = table

    def remember(self, invoice: InvoiceRecord, session: CheckoutSession) -> bool:
        """Keep `session` as the invoice's live one; False if another session was kept meanwhile (the
        caller reads the invoice again and offers that one)."""
        started = invoice.checkouts_started
        return conditionally(
            self._table.update_item,
            Key=invoice_key(invoice),
            UpdateExpression="SET checkout_id = :id, checkout_url = :url, checkout_expires_at = :expires,"
            " checkouts_started = :started",
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(checkouts_started)"
            " OR checkouts_started = :before)",
            ExpressionAttributeValues={
                ":id": session.checkout_id,
                ":url": session.checkout_url,
                ":expires": session.expires_at.isoformat(),
                ":started": started + 1,
                ":before": started,
            },
        )
