"""CE activities and the running totals they move, in the single table."""

from __future__ import annotations

from typing import Any, NamedTuple

from boto3.dynamodb.conditions import Key

from ccp.data import keys
from ccp.data.dynamo import query_all, translated_errors
from ccp.data.items import (
    activity_item,
    activity_key,
    credential_key,
    dedup_item,
    dedup_key,
    invoice_key,
    listed_as_unmet,
)
from ccp.data.writes import (
    Condition,
    StaleWrite,
    UnitOfWork,
    Update,
    at_version,
    equals,
    missing,
    one_of,
    present,
    refusal,
)
from ccp.domain.records import ActivityRecord, CredentialRecord, InvoiceRecord
from ccp.errors import Conflict, NotFound

ACTIVITY_REFUSALS = (
    refusal("duplicate", error=lambda: Conflict("This activity is already recorded.", code="DUPLICATE_ACTIVITY")),
    # Changed or removed since it was read: the caller re-reads (and then finds it gone, or retries).
    refusal("activity", "totals", error=StaleWrite),
)


def _write_conflict() -> Exception:
    return Conflict("The change conflicts with another one; try again.", code="WRITE_CONFLICT")


def _read_version(version: int) -> Condition:
    """The stored activity is still the version that was read (activities stored before versions: 0)."""
    unchanged = at_version(version)
    return present() & (unchanged | missing("version") if version == 0 else unchanged)


class TotalsWrite(NamedTuple):
    """New running totals for one credential, written only if nobody changed it since it was read.

    Keeps the sparse indexes in step in the same transaction: an unmet cycle stays listed under its
    end month (for CE reminders and the status sweep); a locked end-of-cycle invoice that the
    totals just unlocked is listed for the unlock run on the day it becomes payable.
    """

    credential: CredentialRecord
    unlock_invoice: InvoiceRecord | None = None
    # The end-of-cycle invoice, unpaid, that a removal of points locks again (docs/rules.md §3: re-lock).
    relock_invoice: InvoiceRecord | None = None

    def add_to(self, work: UnitOfWork) -> None:
        c = self.credential
        totals = Update().set(
            recorded={k.value: v for k, v in c.recorded.items()},
            eligible={k.value: v for k, v in c.eligible.items()},
            version=c.version + 1,
        )
        if c.met_on is None:
            totals.remove("met_on")
        else:
            totals.set(met_on=c.met_on.isoformat())
        if listed_as_unmet(c):
            totals.set(**keys.cycle_end_keys(c.member_id, c.code, c.cycle_end))
        else:
            totals.remove("gsi2pk", "gsi2sk")
        # The cycle must still be the one the activity counts toward (no roll-over in between).
        same_cycle = at_version(c.version) & equals("cycle_start", c.cycle_start.isoformat())
        work.update(credential_key(c.member_id, c.code), totals, role="totals", condition=same_cycle)
        unlock = self.unlock_invoice
        if unlock is not None and unlock.available_on is not None:
            listed = keys.unlock_keys(unlock.member_id, unlock.credential, unlock.available_on)
            work.update(
                invoice_key(unlock),
                Update().set(available_on=unlock.available_on.isoformat(), **listed),
                role="totals",
                condition=equals("state", "locked"),
            )
        if self.relock_invoice is not None:
            work.update(
                invoice_key(self.relock_invoice),
                # Off the unlock list too, so no "payable" notice goes out for it.
                Update().set(state="locked").remove("available_on", "gsi3pk", "gsi3sk"),
                role="totals",
                condition=one_of("state", "locked", "open"),
            )


class ActivityRepository:
    def __init__(self, table: Any):
        self._table = table

    def activities(self, member_id: str) -> list[ActivityRecord]:
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id))
            & Key("sk").begins_with(keys.ACTIVITY_PREFIX),
        )
        return [ActivityRecord.model_validate(i) for i in items]

    def activity(self, member_id: str, activity_id: str) -> ActivityRecord:
        with translated_errors():
            item = self._table.get_item(Key=activity_key(member_id, activity_id)).get("Item")
        if item is None:
            raise NotFound(f"No CE activity {activity_id}.", code="ACTIVITY_NOT_FOUND")
        return ActivityRecord.model_validate(item)

    def record_activity(self, activity: ActivityRecord, totals: list[TotalsWrite]) -> None:
        """The activity, its duplicate guards and every credential's new totals: one transaction."""
        work = UnitOfWork(self._table)
        # A second delivery of the same course event reuses its activity id: also a duplicate.
        work.put_new(activity_item(activity), role="duplicate")
        for code, key in activity.dedup_keys.items():
            work.put_new(dedup_item(activity, code, key), role="duplicate")
        self._commit(work, totals)

    def replace_activity(self, old: ActivityRecord, new: ActivityRecord, totals: list[TotalsWrite]) -> None:
        """The corrected activity (only over the version read), its guards and the totals: one transaction."""
        work = UnitOfWork(self._table)
        item = activity_item(new.model_copy(update={"version": old.version + 1}))
        work.put(item, role="activity", condition=_read_version(old.version))
        for code, key in old.dedup_keys.items():
            if new.dedup_keys.get(code) != key:
                work.delete(dedup_key(old.member_id, code, key), role="other")
        for code, key in new.dedup_keys.items():
            if old.dedup_keys.get(code) != key:
                work.put_new(dedup_item(new, code, key), role="duplicate")
        self._commit(work, totals)

    def delete_activity(self, activity: ActivityRecord, totals: list[TotalsWrite]) -> None:
        work = UnitOfWork(self._table)
        key = activity_key(activity.member_id, activity.activity_id)
        work.delete(key, role="activity", condition=_read_version(activity.version))
        for code, dedup in activity.dedup_keys.items():
            work.delete(dedup_key(activity.member_id, code, dedup), role="other")
        self._commit(work, totals)

    @staticmethod
    def _commit(work: UnitOfWork, totals: list[TotalsWrite]) -> None:
        for write in totals:
            write.add_to(work)
        work.commit(ACTIVITY_REFUSALS, otherwise=_write_conflict)
