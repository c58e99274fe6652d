"""The date-keyed work lists of the scheduled jobs (docs/data-model.md): one named read each, answered
with entities and an opaque cursor to continue from. Only the sparse indexes are read, never a Scan."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, NamedTuple, TypeVar

from boto3.dynamodb.conditions import Key
from pydantic import BaseModel

from ccp.data import keys
from ccp.data.dynamo import translated_errors
from ccp.domain.records import Contact, CredentialRecord, InvoiceRecord, NoticeClaim

E = TypeVar("E", bound=BaseModel)
Cursor = dict[str, Any]  # where the next page starts; callers keep it, never read it


@dataclass(frozen=True)
class Page(Generic[E]):
    items: list[E]
    next_key: Cursor | None


class RolledOver(NamedTuple):
    """A cycle archived at its roll-over (the January audit draws from these)."""

    member_id: str
    code: str
    cycle_start: str
    cycle_end: str
    contact: Contact | None


class WorkLists:
    def __init__(self, table: Any):
        self._table = table

    @property
    def index_shards(self) -> int:
        """Shards of the date-keyed indexes: the fan-out of every scan of them."""
        return keys.index_shards()

    def anniversaries_page(self, month: int, shard: int, start: Cursor | None, limit: int) -> Page[CredentialRecord]:
        """Credentials whose anniversary falls in `month` (1-12), one shard: renewal notices."""
        return self._page(CredentialRecord, "gsi1", keys.anniversary_partition(month, shard), None, start, limit)

    def unpaid_invoices_page(self, month: date, shard: int, start: Cursor | None, limit: int) -> Page[InvoiceRecord]:
        """Unpaid invoices falling due in `month`, one shard: past-due notices."""
        partition = keys.dated_partition("DUE", f"{month:%Y-%m}", shard)
        return self._page(InvoiceRecord, "gsi2", partition, None, start, limit)

    def unmet_cycles_page(
        self, month: date, shard: int, start: Cursor | None, limit: int, *, day: date | None = None
    ) -> Page[CredentialRecord]:
        """Credentials whose open cycle ends in `month` (or on `day` of it) with its requirement unmet, one
        shard: reminders."""
        partition = keys.dated_partition("CYCLE_END", f"{month:%Y-%m}", shard)
        return self._page(CredentialRecord, "gsi2", partition, keys.day_prefix(day) if day else None, start, limit)

    def unpaid_invoices_due_on(self, day: date, shard: int) -> Iterator[list[InvoiceRecord]]:
        """Unpaid invoices due on `day`, one shard: the status sweep."""
        partition = keys.dated_partition("DUE", f"{day:%Y-%m}", shard)
        return self._pages(InvoiceRecord, "gsi2", partition, keys.day_prefix(day))

    def unmet_cycles_ending_on(self, day: date, shard: int) -> Iterator[list[CredentialRecord]]:
        """Unmet cycles ending on `day`, one shard: the status sweep."""
        partition = keys.dated_partition("CYCLE_END", f"{day:%Y-%m}", shard)
        return self._pages(CredentialRecord, "gsi2", partition, keys.day_prefix(day))

    def invoices_unlocking_in(self, month: date, shard: int) -> Iterator[list[InvoiceRecord]]:
        """Locked invoices that become payable in `month`, one shard: the unlock job."""
        return self._pages(InvoiceRecord, "gsi3", keys.dated_partition("UNLOCK", f"{month:%Y-%m}", shard))

    def cycles_rolled_over_in(self, year: int, shard: int) -> Iterator[list[RolledOver]]:
        """Cycles archived (rolled over) in `year`, one shard: the January audit draw."""
        partition = keys.dated_partition("ROLLOVER", str(year), shard)
        for items in self._item_pages("gsi2", partition, None, size=500):
            yield [
                RolledOver(
                    i["member_id"],
                    i["code"],
                    i["cycle_start"],
                    i["cycle_end"],
                    Contact.model_validate(i["contact"]) if i.get("contact") else None,
                )
                for i in items
            ]

    def parked_notices(self) -> Iterator[list[NoticeClaim]]:
        """Notices parked after failed sends, oldest first: staff re-drive them."""
        return self._pages(NoticeClaim, "gsi2", keys.PARKED_NOTICES)

    def stale_claims(self, shard: int, stale_before: str, start: Cursor | None, limit: int) -> Page[NoticeClaim]:
        """Claims not marked sent, claimed before `stale_before` (crashed or failed runs)."""
        condition = Key("gsi3pk").eq(keys.claimed_partition(shard)) & Key("gsi3sk").lt(stale_before)
        items, next_key = self._query("gsi3", condition, start, limit)
        return Page([NoticeClaim.model_validate(i) for i in items], next_key)

    def _page(
        self, model: type[E], index: str, partition: str, sort_prefix: str | None, start: Cursor | None, limit: int
    ) -> Page[E]:
        items, next_key = self._query(index, self._condition(index, partition, sort_prefix), start, limit)
        return Page([model.model_validate(i) for i in items], next_key)

    def _pages(self, model: type[E], index: str, partition: str, sort_prefix: str | None = None) -> Iterator[list[E]]:
        for items in self._item_pages(index, partition, sort_prefix):
            yield [model.model_validate(i) for i in items]

    def _item_pages(
        self, index: str, partition: str, sort_prefix: str | None, size: int = 200
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of an index partition, in order."""
        start = None
        while True:
            items, start = self._query(index, self._condition(index, partition, sort_prefix), start, size)
            yield items
            if not start:
                return

    @staticmethod
    def _condition(index: str, partition: str, sort_prefix: str | None) -> Any:
        condition = Key(f"{index}pk").eq(partition)
        if sort_prefix:
            condition &= Key(f"{index}sk").begins_with(sort_prefix)
        return condition

    def _query(
        self, index: str, condition: Any, start: Cursor | None, limit: int
    ) -> tuple[list[dict[str, Any]], Cursor | None]:
        kwargs: dict[str, Any] = {"IndexName": index, "KeyConditionExpression": condition, "Limit": limit}
        if start:
            kwargs["ExclusiveStartKey"] = start
        with translated_errors():
            response = self._table.query(**kwargs)
        return response.get("Items", []), response.get("LastEvaluatedKey")
