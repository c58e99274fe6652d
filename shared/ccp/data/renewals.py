"""Invoices, payments, roll-over, status and the notice ledger in the single table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, NamedTuple

from boto3.dynamodb.conditions import Key

from ccp.data import keys
from ccp.data.dynamo import conditionally, query_all, transact, translated_errors
from ccp.data.items import to_item
from ccp.data.members import StaleWrite, credential_put, versioned_put
from ccp.domain.records import (
    ApplicationRecord,
    CredentialRecord,
    Decision,
    InvoiceRecord,
    NoticeClaim,
    ParkedPayment,
    PaymentRecord,
)
from ccp.errors import Conflict
from ccp.rules.renewals import UNPAID_STATES


class Page(NamedTuple):
    items: list[dict[str, Any]]
    next_key: dict[str, Any] | None


class CycleArchive(NamedTuple):
    credential: CredentialRecord  # as it was at the end of the cycle
    rolled_over_on: date


def application_item(application: ApplicationRecord) -> dict[str, Any]:
    item = {
        "pk": keys.member_pk(application.member_id),
        "sk": keys.application_sk(application.application_id),
        "entity": "application",
        **to_item(application),
    }
    if application.state in ("submitted", "staff_review", "exam_authorized", "fee_reversed"):
        item.update(
            keys.review_queue_keys(application.state, application.member_id, application.created_at.isoformat())
        )
    return item


def application_put(table_name: str, before: ApplicationRecord, after: ApplicationRecord) -> dict[str, Any]:
    """Replace an application if nobody changed it since `before` was read."""
    return versioned_put(
        table_name, application_item(after.model_copy(update={"version": before.version + 1})), before.version
    )


def invoice_item(invoice: InvoiceRecord) -> dict[str, Any]:
    item = {
        "pk": keys.member_pk(invoice.member_id),
        "sk": keys.invoice_sk(invoice.credential, invoice.anniversary, invoice.application_id),
        "entity": "invoice",
        **to_item(invoice),
    }
    if invoice.state in UNPAID_STATES and invoice.purpose == "renewal":
        item.update(keys.due_keys(invoice.member_id, invoice.credential, invoice.due_date))
    return item


def invoice_key(invoice: InvoiceRecord) -> dict[str, str]:
    return keys.invoice_key(invoice.member_id, invoice.credential, invoice.anniversary, invoice.application_id)


def payment_item(payment: PaymentRecord) -> dict[str, Any]:
    return {
        "pk": keys.member_pk(payment.member_id),
        "sk": keys.payment_sk(payment.processor_reference),
        "entity": "payment",
        **to_item(payment),
    }


class PaymentReference(NamedTuple):
    """Who used a payment reference, and whether the money is still with us."""

    reference: str
    state: str  # paid | refunded
    member_id: str | None = None
    invoice_id: str | None = None
    payment_id: str | None = None


class RenewalRepository:
    def __init__(self, table: Any):
        self._table = table
        self._client = table.meta.client
        self._name = table.name

    @property
    def index_shards(self) -> int:
        """Shards of the date-keyed indexes: the fan-out of every scan of them."""
        return keys.index_shards()

    # ---- the date-keyed work lists (docs/data-model.md): one named read each ----------------

    def anniversaries_page(self, month: int, shard: int, start_key: dict[str, Any] | None, limit: int) -> Page:
        """Credentials whose anniversary falls in `month` (1-12), one shard: renewal notices."""
        return self._page("gsi1", keys.anniversary_partition(month, shard), None, start_key, limit)

    def unpaid_invoices_page(self, month: date, shard: int, start_key: dict[str, Any] | None, limit: int) -> Page:
        """Unpaid invoices falling due in `month`, one shard: past-due notices."""
        return self._page("gsi2", keys.dated_partition("DUE", f"{month:%Y-%m}", shard), None, start_key, limit)

    def unmet_cycles_page(self, month: date, shard: int, start_key: dict[str, Any] | None, limit: int) -> Page:
        """Credentials whose open cycle ends in `month` with its requirement unmet, one shard: reminders."""
        return self._page("gsi2", keys.dated_partition("CYCLE_END", f"{month:%Y-%m}", shard), None, start_key, limit)

    def unpaid_invoices_due_on(self, day: date, shard: int) -> Iterator[list[dict[str, Any]]]:
        """Unpaid invoices due on `day`, one shard: the status sweep."""
        return self._pages("gsi2", keys.dated_partition("DUE", f"{day:%Y-%m}", shard), keys.day_prefix(day))

    def unmet_cycles_ending_on(self, day: date, shard: int) -> Iterator[list[dict[str, Any]]]:
        """Unmet cycles ending on `day`, one shard: the status sweep."""
        return self._pages("gsi2", keys.dated_partition("CYCLE_END", f"{day:%Y-%m}", shard), keys.day_prefix(day))

    def invoices_unlocking_in(self, month: date, shard: int) -> Iterator[list[dict[str, Any]]]:
        """Locked invoices that become payable in `month`, one shard: the unlock job."""
        return self._pages("gsi3", keys.dated_partition("UNLOCK", f"{month:%Y-%m}", shard))

    def cycles_rolled_over_in(self, year: int, shard: int) -> Iterator[list[dict[str, Any]]]:
        """Cycles archived (rolled over) in `year`, one shard: the January audit draw."""
        return self._pages("gsi2", keys.dated_partition("ROLLOVER", str(year), shard), size=500)

    def parked_notices(self) -> Iterator[list[dict[str, Any]]]:
        """Notices parked after failed sends, oldest first: staff re-drive them."""
        return self._pages("gsi2", keys.PARKED_NOTICES)

    def _page(
        self, index: str, partition: str, sort_prefix: str | None, start_key: dict[str, Any] | None, limit: int
    ) -> Page:
        condition = Key(f"{index}pk").eq(partition)
        if sort_prefix:
            condition &= Key(f"{index}sk").begins_with(sort_prefix)
        kwargs: dict[str, Any] = {"IndexName": index, "KeyConditionExpression": condition, "Limit": limit}
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        with translated_errors():
            response = self._table.query(**kwargs)
        return Page(items=response.get("Items", []), next_key=response.get("LastEvaluatedKey"))

    def _pages(
        self, index: str, partition: str, sort_prefix: str | None = None, size: int = 200
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of an index partition, in order."""
        start = None
        while True:
            page = self._page(index, partition, sort_prefix, start, size)
            yield page.items
            if not page.next_key:
                return
            start = page.next_key

    def stale_claims(self, shard: int, stale_before: str, start_key: dict[str, Any] | None, limit: int) -> Page:
        """Claims not marked sent, claimed before `stale_before` (crashed or failed runs)."""
        kwargs: dict[str, Any] = {
            "IndexName": "gsi3",
            "KeyConditionExpression": Key("gsi3pk").eq(keys.claimed_partition(shard)) & Key("gsi3sk").lt(stale_before),
            "Limit": limit,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        with translated_errors():
            response = self._table.query(**kwargs)
        return Page(items=response.get("Items", []), next_key=response.get("LastEvaluatedKey"))

    # ---- invoices ------------------------------------------------------------------------

    def issue_invoice(self, invoice: InvoiceRecord, credential: CredentialRecord) -> tuple[InvoiceRecord, bool]:
        """Issue once: (the invoice, True) when issued now; (the stored one, False) when it existed.

        Two idempotent writes rather than a transaction: a re-run repeats the second. Whether a
        closing invoice is payable is decided from the credential's `met_on` at read time too
        (ccp.rules.standing), so nothing depends on the two writes landing together.
        """
        issued = conditionally(
            self._table.put_item, Item=invoice_item(invoice), ConditionExpression="attribute_not_exists(pk)"
        )
        stored = invoice if issued else self.invoice(invoice.member_id, invoice.credential, invoice.anniversary)
        if stored.closes_cycle and credential.closing_invoice_id != stored.invoice_id:
            with translated_errors():
                self._table.update_item(
                    Key={"pk": keys.member_pk(credential.member_id), "sk": keys.credential_sk(credential.code)},
                    UpdateExpression="SET closing_invoice_id = :id",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":id": stored.invoice_id},
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
        if conditionally(
            self._table.update_item,
            Key=invoice_key(invoice),
            UpdateExpression="SET #state = :open REMOVE gsi3pk, gsi3sk",
            ConditionExpression="#state = :locked",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":open": "open", ":locked": "locked"},
        ):
            return True
        self.forget_unlock(invoice)
        return False

    def forget_unlock(self, invoice: InvoiceRecord) -> None:
        with translated_errors():
            self._table.update_item(
                Key=invoice_key(invoice),
                UpdateExpression="REMOVE gsi3pk, gsi3sk",
            )

    def pay(
        self,
        invoice: InvoiceRecord,
        payment: PaymentRecord,
        credential_before: CredentialRecord,
        credential_after: CredentialRecord | None,
        archive: CycleArchive | None,
        application: tuple[ApplicationRecord, ApplicationRecord] | None = None,
        *,
        paid_on: date,
    ) -> None:
        """The payment, the paid invoice, the reference guard and (when they follow) the roll-over or
        status change: one transaction. `paid_on` is the business day of the payment (the caller's)."""
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._name,
                    "Key": invoice_key(invoice),
                    "UpdateExpression": (
                        "SET #state = :paid, paid_on = :paid_on, payment_id = :payment "
                        # its checkout session is spent: a refund later offers a new one
                        "REMOVE gsi2pk, gsi2sk, gsi3pk, gsi3sk, checkout_id, checkout_url, checkout_expires_at"
                    ),
                    "ConditionExpression": "#state IN (:open, :locked, :refunded)",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {
                        ":paid": "paid",
                        ":paid_on": paid_on.isoformat(),
                        ":payment": payment.payment_id,
                        ":open": "open",
                        ":locked": "locked",
                        ":refunded": "refunded",
                    },
                }
            },
            {
                "Put": {
                    "TableName": self._name,
                    "Item": payment_item(payment),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._name,
                    "Item": self._reference_item(
                        PaymentReference(
                            payment.processor_reference,
                            "paid",
                            payment.member_id,
                            payment.invoice_id,
                            payment.payment_id,
                        )
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        roles = ["invoice", "payment", "reference"]
        if archive is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self._name,
                        "Item": self._archive_item(archive),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
            roles.append("archive")
        if credential_after is not None:
            items.append(credential_put(self._name, credential_before, credential_after))
            roles.append("credential")
        if application is not None:
            items.append(application_put(self._name, *application))
            roles.append("application")
        failed = transact(self._client, items, roles)
        if failed & {"payment", "reference"}:
            raise Conflict("This payment reference was already recorded.", code="DUPLICATE_PAYMENT")
        if "invoice" in failed:
            raise Conflict("This invoice is already paid.", code="INVOICE_ALREADY_PAID")
        if failed:
            raise StaleWrite()

    def void_invoice(self, invoice: InvoiceRecord, decision: Decision) -> bool:
        """Void an unpaid invoice, the decision kept in its history; it leaves the due lists. False
        when it is no longer unpaid (paid or voided meanwhile)."""
        return conditionally(
            self._table.update_item,
            Key=invoice_key(invoice),
            UpdateExpression=(
                "SET #state = :void, #history = list_append(if_not_exists(#history, :none), :decision) "
                "REMOVE gsi2pk, gsi2sk, gsi3pk, gsi3sk"
            ),
            ConditionExpression="#state IN (:open, :locked, :refunded)",
            ExpressionAttributeNames={"#state": "state", "#history": "history"},
            ExpressionAttributeValues={
                ":void": "void",
                ":none": [],
                ":decision": [to_item(decision)],
                ":open": "open",
                ":locked": "locked",
                ":refunded": "refunded",
            },
        )

    def payment_reference(self, reference: str) -> PaymentReference | None:
        with translated_errors():
            item = self._table.get_item(
                Key={"pk": keys.payment_reference_pk(reference), "sk": keys.PAYMENT_REFERENCE_SK}, ConsistentRead=True
            ).get("Item")
        if item is None:
            return None
        return PaymentReference(
            reference, item["state"], item.get("member_id"), item.get("invoice_id"), item.get("payment_id")
        )

    def payment(self, member_id: str, reference: str) -> PaymentRecord | None:
        with translated_errors():
            item = self._table.get_item(
                Key={"pk": keys.member_pk(member_id), "sk": keys.payment_sk(reference)}, ConsistentRead=True
            ).get("Item")
        return PaymentRecord.model_validate(item) if item else None

    def refund(
        self,
        invoice: InvoiceRecord,
        refunded: PaymentRecord,
        credential_before: CredentialRecord | None,
        credential_after: CredentialRecord | None,
        application: tuple[ApplicationRecord, ApplicationRecord] | None = None,
        restored_invoices: Sequence[InvoiceRecord] = (),
    ) -> None:
        """The money went back: the invoice is unpaid again (listed by its due date again, so notices and
        the status sweep see it), the payment and its reference say so, and the status follows. One
        transaction; conditional on the invoice still being paid by this payment."""
        due = (
            keys.due_keys(invoice.member_id, invoice.credential, invoice.due_date)
            if invoice.purpose == "renewal"
            else {}
        )
        sets = ["#state = :refunded"] + [f"{name} = :{name}" for name in due]
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._name,
                    "Key": invoice_key(invoice),
                    "UpdateExpression": "SET " + ", ".join(sets) + " REMOVE paid_on",
                    "ConditionExpression": "#state = :paid AND payment_id = :payment",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {
                        ":refunded": "refunded",
                        ":paid": "paid",
                        ":payment": refunded.payment_id,
                        **{f":{k}": v for k, v in due.items()},
                    },
                }
            },
            {
                "Put": {
                    "TableName": self._name,
                    "Item": payment_item(refunded),
                    "ConditionExpression": "#state = :paid",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {":paid": "paid"},
                }
            },
            {
                "Update": {
                    "TableName": self._name,
                    "Key": {
                        "pk": keys.payment_reference_pk(refunded.processor_reference),
                        "sk": keys.PAYMENT_REFERENCE_SK,
                    },
                    "UpdateExpression": "SET #state = :refunded",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": {":refunded": "refunded"},
                }
            },
        ]
        roles = ["invoice", "payment", "reference"]
        if credential_before is not None and credential_after is not None:
            items.append(credential_put(self._name, credential_before, credential_after))
            roles.append("credential")
        if application is not None:  # a recertification fee: what it paid for is undone with it
            items.append(application_put(self._name, *application))
            roles.append("application")
        for restored in restored_invoices:
            items.append({"Put": {"TableName": self._name, "Item": invoice_item(restored)}})
            roles.append("restored")
        failed = transact(self._client, items, roles)
        if failed & {"invoice", "payment"}:
            raise Conflict("This payment is no longer the one that pays the invoice.", code="PAYMENT_NOT_CURRENT")
        if failed:
            raise StaleWrite()

    def refunded_before_recorded(self, reference: str) -> bool:
        """A refund that arrived before its payment: the reference is marked refunded so that the late
        payment event finds it and pays nothing. False when the reference already existed."""
        return conditionally(
            self._table.put_item,
            Item=self._reference_item(PaymentReference(reference, "refunded")),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def park_payment(self, parked: ParkedPayment) -> bool:
        """Keep a processor event for staff; False when this event was parked already."""
        item = {
            "pk": keys.processor_event_pk(parked.event_id),
            "sk": keys.processor_event_pk(parked.event_id),
            "entity": "parked_payment",
            **keys.parked_payment_keys(parked.received_at.isoformat(), parked.event_id),
            **to_item(parked),
        }
        return conditionally(self._table.put_item, Item=item, ConditionExpression="attribute_not_exists(pk)")

    def parked_payments(self, limit: int = 100) -> list[ParkedPayment]:
        with translated_errors():
            response = self._table.query(
                IndexName="gsi2",
                KeyConditionExpression=Key("gsi2pk").eq(keys.PARKED_PAYMENTS),
                ScanIndexForward=False,
                Limit=limit,
            )
        return [ParkedPayment.model_validate(item) for item in response.get("Items", [])]

    def payments_of(self, member_id: str) -> list[PaymentRecord]:
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id)) & Key("sk").begins_with(keys.payment_sk("")),
            ConsistentRead=True,
        )
        return [PaymentRecord.model_validate(item) for item in items]

    def _reference_item(self, reference: PaymentReference) -> dict[str, Any]:
        item = {
            "pk": keys.payment_reference_pk(reference.reference),
            "sk": keys.PAYMENT_REFERENCE_SK,
            "entity": "payment_reference",
            "state": reference.state,
            "member_id": reference.member_id,
            "invoice_id": reference.invoice_id,
            "payment_id": reference.payment_id,
        }
        return {k: v for k, v in item.items() if v is not None}

    # ---- status --------------------------------------------------------------------------

    def replace_credential(self, before: CredentialRecord, after: CredentialRecord) -> None:
        """Write a credential's new state if nobody changed it since `before` was read."""
        if transact(self._client, [credential_put(self._name, before, after)], ["credential"]):
            raise StaleWrite()

    # ---- the notice ledger ---------------------------------------------------------------

    def claim(self, claim: NoticeClaim, *, stale_before: str) -> bool:
        """Claim a notice before sending it. True: this run sends it. False: sent, or claimed by a
        run that is still within its time (a claim older than `stale_before` is taken over)."""
        return conditionally(
            self._table.put_item,
            Item=self._claim_item(claim),
            ConditionExpression="attribute_not_exists(pk) OR (#state = :claimed AND claimed_at < :stale)",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":claimed": "claimed", ":stale": stale_before},
        )

    def take_over(self, claim: NoticeClaim, *, claimed_at: str, stale_before: str) -> NoticeClaim | None:
        """Re-claim a stale claim found by a later run (crashed, or its send failed)."""
        renewed = claim.model_copy(update={"claimed_at": claimed_at})
        taken = conditionally(
            self._table.put_item,
            Item=self._claim_item(renewed),
            ConditionExpression="#state = :claimed AND claimed_at = :old AND claimed_at < :stale",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":claimed": "claimed", ":old": claim.claimed_at, ":stale": stale_before},
        )
        return renewed if taken else None

    def mark_sent(self, claims: list[NoticeClaim], sent_at: str) -> None:
        with translated_errors(), self._table.batch_writer() as batch:
            for claim in claims:
                sent = claim.model_copy(update={"state": "sent", "sent_at": sent_at})
                item = self._claim_item(sent)
                item.pop("gsi3pk"), item.pop("gsi3sk")
                batch.put_item(Item=item)

    def record_failure(self, claim: NoticeClaim, error: str, *, park: bool) -> None:
        """A failed send stays claimed (retried next run) or, after too many attempts, is parked."""
        failed = claim.model_copy(
            update={"attempts": claim.attempts + 1, "last_error": error[:500], "state": "parked" if park else "claimed"}
        )
        item = self._claim_item(failed)
        if park:
            item.pop("gsi3pk"), item.pop("gsi3sk")
            item.update(keys.parked_notice_keys(claim.claimed_at, claim.member_id))
        with translated_errors():
            self._table.put_item(Item=item)

    def requeue_parked(self, claim: NoticeClaim, *, claimed_at: str) -> bool:
        """Put a parked notice back among the claims, attempts reset: the next run's heal sends it.
        False when it is no longer parked (re-driven by someone else meanwhile)."""
        requeued = claim.model_copy(update={"state": "claimed", "attempts": 0, "claimed_at": claimed_at})
        return conditionally(
            self._table.put_item,
            Item=self._claim_item(requeued),
            ConditionExpression="#state = :parked",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":parked": "parked"},
        )

    # ---- helpers -------------------------------------------------------------------------

    def _claim_item(self, claim: NoticeClaim) -> dict[str, Any]:
        return {
            "pk": keys.member_pk(claim.member_id),
            "sk": keys.notice_sk(claim.credential, claim.kind, claim.period, claim.channel),
            "entity": "notice",
            **keys.claimed_keys(claim.member_id, claim.claimed_at),
            **to_item(claim),
        }

    def _archive_item(self, archive: CycleArchive) -> dict[str, Any]:
        c = archive.credential
        item = {
            "pk": keys.member_pk(c.member_id),
            "sk": keys.cycle_archive_sk(c.code, c.cycle_start),
            "entity": "cycle",
            **keys.rollover_keys(c.member_id, c.code, archive.rolled_over_on),
            "member_id": c.member_id,
            "code": c.code,
            "cycle_start": c.cycle_start.isoformat(),
            "cycle_end": c.cycle_end.isoformat(),
            "recorded": {k.value: v for k, v in c.recorded.items()},
            "eligible": {k.value: v for k, v in c.eligible.items()},
            "met_on": c.met_on.isoformat() if c.met_on else None,
            "rolled_over_on": archive.rolled_over_on.isoformat(),
            "contact": to_item(c.contact) if c.contact else None,
        }
        return {k: v for k, v in item.items() if v is not None}
