"""Invoices in the single table: issued once per credential and anniversary, unlocked, voided."""

from __future__ import annotations

from datetime import date
from typing import Any

from ccp.data import keys
from ccp.data.dynamo import conditionally, translated_errors
from ccp.data.items import credential_key, invoice_item, invoice_key, to_item
from ccp.data.writes import Update, absent, equals, one_of, present
from ccp.domain.records import CredentialRecord, Decision, InvoiceRecord

# An invoice not paid yet may still be paid or voided (a refunded one is unpaid again).
STILL_UNPAID = one_of("state", "open", "locked", "refunded")


class InvoiceRepository:
    def __init__(self, table: Any):
        self._table = table

    def issue_invoice(self, invoice: InvoiceRecord, credential: CredentialRecord) -> tuple[InvoiceRecord, bool]:
        """Issue once: (the invoice, True) when issued now; (the stored one, False) when it existed.

        Two idempotent writes rather than a transaction: a re-run repeats the second. Whether a
        closing invoice is payable is decided from the credential's `met_on` at read time too
        (ccp.rules.standing), so nothing depends on the two writes landing together.
        """
        issued = conditionally(self._table.put_item, Item=invoice_item(invoice), **absent().request())
        stored = invoice if issued else self.invoice(invoice.member_id, invoice.credential, invoice.anniversary)
        if stored.closes_cycle and credential.closing_invoice_id != stored.invoice_id:
            closing = Update().set(closing_invoice_id=stored.invoice_id)
            with translated_errors():
                self._table.update_item(
                    Key=credential_key(credential.member_id, credential.code), **closing.request(present())
                )
        return stored, issued

    def invoice(self, member_id: str, code: str, anniversary: date) -> InvoiceRecord:
        with translated_errors():
            item = self._table.get_item(
                Key={"pk": keys.member_pk(member_id), "sk": keys.invoice_sk(code, anniversary)}, ConsistentRead=True
            )["Item"]
        return InvoiceRecord.model_validate(item)

    def open_invoice(self, invoice: InvoiceRecord) -> bool:
        """A locked invoice becomes payable; False if it was not locked any more."""
        opened = Update().set(state="open").remove("gsi3pk", "gsi3sk")
        if self._update(invoice, opened, equals("state", "locked")):
            return True
        self.forget_unlock(invoice)
        return False

    def forget_unlock(self, invoice: InvoiceRecord) -> None:
        with translated_errors():
            self._table.update_item(Key=invoice_key(invoice), **Update().remove("gsi3pk", "gsi3sk").request())

    def void_invoice(self, invoice: InvoiceRecord, decision: Decision, *, voided_on: date) -> bool:
        """Void an unpaid invoice, the decision kept in its history; it leaves the due lists (days before
        `voided_on` it was owed). False when it is no longer unpaid (paid or voided meanwhile)."""
        voided = (
            Update()
            .set(state="void", voided_on=voided_on.isoformat())
            .append("history", [to_item(decision)])
            .remove("gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk")
        )
        return self._update(invoice, voided, STILL_UNPAID)

    def _update(self, invoice: InvoiceRecord, update: Update, condition: Any) -> bool:
        return conditionally(self._table.update_item, Key=invoice_key(invoice), **update.request(condition))
