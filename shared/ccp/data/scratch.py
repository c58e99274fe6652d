"""The program's table as entities in memory (a scratch store): one stand-in for every repository port (members,
activities, invoices, payments, the notice ledger, the work lists), with the semantics the use cases
rely on: every write lands only over what was read (versions, states), all the writes of one change
or none, uniqueness guards (duplicate activities, payment references, notice claims), and the sparse
lists kept as the table's indexes keep them. Use cases are judged by the state they leave
here (`make unit`); an import replays a member's history here, then writes the entities it leaves.

What only DynamoDB can prove (expressions, indexes, transactions under real concurrency) stays with the
moto-backed tests; this store follows the same pure rules (`ccp.data.items.listed_as_unmet`, the
invoice states), so the two cannot drift on what a list holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from ccp.data.activities import TotalsWrite
from ccp.data.items import listed_as_unmet
from ccp.data.members import MemberFile
from ccp.data.payment_records import PaymentReference, Settlement
from ccp.data.work_lists import Cursor, Page, RolledOver
from ccp.data.writes import StaleWrite
from ccp.domain.records import (
    ActivityRecord,
    ApplicationRecord,
    AuditRecord,
    CredentialRecord,
    Decision,
    DocumentRecord,
    EarlierCredential,
    InvoiceRecord,
    JobState,
    MemberRecord,
    MemberState,
    NoticeClaim,
    PaidPeriod,
    ParkedPayment,
    PaymentRecord,
)
from ccp.errors import Conflict, NotFound
from ccp.rules.dates import business_date
from ccp.rules.renewals import UNPAID_STATES

ClaimKey = tuple[str, str, str, str, str]


class _Tables:
    """The entities, as the table keeps them (one dict per kind of item)."""

    index_shards = 1  # one shard: the lists' order is the table's within a shard

    def __init__(self) -> None:
        self.profiles: dict[str, MemberRecord] = {}
        self.held: dict[tuple[str, str], CredentialRecord] = {}
        self.invoices: dict[tuple[str, str], InvoiceRecord] = {}
        self.unlock_listed: set[tuple[str, str]] = set()
        self.activities_by_key: dict[tuple[str, str], ActivityRecord] = {}
        self.dedup: dict[tuple[str, str, str], str] = {}
        self.payments: dict[tuple[str, str], PaymentRecord] = {}
        self.references: dict[str, PaymentReference] = {}
        self.parked: dict[str, ParkedPayment] = {}
        self.claims: dict[ClaimKey, NoticeClaim] = {}
        # Archived credentials: a rolled-over cycle by its start; a reinstated one by its start and day.
        self.archives: dict[tuple[str, str, date] | tuple[str, str, date, date], EarlierCredential] = {}
        self.applications_by_key: dict[tuple[str, str], ApplicationRecord] = {}
        self.audits: dict[tuple[str, str], AuditRecord] = {}
        self.audit_runs: dict[int, dict[str, Any]] = {}
        self.documents: dict[tuple[str, str], DocumentRecord] = {}
        self.jobs: dict[str, JobState] = {}
        self.known: dict[str, str] = {}  # "email:<address>" / "legacy:<id>" -> the member they belong to

    # The writes every aggregate's changes end in.

    def _check_version(self, read: CredentialRecord) -> None:
        stored = self.held.get((read.member_id, read.code))
        if stored is None or stored.version != read.version:
            raise StaleWrite()

    def _put_credential(self, credential: CredentialRecord, *, bump: bool) -> None:
        version = credential.version + 1 if bump else credential.version
        self.held[(credential.member_id, credential.code)] = credential.model_copy(update={"version": version})

    def _put_invoice(self, invoice: InvoiceRecord) -> None:
        self.invoices[(invoice.member_id, invoice.invoice_id)] = invoice


class _Members(_Tables):
    """Profiles, credentials and the one-person guards."""

    def member_state(self, member_id: str) -> MemberState:
        return MemberState(
            profile=self.profile(member_id),
            credentials=self.credentials(member_id),
            invoices=[i for (m, _), i in sorted(self.invoices.items()) if m == member_id],
        )

    def earlier_credentials(self, state: MemberState) -> list[EarlierCredential]:
        return [a for a in self.archives.values() if a.credential.member_id == state.profile.member_id]

    def credentials(self, member_id: str) -> list[CredentialRecord]:
        return [c for (m, _), c in sorted(self.held.items()) if m == member_id]

    def profile(self, member_id: str) -> MemberRecord:
        if member_id not in self.profiles:
            raise NotFound(f"No member {member_id}.", code="MEMBER_NOT_FOUND")
        return self.profiles[member_id]

    def member_exists(self, member_id: str) -> bool:
        return member_id in self.profiles

    def create_member(self, member: MemberRecord, credentials: list[CredentialRecord]) -> None:
        if member.member_id in self.profiles or any((c.member_id, c.code) in self.held for c in credentials):
            raise Conflict("This member already exists.", code="MEMBER_EXISTS")
        guards = self._guards(member)
        known = sorted({self.known[g] for g in guards if g in self.known})
        if known:
            raise Conflict(
                "This person is already a member.", code="MEMBER_EXISTS", details=[{"member_id": m} for m in known]
            )
        self.known.update({g: member.member_id for g in guards})
        self.profiles[member.member_id] = member
        for credential in credentials:
            self.held[(credential.member_id, credential.code)] = credential

    def add_credential(self, credential: CredentialRecord) -> None:
        if (credential.member_id, credential.code) in self.held:
            raise Conflict("The member already holds this credential.", code="CREDENTIAL_HELD")
        self.held[(credential.member_id, credential.code)] = credential

    @staticmethod
    def _guards(member: MemberRecord) -> list[str]:
        return [f"email:{(member.guarded_email or member.email).strip().lower()}"] + (
            [f"legacy:{member.legacy_id}"] if member.legacy_id else []
        )

    def member_known_as(self, *, email: str | None = None, legacy_id: str | None = None) -> str | None:
        return self.known.get(f"legacy:{legacy_id}") or (
            self.known.get(f"email:{email.strip().lower()}") if email else None
        )

    def bulk_load(self, members: list[tuple[MemberRecord, list[CredentialRecord], list[ActivityRecord]]]) -> None:
        for member, credentials, activities in members:
            self.profiles[member.member_id] = member
            self.known.update({g: member.member_id for g in self._guards(member)})
            for credential in credentials:
                self.held[(credential.member_id, credential.code)] = credential
            for activity in activities:
                self.activities_by_key[(activity.member_id, activity.activity_id)] = activity
                for code, key in activity.dedup_keys.items():
                    self.dedup[(activity.member_id, code, key)] = activity.activity_id

    def update_contact(self, before: MemberRecord, after: MemberRecord) -> None:
        stored = self.profile(before.member_id)
        if any(getattr(stored, n) != getattr(before, n) for n in ("email", "email_status", "email_code_attempts")):
            raise StaleWrite()
        guarded = (before.guarded_email or before.email).strip().lower()
        new, old = f"email:{after.email.strip().lower()}", f"email:{guarded}"
        if after.email_status == "ok" and new != old:  # a confirmed address only (as the table's guard)
            if self.known.get(new, after.member_id) != after.member_id:
                raise Conflict("This email address belongs to another member.", code="EMAIL_IN_USE")
            self.known.pop(old, None)
            self.known[new] = after.member_id
            after = after.model_copy(update={"guarded_email": after.email})
        self.profiles[after.member_id] = after
        for key, credential in self.held.items():
            if key[0] == after.member_id and credential.contact is not None:
                self._put_credential(credential.model_copy(update={"contact": after.contact}), bump=True)

    def set_badge(self, member_id: str, code: str, badge_id: str | None) -> None:
        credential = self.held[(member_id, code)]
        self._put_credential(credential.model_copy(update={"badge_id": badge_id}), bump=True)

    def put_credential(self, credential: CredentialRecord) -> None:
        self.held[(credential.member_id, credential.code)] = credential

    def replace_credential(self, before: CredentialRecord, after: CredentialRecord) -> None:
        self._check_version(before)
        self._put_credential(after.model_copy(update={"version": before.version}), bump=True)


class _Activities(_Tables):
    """Activities and the credentials' running totals, written only over what was read."""

    def activities(self, member_id: str) -> list[ActivityRecord]:
        return [a for (m, _), a in sorted(self.activities_by_key.items()) if m == member_id]

    def activity(self, member_id: str, activity_id: str) -> ActivityRecord:
        found = self.activities_by_key.get((member_id, activity_id))
        if found is None:
            raise NotFound(f"No CE activity {activity_id}.", code="ACTIVITY_NOT_FOUND")
        return found

    def record_activity(self, activity: ActivityRecord, totals: list[TotalsWrite]) -> None:
        guards = [(activity.member_id, code, key) for code, key in activity.dedup_keys.items()]
        if (activity.member_id, activity.activity_id) in self.activities_by_key or any(g in self.dedup for g in guards):
            raise Conflict("This activity is already recorded.", code="DUPLICATE_ACTIVITY")
        self._check_totals(totals)
        self.activities_by_key[(activity.member_id, activity.activity_id)] = activity
        self.dedup.update({g: activity.activity_id for g in guards})
        self._apply_totals(totals)

    def replace_activity(self, old: ActivityRecord, new: ActivityRecord, totals: list[TotalsWrite]) -> None:
        self._check_activity(old)
        added = {(new.member_id, c, k) for c, k in new.dedup_keys.items() if old.dedup_keys.get(c) != k}
        if any(self.dedup.get(g) not in (None, old.activity_id) for g in added):
            raise Conflict("This activity is already recorded.", code="DUPLICATE_ACTIVITY")
        self._check_totals(totals)
        for code, key in old.dedup_keys.items():
            if new.dedup_keys.get(code) != key:
                self.dedup.pop((old.member_id, code, key), None)
        self.dedup.update({g: new.activity_id for g in added})
        self.activities_by_key[(new.member_id, new.activity_id)] = new.model_copy(update={"version": old.version + 1})
        self._apply_totals(totals)

    def delete_activity(self, activity: ActivityRecord, totals: list[TotalsWrite]) -> None:
        self._check_activity(activity)
        self._check_totals(totals)
        del self.activities_by_key[(activity.member_id, activity.activity_id)]
        for code, key in activity.dedup_keys.items():
            self.dedup.pop((activity.member_id, code, key), None)
        self._apply_totals(totals)

    def _check_activity(self, read: ActivityRecord) -> None:
        stored = self.activities_by_key.get((read.member_id, read.activity_id))
        if stored is None or stored.version != read.version:
            raise StaleWrite()

    def _check_totals(self, totals: list[TotalsWrite]) -> None:
        for write in totals:
            self._check_version(write.credential)
            stored = self.held[(write.credential.member_id, write.credential.code)]
            if stored.cycle_start != write.credential.cycle_start:
                raise StaleWrite()

    def _apply_totals(self, totals: list[TotalsWrite]) -> None:
        for write in totals:
            self._put_credential(write.credential, bump=True)
            unlock = write.unlock_invoice
            if unlock is not None and unlock.available_on is not None:
                stored = self.invoices[(unlock.member_id, unlock.invoice_id)]
                if stored.state == "locked":
                    self._put_invoice(stored.model_copy(update={"available_on": unlock.available_on}))
                    self.unlock_listed.add((unlock.member_id, unlock.invoice_id))
            if write.relock_invoice is not None:
                key = (write.relock_invoice.member_id, write.relock_invoice.invoice_id)
                stored = self.invoices[key]
                if stored.state in ("locked", "open"):
                    self._put_invoice(stored.model_copy(update={"state": "locked", "available_on": None}))
                    self.unlock_listed.discard(key)


class _Money(_Tables):
    """Invoices and payments: a settlement lands whole or not at all."""

    def issue_invoice(self, invoice: InvoiceRecord, credential: CredentialRecord) -> tuple[InvoiceRecord, bool]:
        key = (invoice.member_id, invoice.invoice_id)
        issued = key not in self.invoices
        if issued:
            self._put_invoice(invoice)
        stored = self.invoices[key]
        held = self.held[(credential.member_id, credential.code)]
        if stored.closes_cycle and held.closing_invoice_id != stored.invoice_id:
            self.held[(credential.member_id, credential.code)] = held.model_copy(
                update={"closing_invoice_id": stored.invoice_id}
            )
        return stored, issued

    def invoice(self, member_id: str, code: str, anniversary: date) -> InvoiceRecord:
        return next(
            i
            for (m, _), i in self.invoices.items()
            if m == member_id and i.credential == code and i.anniversary == anniversary and not i.application_id
        )

    def open_invoice(self, invoice: InvoiceRecord) -> bool:
        key = (invoice.member_id, invoice.invoice_id)
        self.unlock_listed.discard(key)
        stored = self.invoices[key]
        if stored.state != "locked":
            return False
        self._put_invoice(stored.model_copy(update={"state": "open"}))
        return True

    def void_invoice(self, invoice: InvoiceRecord, decision: Decision, *, voided_on: date) -> bool:
        key = (invoice.member_id, invoice.invoice_id)
        stored = self.invoices[key]
        if stored.state not in UNPAID_STATES:
            return False
        voided = {"state": "void", "voided_on": voided_on, "history": [*stored.history, decision]}
        self._put_invoice(stored.model_copy(update=voided))
        self.unlock_listed.discard(key)
        return True

    def pay(self, invoice: InvoiceRecord, payment: PaymentRecord, settlement: Settlement, *, paid_on: date) -> None:
        self._check_reference(payment)
        stored = self.invoices[(invoice.member_id, invoice.invoice_id)]
        if stored.state not in UNPAID_STATES:
            raise Conflict("This invoice is already paid.", code="INVOICE_ALREADY_PAID")
        self._check_settlement(settlement)
        paid = {"state": "paid", "paid_on": paid_on, "payment_id": payment.payment_id}
        spent = {"checkout_id": None, "checkout_url": None, "checkout_expires_at": None}
        self._put_invoice(stored.model_copy(update=paid | spent))
        self.unlock_listed.discard((invoice.member_id, invoice.invoice_id))
        self._keep(payment)
        if settlement.archive is not None:
            archived = settlement.archive.credential
            key = (archived.member_id, archived.code, archived.cycle_start)
            if key in self.archives:
                raise StaleWrite()  # a cycle rolls over once
            self.archives[key] = settlement.archive
        self._apply_settlement(settlement)

    def refund(
        self, invoice: InvoiceRecord, refunded: PaymentRecord, settlement: Settlement, *, refunded_on: date
    ) -> None:
        stored = self.invoices[(invoice.member_id, invoice.invoice_id)]
        kept = self.payments.get((refunded.member_id, refunded.processor_reference))
        if stored.state != "paid" or stored.payment_id != refunded.payment_id or kept is None or kept.state != "paid":
            raise Conflict("This payment is no longer the one that pays the invoice.", code="PAYMENT_NOT_CURRENT")
        self._check_settlement(settlement)
        was_paid = [PaidPeriod(paid_on=stored.paid_on, refunded_on=refunded_on)] if stored.paid_on else []
        unpaid = {"state": "refunded", "paid_on": None, "earlier_payments": [*stored.earlier_payments, *was_paid]}
        self._put_invoice(stored.model_copy(update=unpaid))
        self.payments[(refunded.member_id, refunded.processor_reference)] = refunded
        reference = self.references[refunded.processor_reference]
        self.references[refunded.processor_reference] = reference._replace(state="refunded")
        self._apply_settlement(settlement)
        for restored in settlement.restored_invoices:
            self._put_invoice(restored)

    def _check_settlement(self, settlement: Settlement) -> None:
        if settlement.credential is not None:
            self._check_version(settlement.credential[0])
        if settlement.application is not None:
            read = settlement.application[0]
            if self.applications_by_key[(read.member_id, read.application_id)].version != read.version:
                raise StaleWrite()

    def _apply_settlement(self, settlement: Settlement) -> None:
        if settlement.credential is not None:
            before, after = settlement.credential
            self._put_credential(after.model_copy(update={"version": before.version}), bump=True)
        if settlement.application is not None:
            read, decided = settlement.application
            self.applications_by_key[(decided.member_id, decided.application_id)] = decided.model_copy(
                update={"version": read.version + 1}
            )

    def keep_payment(self, payment: PaymentRecord) -> None:
        """A fee paid before the program's record begins (an import's history): kept, with its reference
        used once across the body, but no invoice to settle."""
        self._check_reference(payment)
        self._keep(payment)

    def _check_reference(self, payment: PaymentRecord) -> None:
        """A processor reference is used once across the body (the table's reference guard)."""
        if (payment.member_id, payment.processor_reference) in self.payments or (
            payment.processor_reference in self.references
        ):
            raise Conflict("This payment reference was already recorded.", code="DUPLICATE_PAYMENT")

    def _keep(self, payment: PaymentRecord) -> None:
        self.payments[(payment.member_id, payment.processor_reference)] = payment
        self.references[payment.processor_reference] = PaymentReference(
            payment.processor_reference, "paid", payment.member_id, payment.invoice_id, payment.payment_id
        )

    def payment_reference(self, reference: str) -> PaymentReference | None:
        return self.references.get(reference)

    def payment(self, member_id: str, reference: str) -> PaymentRecord | None:
        return self.payments.get((member_id, reference))

    def payments_of(self, member_id: str) -> list[PaymentRecord]:
        return [p for (m, _), p in sorted(self.payments.items()) if m == member_id]

    def refunded_before_recorded(self, reference: str) -> bool:
        if reference in self.references:
            return False
        self.references[reference] = PaymentReference(reference, "refunded")
        return True

    def park_payment(self, parked: ParkedPayment) -> bool:
        if parked.event_id in self.parked:
            return False
        self.parked[parked.event_id] = parked
        return True

    def parked_payments(self, limit: int = 100) -> list[ParkedPayment]:
        return sorted(self.parked.values(), key=lambda p: p.received_at, reverse=True)[:limit]


class _Notices(_Tables):
    """The notice ledger: each notice claimed once."""

    @staticmethod
    def _claim_key(claim: NoticeClaim) -> ClaimKey:
        return (claim.member_id, claim.credential, claim.kind, claim.period, claim.channel)

    def claim(self, claim: NoticeClaim, *, stale_before: str) -> bool:
        stored = self.claims.get(self._claim_key(claim))
        if stored is not None and not (stored.state == "claimed" and stored.claimed_at < stale_before):
            return False
        self.claims[self._claim_key(claim)] = claim
        return True

    def take_over(self, claim: NoticeClaim, *, claimed_at: str, stale_before: str) -> NoticeClaim | None:
        stored = self.claims.get(self._claim_key(claim))
        if stored is None or stored.state != "claimed" or stored.claimed_at != claim.claimed_at:
            return None
        if stored.claimed_at >= stale_before:
            return None
        renewed = claim.model_copy(update={"claimed_at": claimed_at})
        self.claims[self._claim_key(claim)] = renewed
        return renewed

    def mark_sent(self, claims: list[NoticeClaim], sent_at: str) -> None:
        for claim in claims:
            self.claims[self._claim_key(claim)] = claim.model_copy(update={"state": "sent", "sent_at": sent_at})

    def record_failure(self, claim: NoticeClaim, error: str, *, park: bool) -> None:
        failed = {"attempts": claim.attempts + 1, "last_error": error[:500], "state": "parked" if park else "claimed"}
        self.claims[self._claim_key(claim)] = claim.model_copy(update=failed)

    def requeue_parked(self, claim: NoticeClaim, *, claimed_at: str) -> bool:
        stored = self.claims.get(self._claim_key(claim))
        if stored is None or stored.state != "parked":
            return False
        requeued = {"state": "claimed", "attempts": 0, "claimed_at": claimed_at}
        self.claims[self._claim_key(claim)] = claim.model_copy(update=requeued)
        return True

    def notices_sent_between(self, member_id: str, days: tuple[date, date]) -> list[NoticeClaim]:
        """The notices sent to a member by the runs of the days from `days[0]` up to (not on) `days[1]`."""
        first, last = days
        return [
            c
            for c in self.claims.values()
            if c.member_id == member_id
            and c.state == "sent"
            and first <= business_date(datetime.fromisoformat(c.claimed_at)) < last
        ]

    def parked_notices(self) -> Iterator[list[NoticeClaim]]:
        yield sorted((c for c in self.claims.values() if c.state == "parked"), key=lambda c: c.claimed_at)


class _Recertification(_Tables):
    """Applications, documents and audits."""

    def create_application(self, application: ApplicationRecord, fee: InvoiceRecord) -> None:
        key = (application.member_id, application.application_id)
        if key in self.applications_by_key or (fee.member_id, fee.invoice_id) in self.invoices:
            raise Conflict("This application already exists.", code="APPLICATION_EXISTS")
        self.applications_by_key[key] = application
        self._put_invoice(fee)

    def application(self, member_id: str, application_id: str) -> ApplicationRecord:
        found = self.applications_by_key.get((member_id, application_id))
        if found is None:
            raise NotFound(f"No application {application_id}.", code="APPLICATION_NOT_FOUND")
        return found

    def applications(self, member_id: str) -> list[ApplicationRecord]:
        return [a for (m, _), a in sorted(self.applications_by_key.items()) if m == member_id]

    def review_queue(self, state: str) -> list[ApplicationRecord]:
        return [a for a in self.applications_by_key.values() if a.state == state]

    def save_application(
        self,
        before: ApplicationRecord,
        after: ApplicationRecord,
        credential: tuple[CredentialRecord, CredentialRecord] | None = None,
        voided: Sequence[InvoiceRecord] = (),
        replaced: EarlierCredential | None = None,
    ) -> None:
        if self.application(before.member_id, before.application_id).version != before.version:
            raise StaleWrite()
        if credential is not None:
            self._check_version(credential[0])
            self._put_credential(credential[1].model_copy(update={"version": credential[0].version}), bump=True)
        self.applications_by_key[(after.member_id, after.application_id)] = after.model_copy(
            update={"version": before.version + 1}
        )
        for invoice in voided:
            self._put_invoice(invoice)
        if replaced is not None:
            c = replaced.credential
            self.archives[(c.member_id, c.code, c.cycle_start, replaced.replaced_on)] = replaced

    def put_document(self, document: DocumentRecord) -> None:
        self.documents[(document.member_id, document.document_id)] = document

    def document(self, member_id: str, document_id: str) -> DocumentRecord | None:
        return self.documents.get((member_id, document_id))

    def audit_run(self, year: int) -> dict[str, Any] | None:
        return self.audit_runs.get(year)

    def record_audit_run(self, year: int, run: dict[str, Any]) -> dict[str, Any]:
        return self.audit_runs.setdefault(year, run)

    def put_audit(self, audit: AuditRecord) -> bool:
        key = (audit.member_id, audit.audit_id)
        if key in self.audits:
            return False
        self.audits[key] = audit
        return True

    def audits_of(self, member_id: str) -> list[AuditRecord]:
        return [a for (m, _), a in sorted(self.audits.items()) if m == member_id]

    def audits_of_year(self, year: int) -> list[AuditRecord]:
        return [a for _, a in sorted(self.audits.items()) if a.year == year]

    def open_audits_due_in(self, month: date, shard: int) -> list[AuditRecord]:
        return [
            a
            for _, a in sorted(self.audits.items())
            if a.state == "open" and (a.deadline.year, a.deadline.month) == (month.year, month.month)
        ]

    def save_audit(
        self,
        before: AuditRecord,
        after: AuditRecord,
        credential: tuple[CredentialRecord, CredentialRecord] | None = None,
    ) -> None:
        if self.audits[(before.member_id, before.audit_id)].version != before.version:
            raise StaleWrite()
        if credential is not None:
            self._check_version(credential[0])
            self._put_credential(credential[1].model_copy(update={"version": credential[0].version}), bump=True)
        self.audits[(after.member_id, after.audit_id)] = after.model_copy(update={"version": before.version + 1})


class _Lists(_Tables):
    """The jobs' own ledger and the work lists, as the sparse indexes list them."""

    def state(self, job: str) -> JobState | None:
        return self.jobs.get(job)

    def states(self) -> list[JobState]:
        return [self.jobs[name] for name in sorted(self.jobs)]

    def finished(self, job: str, day: date, at: datetime) -> None:
        state = self.jobs.get(job) or JobState(job=job)
        forward = state.last_day_done is None or state.last_day_done < day
        self.jobs[job] = state.model_copy(update={"last_run_at": at} | ({"last_day_done": day} if forward else {}))

    def failed(self, job: str, at: datetime, error: str) -> None:
        state = self.jobs.get(job) or JobState(job=job)
        self.jobs[job] = state.model_copy(update={"last_run_at": at, "last_error": error, "last_error_at": at})

    def anniversaries_page(self, month: int, shard: int, start: Cursor | None, limit: int) -> Page[CredentialRecord]:
        listed = [c for c in self.held.values() if c.anchor.month == month]
        return _page(sorted(listed, key=lambda c: (c.anchor.day, c.member_id, c.code)), start, limit)

    def unpaid_invoices_page(self, month: date, shard: int, start: Cursor | None, limit: int) -> Page[InvoiceRecord]:
        listed = [i for i in self._due() if (i.due_date.year, i.due_date.month) == (month.year, month.month)]
        return _page(listed, start, limit)

    def unmet_cycles_page(
        self, month: date, shard: int, start: Cursor | None, limit: int, *, day: date | None = None
    ) -> Page[CredentialRecord]:
        listed = [
            c
            for c in self._unmet()
            if (c.cycle_end.year, c.cycle_end.month) == (month.year, month.month) and day in (None, c.cycle_end)
        ]
        return _page(listed, start, limit)

    def unpaid_invoices_due_on(self, day: date, shard: int) -> Iterator[list[InvoiceRecord]]:
        yield [i for i in self._due() if i.due_date == day]

    def unmet_cycles_ending_on(self, day: date, shard: int) -> Iterator[list[CredentialRecord]]:
        yield [c for c in self._unmet() if c.cycle_end == day]

    def invoices_unlocking_in(self, month: date, shard: int) -> Iterator[list[InvoiceRecord]]:
        yield [
            i
            for key, i in sorted(self.invoices.items())
            if key in self.unlock_listed
            and i.available_on is not None
            and (i.available_on.year, i.available_on.month) == (month.year, month.month)
        ]

    def cycles_rolled_over_in(self, year: int, shard: int) -> Iterator[list[RolledOver]]:
        yield [
            RolledOver(
                a.credential.member_id,
                a.credential.code,
                a.credential.cycle_start.isoformat(),
                a.credential.cycle_end.isoformat(),
                a.credential.contact,
            )
            for _, a in sorted(self.archives.items())
            if a.replaced_by == "roll_over" and a.replaced_on.year == year
        ]

    def stale_claims(self, shard: int, stale_before: str, start: Cursor | None, limit: int) -> Page[NoticeClaim]:
        listed = [c for c in self.claims.values() if c.state == "claimed" and c.claimed_at < stale_before]
        return _page(sorted(listed, key=lambda c: (c.claimed_at, c.member_id)), start, limit)

    def _due(self) -> list[InvoiceRecord]:
        unpaid = [i for i in self.invoices.values() if i.state in UNPAID_STATES and i.purpose == "renewal"]
        return sorted(unpaid, key=lambda i: (i.due_date, i.member_id, i.credential))

    def _unmet(self) -> list[CredentialRecord]:
        unmet = [c for c in self.held.values() if listed_as_unmet(c)]
        return sorted(unmet, key=lambda c: (c.cycle_end, c.member_id, c.code))


def _page(entities: list[Any], start: Cursor | None, limit: int) -> Page[Any]:
    at = int(start["at"]) if start else 0
    chunk = entities[at : at + limit]
    more = at + limit < len(entities)
    return Page(chunk, {"at": at + limit} if more else None)


class InMemoryStore(_Members, _Activities, _Money, _Notices, _Recertification, _Lists):
    """Every repository port of the program over one set of entities in memory."""

    def member_file(self, member_id: str) -> MemberFile:
        def mine(entries: dict[Any, Any]) -> list[Any]:
            return [v for k, v in sorted(entries.items()) if k[0] == member_id]

        return MemberFile(
            state=self.member_state(member_id),
            activities=self.activities(member_id),
            payments=mine(self.payments),
            notices=mine(self.claims),
            applications=mine(self.applications_by_key),
            audits=mine(self.audits),
        )

    def absorb(self, other: InMemoryStore, member_id: str, *, notices_between: tuple[date, date] | None = None) -> None:
        """One member's entities from another store (an import's replay), as the import writes them
        (ccp.data.imports.ImportedMembers.write), with the notices it sent on the days `notices_between`."""

        def mine(entries: dict[Any, Any]) -> dict[Any, Any]:
            return {k: v for k, v in entries.items() if k[0] == member_id}

        self.profiles[member_id] = other.profiles[member_id]
        self.known.update({k: v for k, v in other.known.items() if v == member_id})
        for name in ("held", "invoices", "activities_by_key", "dedup", "payments"):
            getattr(self, name).update(mine(getattr(other, name)))
        self.unlock_listed |= {k for k in other.unlock_listed if k[0] == member_id}
        self.references.update({r: p for r, p in other.references.items() if p.member_id == member_id})
        self.archives.update({k: a for k, a in other.archives.items() if a.credential.member_id == member_id})
        for claim in other.notices_sent_between(member_id, notices_between) if notices_between else []:
            self.claims[self._claim_key(claim)] = claim
