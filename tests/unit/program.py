"""The program's use cases wired over the in-memory store (tests/support/memory_store.py): what the
unit tests drive, as each function's composition root wires them over the table in AWS."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from ccp.domain.values import ActivityClaim, Category
from ccp.jobs import catch_up
from ccp.notices import NoticeSender
from ccp.renewal_notices import RenewalNotices
from ccp.rules.versions import RuleBook, default_rule_book
from recertify.audit import AuditService
from recertify.service import RecertificationService
from record_ce.enrolment import Enrolment, Welcome
from record_ce.reading import MemberReading
from record_ce.service import ActivityRequest, CeRecording, NewCredential, NewMember
from renewals.billing import BillingService
from renewals.receipts import ReceiptNotices
from renewals.run import RenewalRun, RunStores
from renewals.standing_jobs import InvoiceUnlock, StatusSweep
from tests.support.fakes import InMemoryBatches, InMemoryEvents, Outbox
from tests.support.memory_store import InMemoryStore

CHICAGO = ZoneInfo("America/Chicago")


def at(day: date, hour: int = 12) -> datetime:
    """A moment of a business day (the program's days are Chicago's)."""
    return datetime.combine(day, time(hour), tzinfo=CHICAGO).astimezone(UTC)


class Queue:
    def __init__(self) -> None:
        self.messages: list[dict] = []

    def send(self, messages: list[dict]) -> None:
        self.messages += messages


class Uploaded:
    """The document bucket, where every document a record names was uploaded."""

    def uploaded(self, key: str) -> bool:
        return True


class Program:
    """Every use case over one store, one outbox and one rule book."""

    def __init__(self, rule_book: RuleBook | None = None, store: InMemoryStore | None = None):
        self.rule_book = rule_book or default_rule_book()
        self.store = store or InMemoryStore()
        self.outbox = Outbox()
        self.batches = InMemoryBatches()
        self.events = InMemoryEvents()
        self.queue = Queue()
        store, book = self.store, self.rule_book
        self.recording = CeRecording(store, store, book)
        self.reading = MemberReading(store, store, store, book)
        self.sender = NoticeSender(store, self.outbox, self.batches, "ccp-", common={"portal_url": "https://portal"})
        self.enrolment = Enrolment(store, self.recording, book, Welcome(RenewalNotices(store, book), self.sender))
        self.billing = BillingService(
            store, store, store, book, self.events, applications=store, receipts=ReceiptNotices(self.sender)
        )
        self.recertification = RecertificationService(store, store, Uploaded(), book, self.events, self.sender)
        self.audits = AuditService(store, store, store, self.batches, self.sender, book, self.events, Uploaded())
        self.renewal_run = RenewalRun(RunStores(store, store, store), self.sender, self.queue, book)
        self.unlock = InvoiceUnlock(store, store, self.sender)
        self.sweep = StatusSweep(store, store, self.sender, book, events=self.events)

    def enrol(self, certified_on: date, *, today: date, email: str = "ann@example.org", code: str = "RMA") -> str:
        member = NewMember(
            first_name="Ann",
            last_name="Bee",
            email=email,
            mailing_address=None,
            credentials=[NewCredential(code, certified_on)],
        )
        return self.enrolment.create_member(member, today=today, now=at(today)).profile.member_id

    def record(self, member_id: str, points: str, day: date, *, title: str = "Course", code: str = "RMA"):
        claim = ActivityClaim(
            category=Category.PROFESSIONAL_EDUCATION, title=title, points=Decimal(points), start_date=day, end_date=day
        )
        return self.recording.record(member_id, ActivityRequest([code], claim, True), today=day, now=at(day))

    def daily_jobs(self, day: date) -> None:
        """The day's scheduled runs, in the template's order: notices at 06:00, unlock, the sweep."""
        self.renewal_run.run_day(at(day, 6), inline_budget=10_000)
        self.unlock.run(at(day, 6))
        self.sweep.run(at(day, 6))

    def scheduled(self, job: str, day: date) -> dict:
        """A daily job's scheduled run on `day`, as its handler runs it: every day it has not done."""
        run_day = {
            "invoice_unlock": lambda moment: self.unlock.run(moment).as_dict(),
            "renewal_notices": lambda moment: self.renewal_run.run_day(moment, inline_budget=10_000).as_dict(),
            "status_sweep": lambda moment: self.sweep.run(moment).as_dict(),
        }[job]
        hour = {"invoice_unlock": 0, "renewal_notices": 6, "status_sweep": 6}[job]
        return catch_up(job, at(day, hour), run_day, self.store)

    def pay_by_cheque(self, member_id: str, invoice_id: str, day: date, reference: str = "101"):
        invoice = next(i for i in self.store.member_state(member_id).invoices if i.invoice_id == invoice_id)
        return self.billing.record_offline_payment(
            member_id,
            invoice_id,
            amount=invoice.amount,
            method="check",
            reference=reference,
            staff="staff-1",
            now=at(day),
        )
