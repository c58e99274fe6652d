"""The daily renewal run: issue anniversary invoices and send the notices due (docs/rules.md §4).

Work is cut into units: one notice kind, one month, one index shard, from a start key. A
scheduled run does units itself up to an item budget and hands the rest, and every unit's
continuation, to the work queue; the queue's worker runs the same code. Each unit reads only
the index partition of what is due, so items read follow the notices due (no Scan).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from ccp.data.invoices import InvoiceRepository
from ccp.data.notice_ledger import NoticeLedger
from ccp.data.work_lists import Cursor, Page, WorkLists
from ccp.domain.records import CredentialRecord, InvoiceRecord
from ccp.notices import (
    STALE_CLAIM_AFTER,
    Notice,
    NoticeSender,
    Outbox,
    SendTally,
    requeue_parked_notices,
)
from ccp.renewal_notices import RenewalNotices
from ccp.rules.dates import business_date
from ccp.rules.renewals import (
    NoticeKind,
    NoticeWork,
    notice_work_on,
)
from ccp.rules.versions import RuleBook

PAGE_SIZE = 100
WORKER_ITEM_BUDGET = 2000


class QueuePort(Protocol):
    def send(self, messages: list[dict[str, Any]]) -> None: ...


@dataclass(frozen=True)
class WorkUnit:
    kind: str  # a NoticeKind, or "heal" for stale claims
    month: date
    months_before: int | None
    shard: int
    run_time: datetime
    start_key: dict[str, Any] | None = None
    days_before: int | None = None  # cycle-ending reminders: `month` is then the day the cycles end

    @property
    def work(self) -> NoticeWork:
        return NoticeWork(
            NoticeKind(self.kind),
            self.month,
            self.months_before,
            run_day=business_date(self.run_time),
            days_before=self.days_before,
        )

    def to_message(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "month": self.month.isoformat(),
            "months_before": self.months_before,
            "shard": self.shard,
            "run_time": self.run_time.isoformat(),
            "start_key": self.start_key,
            "days_before": self.days_before,
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> WorkUnit:
        return cls(
            kind=message["kind"],
            month=date.fromisoformat(message["month"]),
            months_before=message.get("months_before"),
            shard=int(message["shard"]),
            run_time=datetime.fromisoformat(message["run_time"]),
            start_key=message.get("start_key"),
            days_before=message.get("days_before"),
        )


@dataclass
class RunSummary:
    day: date
    invoices_issued: int = 0
    notices_due: int = 0  # notices the run decided a member should get (each on one or two channels)
    items_read: int = 0
    units_done: int = 0
    units_queued: int = 0
    healed: int = 0
    tally: SendTally = field(default_factory=SendTally)

    def merge(self, other: RunSummary) -> None:
        self.invoices_issued += other.invoices_issued
        self.notices_due += other.notices_due
        self.items_read += other.items_read
        self.units_done += other.units_done
        self.units_queued += other.units_queued
        self.healed += other.healed

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "invoices_issued": self.invoices_issued,
            "notices_due": self.notices_due,
            "items_read": self.items_read,
            "units_done": self.units_done,
            "units_queued": self.units_queued,
            "healed_claims": self.healed,
            **self.tally.as_dict(),
        }


class RunStores(NamedTuple):
    """What the run reads (the work lists) and writes (invoices, the notice ledger's claims)."""

    lists: WorkLists
    invoices: InvoiceRepository
    ledger: NoticeLedger


class RenewalRun:
    def __init__(self, stores: RunStores, sender: NoticeSender, queue: QueuePort, rule_book: RuleBook):
        self._lists, self._invoices, self._ledger = stores
        self._notices = RenewalNotices(stores.invoices, rule_book)
        self._sender = sender
        self._queue = queue
        self._rule_book = rule_book
        self._shards = stores.lists.index_shards

    # ---- entry points --------------------------------------------------------------------

    def run_day(self, moment: datetime, *, inline_budget: int) -> RunSummary:
        """The scheduled run for the business day of `moment`."""
        today = business_date(moment)
        summary = RunSummary(day=today)
        units = [WorkUnit("heal", today, None, shard, moment) for shard in range(self._shards)]
        for work in notice_work_on(today, self._rule_book.in_force_on(today)):
            units += [
                WorkUnit(work.kind, work.month, work.months_before, shard, moment, days_before=work.days_before)
                for shard in range(self._shards)
            ]
        pending = list(units)
        budget = inline_budget
        outbox = self._sender.outbox(moment, f"mail-batches/{today.isoformat()}/run-{moment:%H%M%S}")
        while pending and budget > 0:
            unit = pending.pop(0)
            done, continuation = self.process(unit, outbox, limit=min(PAGE_SIZE, budget))
            summary.merge(done)
            budget -= max(done.items_read, 1)
            if continuation is not None:
                pending.insert(0, continuation)
        summary.tally = outbox.flush()
        if pending:
            self._queue.send([u.to_message() for u in pending])
            summary.units_queued += len(pending)
        return summary

    def redrive_parked(self, moment: datetime) -> int:
        """Staff re-drive: parked notices go back to the claims; this run's heal units send them."""
        return requeue_parked_notices(self._ledger, moment)

    def worker_outbox(self, unit: WorkUnit) -> Outbox:
        """One outbox for a worker invocation's units (emails in full bulk groups, one print batch)."""
        day = business_date(unit.run_time)
        period = f"{unit.month:%Y-%m}" if unit.kind == "heal" else unit.work.period
        page = f"{unit.kind}-{period}-{unit.shard:02d}-{_page_tag(unit.start_key)}"
        name = f"mail-batches/{day.isoformat()}/work-{page}"
        return self._sender.outbox(unit.run_time, name)

    def work(self, unit: WorkUnit, outbox: Outbox) -> RunSummary:
        """A queued unit, continued until the worker's budget; the rest goes back to the queue.
        Its notices go into `outbox`, which the caller flushes."""
        summary = RunSummary(day=business_date(unit.run_time))
        budget = WORKER_ITEM_BUDGET
        current: WorkUnit | None = unit
        while current is not None and budget > 0:
            done, current = self.process(current, outbox, limit=PAGE_SIZE)
            summary.merge(done)
            budget -= max(done.items_read, 1)
        if current is not None:
            self._queue.send([current.to_message()])
            summary.units_queued += 1
        return summary

    def process(self, unit: WorkUnit, outbox: Outbox, *, limit: int) -> tuple[RunSummary, WorkUnit | None]:
        """One page of one unit, its notices claimed into `outbox`; the unit to continue with, if any."""
        if unit.kind == "heal":
            return self._heal(unit, outbox, limit)
        work = unit.work
        today = business_date(unit.run_time)
        page = self._page_of(work, unit.shard, unit.start_key, limit)
        summary = RunSummary(day=today, items_read=len(page.items), units_done=1)
        notices: list[Notice] = []
        for item in page.items:
            notice, issued = self._notices.notice_for(work, item)
            summary.invoices_issued += int(issued)
            if notice is not None:
                notices.append(notice)
        summary.notices_due = len(notices)
        outbox.add(notices)
        continuation = None
        if page.next_key:
            continuation = replace(unit, start_key=page.next_key)
        return summary, continuation

    # ---- what each kind reads and says ---------------------------------------------------

    def _page_of(
        self, work: NoticeWork, shard: int, start: Cursor | None, limit: int
    ) -> Page[CredentialRecord] | Page[InvoiceRecord]:
        if work.kind in (NoticeKind.RENEWAL_DUE, NoticeKind.RENEWAL_UPCOMING):
            return self._lists.anniversaries_page(work.month.month, shard, start, limit)
        if work.kind == NoticeKind.PAST_DUE:
            return self._lists.unpaid_invoices_page(work.month, shard, start, limit)
        if work.kind == NoticeKind.CYCLE_ENDING:  # only the cycles ending that day: one item read a reminder
            return self._lists.unmet_cycles_page(work.month, shard, start, limit, day=work.month)
        return self._lists.unmet_cycles_page(work.month, shard, start, limit)

    # ---- healing ---------------------------------------------------------------------------

    def _heal(self, unit: WorkUnit, outbox: Outbox, limit: int) -> tuple[RunSummary, WorkUnit | None]:
        """Take over claims a crashed or failed run left behind, and send them."""
        today = business_date(unit.run_time)
        stale_before = (unit.run_time - STALE_CLAIM_AFTER).isoformat()
        page = self._lists.stale_claims(unit.shard, stale_before, unit.start_key, limit)
        summary = RunSummary(day=today, items_read=len(page.items), units_done=1)
        taken = []
        for claim in page.items:
            renewed = self._ledger.take_over(claim, claimed_at=unit.run_time.isoformat(), stale_before=stale_before)
            if renewed is not None:
                taken.append(renewed)
        summary.healed = len(taken)
        outbox.add_claimed(taken)
        continuation = None
        if page.next_key:
            continuation = WorkUnit("heal", unit.month, None, unit.shard, unit.run_time, page.next_key)
        return summary, continuation


def _page_tag(start_key: dict[str, Any] | None) -> str:
    if not start_key:
        return "p0"
    return "p" + hashlib.sha256(json.dumps(start_key, sort_keys=True, default=str).encode()).hexdigest()[:10]
