"""Recertification (docs/rules.md §7): options, applications and their fee, staff decisions, exam
results, reinstatement; and the documents members upload as proof."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple, Protocol

from aws_lambda_powertools import Logger

from ccp.access import is_own_case
from ccp.data.members import MemberRepository
from ccp.data.recertification import DocumentStore, RecertificationRepository
from ccp.data.writes import retry_on_stale
from ccp.decision_notices import application_notice, reinstated_notice
from ccp.domain.records import (
    ApplicationRecord,
    CredentialRecord,
    Decision,
    EarlierCredential,
    InvoiceRecord,
)
from ccp.domain.values import ActivityClaim
from ccp.errors import Conflict, Forbidden, NotFound, RuleViolation
from ccp.rules.dates import business_date
from ccp.rules.recertification import (
    EvidenceItem,
    Options,
    RecertPath,
    check_ccp_evidence,
    options_for,
)
from ccp.rules.renewals import UNPAID_STATES
from ccp.rules.standing import credential_status, reinstated
from ccp.rules.versions import RuleBook

if TYPE_CHECKING:
    pass

logger = Logger(child=True)
OPEN_STATES = ("awaiting_payment", "submitted", "staff_review", "exam_authorized")
DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class EventsPort(Protocol):
    def publish(self, detail_type: str, detail: dict) -> None: ...


class EvidenceActivity(NamedTuple):
    claim: ActivityClaim
    document_ids: list[str]


class Application(NamedTuple):
    credential: str
    path: RecertPath
    felony_conviction: bool
    activities: list[EvidenceActivity]
    document_ids: list[str]
    attested: bool


class StaffMember(NamedTuple):
    """Who decides: the staff user, and the member id their login also carries (staff may be members)."""

    subject: str
    member_id: str | None = None

    def ensure_not_own(self, member_id: str) -> None:
        """Nobody decides their own case (docs/rules.md §7)."""
        if is_own_case(self.member_id, member_id):
            raise Forbidden("Staff cannot decide their own case; another staff member must.", code="OWN_CASE")


def member_of(compound_id: str) -> str:
    """Application and audit ids start with the member id (`<member>.<rest>`)."""
    member_id, _, rest = compound_id.partition(".")
    if not member_id or not rest:
        raise NotFound("No such record.", code="NOT_FOUND")
    return member_id


class RecertificationService:
    def __init__(
        self,
        members: MemberRepository,
        repository: RecertificationRepository,
        documents: DocumentStore,
        rule_book: RuleBook,
        events: EventsPort,
        sender=None,
    ):
        self._members = members
        self._repo = repository
        self._documents = documents
        self._rule_book = rule_book
        self._events = events
        self._sender = sender  # the reinstatement email, through the notice ledger

    # ---- member side ---------------------------------------------------------------------

    def options(self, member_id: str, code: str, today: date) -> tuple[str, Options]:
        state = self._members.member_state(member_id)
        credential = self._credential(state, code, today)
        return credential.code, self._options(credential, state.invoices_of(credential.code), today)

    def apply(self, member_id: str, request: Application, *, today: date, now: datetime) -> ApplicationRecord:
        state = self._members.member_state(member_id)
        credential = self._credential(state, request.credential, today)
        options = self._options(credential, state.invoices_of(credential.code), today)
        if not options.open:
            raise Conflict(options.closed[0].reason, code="NOT_ELIGIBLE")
        if request.path not in options.open:
            closed = next(c for c in options.closed if c.path == request.path)
            raise RuleViolation(closed.reason, code=f"{request.path.value.upper()}_PATH_NOT_ALLOWED")
        if not request.attested:
            raise RuleViolation("The application must be attested as correct.", code="NOT_ATTESTED")
        if any(a.credential == credential.code and a.state in OPEN_STATES for a in self._repo.applications(member_id)):
            raise Conflict("An application for this credential is already open.", code="APPLICATION_OPEN")
        known = self._known_documents(
            member_id, request.document_ids + [d for a in request.activities for d in a.document_ids]
        )
        rules = self._rule_book.in_force_on(today)
        counted = None
        if request.path == RecertPath.CCP:
            if not known:  # supporting documentation, really stored (docs/rules.md §7)
                raise RuleViolation(
                    "A CCP application carries at least one uploaded supporting document.", code="DOCUMENT_REQUIRED"
                )
            evidence = [EvidenceItem(a.claim, has_document=bool(a.document_ids)) for a in request.activities]
            counted = check_ccp_evidence(credential.code, evidence, application_date=today, rules=rules).counted_points
        token = secrets.token_hex(4).upper()
        application_id = f"{member_id}.{token}"
        fee = InvoiceRecord(
            member_id=member_id,
            invoice_id=f"RC-{token}",
            credential=credential.code,
            anniversary=today,
            amount=rules.recertification_fees[request.path.value],
            currency=rules.fee_currency,
            issued_on=today,
            due_date=today + timedelta(days=rules.recertification_fee_due_days),
            state="open",
            closes_cycle=False,
            cycle_start=credential.cycle_start,
            available_on=today,
            contact=credential.contact,
            purpose="recertification",
            application_id=application_id,
        )
        application = ApplicationRecord(
            member_id=member_id,
            application_id=application_id,
            credential=credential.code,
            path=request.path.value,
            state="awaiting_payment",
            felony_conviction=request.felony_conviction,
            activities=[
                {**a.claim.model_dump(mode="json"), "document_ids": a.document_ids} for a in request.activities
            ],
            document_ids=sorted(known),
            counted_points=counted,
            fee_invoice_id=fee.invoice_id,
            applied_on=today,
            created_at=now,
        )
        self._repo.create_application(application, fee)
        return application

    def application(self, member_id: str, application_id: str) -> ApplicationRecord:
        if member_of(application_id) != member_id:
            raise NotFound(f"No application {application_id}.", code="APPLICATION_NOT_FOUND")
        return self._repo.application(member_id, application_id)

    # ---- staff side ----------------------------------------------------------------------

    def queue(self, state: str) -> list[ApplicationRecord]:
        return sorted(self._repo.review_queue(state), key=lambda a: a.created_at)

    def decide(
        self,
        application_id: str,
        *,
        approve: bool,
        note: str | None,
        staff: StaffMember,
        today: date,
        now: datetime,
        member_note: str | None = None,
    ) -> ApplicationRecord:
        staff.ensure_not_own(member_of(application_id))

        def attempt() -> ApplicationRecord:
            before = self._repo.application(member_of(application_id), application_id)
            if before.state == "awaiting_payment":
                raise Conflict("The application fee is not paid yet.", code="FEE_NOT_PAID")
            if before.state not in ("submitted", "staff_review"):
                raise Conflict(f"The application is {before.state}; there is nothing to decide.", code="INVALID_STATE")
            action = "approve" if approve else "reject"
            decision = Decision(by=staff.subject, at=now, action=action, note=note, member_note=member_note)
            after = before.model_copy(update={"decisions": [*before.decisions, decision]})
            if not approve:
                self._repo.save_application(before, after.model_copy(update={"state": "rejected"}))
                return after.model_copy(update={"state": "rejected"})
            if before.path == RecertPath.EXAM.value:
                authorized = after.model_copy(update={"state": "exam_authorized"})
                self._repo.save_application(before, authorized)
                return authorized
            return self._reinstate(before, after, today)

        decided = retry_on_stale(attempt)
        self._tell(decided, today)
        return decided

    def _tell(self, application: ApplicationRecord, today: date) -> None:
        """The member hears of the decision once (the ledger); a reinstatement sends its own welcome."""
        if self._sender is None:
            return
        contact = self._members.member_state(application.member_id).profile.contact
        notice = application_notice(application, application.decisions[-1], contact)
        if notice is not None:
            moment = application.decisions[-1].at
            self._sender.send([notice], moment=moment, batch_name=f"mail-batches/{today.isoformat()}/decisions")

    def record_exam(
        self,
        application_id: str,
        *,
        passed: bool,
        exam_date: date,
        staff: StaffMember,
        today: date,
        now: datetime,
        member_note: str | None = None,
    ) -> ApplicationRecord:
        staff.ensure_not_own(member_of(application_id))
        if exam_date > today:
            raise RuleViolation("The exam date cannot be in the future.", code="FUTURE_DATE")

        def attempt() -> ApplicationRecord:
            before = self._repo.application(member_of(application_id), application_id)
            if before.state != "exam_authorized":
                raise Conflict(f"The application is {before.state}; no exam is authorized.", code="INVALID_STATE")
            decision = Decision(
                by=staff.subject,
                at=now,
                action="exam_passed" if passed else "exam_failed",
                note=f"exam on {exam_date.isoformat()}",
                member_note=member_note,
            )
            after = before.model_copy(update={"decisions": [*before.decisions, decision], "exam_date": exam_date})
            if not passed:
                failed = after.model_copy(update={"state": "exam_failed"})
                self._repo.save_application(before, failed)
                return failed
            return self._reinstate(before, after, exam_date)

        recorded = retry_on_stale(attempt)
        self._tell(recorded, today)
        return recorded

    # ---- helpers -------------------------------------------------------------------------

    def _reinstate(self, before: ApplicationRecord, after: ApplicationRecord, day: date) -> ApplicationRecord:
        state = self._members.member_state(before.member_id)
        credential = state.held(before.credential)
        new = reinstated(credential, day, self._rule_book)
        unpaid = [i for i in state.invoices_of(credential.code) if i.purpose == "renewal" and i.state in UNPAID_STATES]
        # Past days stay as the records had them: before the day of this decision, the fees were owed and
        # the credential was the one it replaces.
        decided_on = business_date(after.decisions[-1].at)
        voided = [i.model_copy(update={"state": "void", "voided_on": decided_on}) for i in unpaid]
        done = after.model_copy(
            update={
                "state": "reinstated",
                "reinstated_on": day,
                # Kept so that a reversed fee can put back what this replaced (rules §4).
                "credential_before": credential,
                "voided_invoices": unpaid,
            }
        )
        replaced = EarlierCredential(credential=credential, replaced_on=decided_on, replaced_by="reinstatement")
        self._repo.save_application(before, done, credential=(credential, new), voided=voided, replaced=replaced)
        try:
            self._events.publish("CredentialReinstated", _cycle_detail(new, before.application_id))
        except Exception:
            logger.exception("CredentialReinstated event not published", extra={"credential": new.code})
        if self._sender is not None and new.contact is not None:
            # A failed send stays claimed in the ledger; the next daily renewal run re-sends it.
            self._sender.send(
                [reinstated_notice(new, new.contact, before.application_id)],
                moment=after.decisions[-1].at,
                batch_name=f"mail-batches/{day.isoformat()}/reinstated",
            )
        return done

    def _credential(self, state, code: str, today: date) -> CredentialRecord:
        return state.held(self._rule_book.in_force_on(today).canonical_code(code))

    def _options(self, credential: CredentialRecord, invoices: list[InvoiceRecord], today: date) -> Options:
        verdict = credential_status(credential, invoices, today, self._rule_book)
        lapsed_since = credential.lapsed_since or verdict.lapsed_since or credential.status_since
        return options_for(
            status=verdict.status, lapsed_since=lapsed_since, today=today, rules=self._rule_book.in_force_on(today)
        )

    def _known_documents(self, member_id: str, document_ids: list[str]) -> set[str]:
        known = set()
        for document_id in set(document_ids):
            document = self._repo.document(member_id, document_id)
            if document is None or not self._documents.uploaded(document.key):
                raise RuleViolation(f"Document {document_id} is not uploaded.", code="UNKNOWN_DOCUMENT")
            known.add(document_id)
        return known


def _cycle_detail(credential: CredentialRecord, application_id: str) -> dict[str, str]:
    """What the CredentialReinstated event says (the badge worker issues the new cycle's badge from it)."""
    return {
        "member_id": credential.member_id,
        "credential": credential.code,
        "cycle_start": credential.cycle_start.isoformat(),
        "cycle_end": credential.cycle_end.isoformat(),
        "application_id": application_id,
    }
