"""The annual CCP audit (docs/rules.md §6): a reproducible draw from a stored population snapshot and
seed, notices, proof uploads, staff decisions, and failure on a missed deadline."""

from __future__ import annotations

import hashlib
import json
import math
import random
import secrets
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from ccp.data.members import MemberRepository
from ccp.data.recertification import RecertificationRepository
from ccp.data.work_lists import WorkLists
from ccp.data.writes import retry_on_stale
from ccp.decision_notices import audit_notice, audit_reminder
from ccp.domain.records import AuditRecord, Contact, Decision
from ccp.errors import Conflict, NotFound, RuleViolation
from ccp.notices import Notice, NoticeSender
from ccp.rules.dates import add_months, business_date
from ccp.rules.versions import RuleBook
from recertify.service import EventsPort, StaffMember, member_of

# An open audit without proof is reminded this many days before its deadline (docs/rules.md §9).
REMINDER_DAYS = 14


class DocumentsPort(Protocol):
    def uploaded(self, key: str) -> bool: ...


class SnapshotPort(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> str: ...
    def get(self, key: str) -> bytes: ...


def audit_id_for(member_id: str, year: int, code: str) -> str:
    return f"{member_id}.{year}.{code}"


def draw(population: list[dict[str, Any]], seed: int, share) -> list[dict[str, Any]]:
    """The same population and seed always select the same members (the draw can be re-run and defended)."""
    size = math.ceil(len(population) * share) if population else 0
    return random.Random(seed).sample(population, size)


class AuditService:
    def __init__(
        self,
        members: MemberRepository,
        repository: RecertificationRepository,
        lists: WorkLists,
        snapshots: SnapshotPort,
        sender: NoticeSender,
        rule_book: RuleBook,
        events: EventsPort,
        documents: DocumentsPort,
    ):
        self._documents = documents
        self._members = members
        self._repo = repository
        self._lists = lists
        self._snapshots = snapshots
        self._sender = sender
        self._rule_book = rule_book
        self._events = events

    # ---- the January run -----------------------------------------------------------------

    def run(self, moment: datetime) -> dict[str, Any]:
        today = business_date(moment)
        year = today.year - 1
        rules = self._rule_book.in_force_on(today)
        recorded = self._repo.audit_run(year)
        if recorded is None:
            population = rolled_over_population(self._lists, year)
            body = json.dumps(population, sort_keys=True).encode()
            key = self._snapshots.put(f"audits/{year}/population.json", body, "application/json")
            recorded = self._repo.record_audit_run(
                year,
                {
                    "seed": str(secrets.randbits(63)),
                    "share": str(rules.audit_share),
                    "population_key": f"audits/{year}/population.json",
                    "population_sha256": hashlib.sha256(body).hexdigest(),
                    "population_size": len(population),
                    "drawn_on": today.isoformat(),
                    "snapshot_uri": key,
                },
            )
        population = json.loads(self._snapshots.get(recorded["population_key"]))
        selected = draw(population, int(recorded["seed"]), rules.audit_share.__class__(recorded["share"]))
        deadline = date.fromisoformat(recorded["drawn_on"]) + timedelta(days=rules.audit_response_days)
        notices, created = [], 0
        for entry in selected:
            contact = Contact.model_validate(entry["contact"]) if entry.get("contact") else None
            audit = AuditRecord(
                member_id=entry["member_id"],
                audit_id=audit_id_for(entry["member_id"], year, entry["code"]),
                year=year,
                credential=entry["code"],
                cycle_start=date.fromisoformat(entry["cycle_start"]),
                cycle_end=date.fromisoformat(entry["cycle_end"]),
                state="open",
                selected_on=date.fromisoformat(recorded["drawn_on"]),
                deadline=deadline,
                first_deadline=deadline,
                contact=contact,
            )
            if self._repo.put_audit(audit):
                created += 1
            if contact is not None:
                data = {
                    "name": contact.name,
                    "credential": audit.credential,
                    "cycle_start": audit.cycle_start.isoformat(),
                    "cycle_end": audit.cycle_end.isoformat(),
                    "deadline": deadline.isoformat(),
                    "audit_id": audit.audit_id,
                }
                notices.append(Notice(audit.member_id, audit.credential, "audit_notice", str(year), data, contact))
        tally = self._sender.send(notices, moment=moment, batch_name=f"mail-batches/{today.isoformat()}/audit-{year}")
        return {
            "year": year,
            "population": len(population),
            "selected": len(selected),
            "audits_created": created,
            "seed": recorded["seed"],
            "population_sha256": recorded["population_sha256"],
            "deadline": deadline.isoformat(),
            **tally.as_dict(),
        }

    # ---- members and staff ---------------------------------------------------------------

    def member_audits(self, member_id: str) -> list[AuditRecord]:
        return sorted(self._repo.audits_of(member_id), key=lambda a: a.year)

    def year_audits(self, year: int) -> list[AuditRecord]:
        return sorted(self._repo.audits_of_year(year), key=lambda a: a.audit_id)

    def attach(self, audit_id: str, document_id: str) -> None:
        def attempt() -> None:
            audit = self._audit(audit_id)
            if audit.state != "open":
                raise Conflict("This audit is closed.", code="AUDIT_CLOSED")
            self._repo.save_audit(audit, audit.model_copy(update={"document_ids": [*audit.document_ids, document_id]}))

        retry_on_stale(attempt)

    def decide(
        self,
        audit_id: str,
        *,
        passed: bool,
        note: str | None,
        staff: StaffMember,
        today: date,
        now: datetime,
        member_note: str | None = None,
    ) -> AuditRecord:
        staff.ensure_not_own(member_of(audit_id))
        if passed:
            audit = self._audit(audit_id)
            if not any(self._uploaded(audit.member_id, d) for d in audit.document_ids):
                # An upload form alone is not a document (docs/rules.md §7).
                raise Conflict("No proof is uploaded for this audit yet; it cannot pass.", code="NO_UPLOADED_DOCUMENT")
        return self._close(
            audit_id,
            passed=passed,
            decision=Decision(
                by=staff.subject, at=now, action="passed" if passed else "failed", note=note, member_note=member_note
            ),
            today=today,
        )

    def extend_deadline(
        self,
        audit_id: str,
        *,
        deadline: date,
        reason: str,
        staff: StaffMember,
        today: date,
        now: datetime,
        member_note: str | None = None,
    ) -> AuditRecord:
        """A later deadline for an open audit (illness, a lost letter): the reason is kept with it."""
        staff.ensure_not_own(member_of(audit_id))

        def attempt() -> AuditRecord:
            audit = self._audit(audit_id)
            if audit.state != "open":
                raise Conflict(f"This audit is already {audit.state}.", code="AUDIT_CLOSED")
            if deadline <= max(audit.deadline, today):
                raise RuleViolation(
                    f"The new deadline must be after {max(audit.deadline, today).isoformat()}.",
                    code="DEADLINE_NOT_LATER",
                )
            latest = latest_deadline(audit, self._rule_book)
            if deadline > latest:
                raise RuleViolation(
                    f"A deadline may be moved to {latest.isoformat()} at the latest (one year after the first).",
                    code="DEADLINE_TOO_LATE",
                )
            action = f"deadline moved from {audit.deadline.isoformat()} to {deadline.isoformat()}"
            moved = Decision(by=staff.subject, at=now, action=action, note=reason, member_note=member_note)
            after = audit.model_copy(update={"deadline": deadline, "decisions": [*audit.decisions, moved]})
            self._repo.save_audit(audit, after)
            return after

        return retry_on_stale(attempt)

    def _uploaded(self, member_id: str, document_id: str) -> bool:
        document = self._repo.document(member_id, document_id)
        return document is not None and self._documents.uploaded(document.key)

    def expire(self, moment: datetime) -> dict[str, Any]:
        """Open audits past their deadline fail (no answer): the member must recertify. Those due in
        REMINDER_DAYS are reminded (once: the ledger)."""
        today = business_date(moment)
        reminded = self._remind(moment, today + timedelta(days=REMINDER_DAYS))
        failed = 0
        for month in (add_months(today.replace(day=1), -1), today.replace(day=1)):
            for shard in range(self._repo.index_shards):
                for audit in self._repo.open_audits_due_in(month, shard):
                    if audit.state == "open" and audit.deadline < today:
                        decision = Decision(by="system", at=moment, action="failed", note="no proof by the deadline")
                        self._close(audit.audit_id, passed=False, decision=decision, today=today)
                        failed += 1
        return {"date": today.isoformat(), "audits_failed_for_no_answer": failed, "audits_reminded": reminded}

    def _remind(self, moment: datetime, deadline: date) -> int:
        notices = [
            audit_reminder(audit, self._members.member_state(audit.member_id).profile.contact)
            for shard in range(self._repo.index_shards)
            for audit in self._repo.open_audits_due_in(deadline.replace(day=1), shard)
            if audit.state == "open" and audit.deadline == deadline and not audit.document_ids
        ]
        batch = f"mail-batches/{business_date(moment).isoformat()}/audit-reminders"
        self._sender.send(notices, moment=moment, batch_name=batch)
        return len(notices)

    def _close(self, audit_id: str, *, passed: bool, decision: Decision, today: date) -> AuditRecord:
        def attempt() -> AuditRecord:
            audit = self._audit(audit_id)
            if audit.state != "open":
                raise Conflict(f"This audit is already {audit.state}.", code="AUDIT_CLOSED")
            after = audit.model_copy(
                update={"state": "passed" if passed else "failed", "decisions": [*audit.decisions, decision]}
            )
            credential_change = None
            if not passed:
                state = self._members.member_state(audit.member_id)
                credential = state.held(audit.credential)
                lapsed = credential.model_copy(
                    update={
                        "status": "must_recertify",
                        "status_since": today,
                        "recertification_required": True,
                        "recertification_required_on": today,
                        "lapsed_since": today,
                    }
                )
                credential_change = (credential, lapsed)
            self._repo.save_audit(audit, after, credential_change)
            if not passed:
                self._events.publish(
                    "CredentialLapsed",
                    {"member_id": audit.member_id, "credential": audit.credential, "reason": "audit_failed"},
                )
            return after

        closed = retry_on_stale(attempt)
        # The member hears of the outcome once (the ledger keeps it, whoever closes the audit again).
        contact = self._members.member_state(closed.member_id).profile.contact
        batch = f"mail-batches/{today.isoformat()}/audit-outcomes"
        self._sender.send([audit_notice(closed, decision, contact)], moment=decision.at, batch_name=batch)
        return closed

    def _audit(self, audit_id: str) -> AuditRecord:
        member_id = member_of(audit_id)
        found = next((a for a in self._repo.audits_of(member_id) if a.audit_id == audit_id), None)
        if found is None:
            raise NotFound(f"No audit {audit_id}.", code="AUDIT_NOT_FOUND")
        return found


def rolled_over_population(lists: WorkLists, year: int) -> list[dict[str, Any]]:
    """Members who rolled over in `year`, from the archived cycles, in a stable order."""
    entries = {}
    for shard in range(lists.index_shards):
        for cycles in lists.cycles_rolled_over_in(year, shard):
            for cycle in cycles:
                entries[(cycle.member_id, cycle.code)] = {
                    "member_id": cycle.member_id,
                    "code": cycle.code,
                    "cycle_start": cycle.cycle_start,
                    "cycle_end": cycle.cycle_end,
                    "contact": cycle.contact.model_dump(mode="json", exclude_none=True) if cycle.contact else None,
                }
    return [entries[k] for k in sorted(entries)]


def latest_deadline(audit: AuditRecord, rule_book: RuleBook) -> date:
    """One year after the audit's first deadline: as late as staff may move it (a versioned rule value)."""
    rules = rule_book.in_force_on(audit.selected_on)
    first = audit.first_deadline or audit.selected_on + timedelta(days=rules.audit_response_days)
    return first + timedelta(days=rules.audit_deadline_max_extension_days)
