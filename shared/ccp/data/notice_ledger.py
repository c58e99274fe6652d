"""The notice ledger: one claim per member, credential, kind, period and channel, so that every notice
goes out once however often a job runs (claimed → sent, or parked after failed sends)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ccp.data import keys
from ccp.data.dynamo import conditionally, translated_errors
from ccp.data.items import claim_item, sent_claim_item
from ccp.data.work_lists import WorkLists
from ccp.data.writes import Condition, absent, before, equals
from ccp.domain.records import NoticeClaim


class NoticeLedger:
    def __init__(self, table: Any):
        self._table = table

    def claim(self, claim: NoticeClaim, *, stale_before: str) -> bool:
        """Claim a notice before sending it. True: this run sends it. False: sent, or claimed by a
        run that is still within its time (a claim older than `stale_before` is taken over)."""
        abandoned = equals("state", "claimed") & before("claimed_at", stale_before)
        return self._put(claim_item(claim), absent() | abandoned)

    def take_over(self, claim: NoticeClaim, *, claimed_at: str, stale_before: str) -> NoticeClaim | None:
        """Re-claim a stale claim found by a later run (crashed, or its send failed)."""
        renewed = claim.model_copy(update={"claimed_at": claimed_at})
        still_abandoned = (
            equals("state", "claimed") & equals("claimed_at", claim.claimed_at) & before("claimed_at", stale_before)
        )
        return renewed if self._put(claim_item(renewed), still_abandoned) else None

    def mark_sent(self, claims: list[NoticeClaim], sent_at: str) -> None:
        with translated_errors(), self._table.batch_writer() as batch:
            for claim in claims:
                batch.put_item(Item=sent_claim_item(claim, sent_at))

    def record_failure(self, claim: NoticeClaim, error: str, *, park: bool) -> None:
        """A failed send stays claimed (retried next run) or, after too many attempts, is parked."""
        failed = claim.model_copy(
            update={"attempts": claim.attempts + 1, "last_error": error[:500], "state": "parked" if park else "claimed"}
        )
        item = claim_item(failed)
        if park:
            item.pop("gsi3pk"), item.pop("gsi3sk")
            item.update(keys.parked_notice_keys(claim.claimed_at, claim.member_id))
        with translated_errors():
            self._table.put_item(Item=item)

    def requeue_parked(self, claim: NoticeClaim, *, claimed_at: str) -> bool:
        """Put a parked notice back among the claims, attempts reset: the next run's heal sends it.
        False when it is no longer parked (re-driven by someone else meanwhile)."""
        requeued = claim.model_copy(update={"state": "claimed", "attempts": 0, "claimed_at": claimed_at})
        return self._put(claim_item(requeued), equals("state", "parked"))

    def _put(self, item: dict[str, Any], condition: Condition) -> bool:
        return conditionally(self._table.put_item, Item=item, **condition.request())

    def parked_notices(self) -> Iterator[list[NoticeClaim]]:
        """Notices parked after failed sends, oldest first: staff re-drive them."""
        return WorkLists(self._table).parked_notices()
