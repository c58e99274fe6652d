"""The entities of the domain (members, credentials, activities, invoices, payments, applications,
audits, notices): what the rules judge and the data layer stores. The API never returns these directly:
functions map them to their schemas; `ccp.data` alone maps them to items and back."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import ConfigDict, Field

from ccp.domain.values import ActivityClaim, Category, Cycle, CycleTotals, InvoiceState
from ccp.errors import RuleViolation
from ccp.model import LazyModel

CredentialStatus = Literal["active", "inactive", "must_recertify"]


class Address(LazyModel):
    model_config = ConfigDict(extra="forbid")

    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=1, max_length=50)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(default="US", min_length=2, max_length=2)


EmailStatus = Literal["ok", "unconfirmed", "bounced", "complained"]


class Decision(LazyModel):
    """One staff action, kept forever: who, when, what, why."""

    by: str
    at: datetime
    action: str
    note: str | None = None  # internal: staff see it, the member never does
    member_note: str | None = None  # what the member is told, in their notice and their own view


class MemberRecord(LazyModel):
    member_id: str
    first_name: str
    last_name: str
    email: str
    email_status: EmailStatus = "ok"
    mailing_address: Address | None = None
    mail_opt_out: bool = False
    deceased: bool = False
    created_at: datetime
    legacy_id: str | None = None  # the member's id in the body's previous system (imports find them by it)
    # The confirmed address that is this member's alone (one person, one member): the email until a new
    # one is confirmed. None on members made before it was kept: their email.
    guarded_email: str | None = None
    # A new address waits for the code sent to it (a hash of it, never the code itself).
    email_code_hash: str | None = None
    email_code_expires_at: datetime | None = None
    email_code_attempts: int = 0
    # Every change of name or contact details: who, when, from what to what, and why (staff give a reason).
    changes: list[Decision] = []
    # Brought in by an import (docs/import.md): which one, and a digest of the line that made them.
    import_id: str | None = None
    import_fingerprint: str | None = None

    @property
    def contact(self) -> "Contact":
        return Contact(
            name=f"{self.first_name} {self.last_name}",
            email=self.email,
            email_status=self.email_status,
            mailing_address=self.mailing_address,
            mail_opt_out=self.mail_opt_out,
            deceased=self.deceased,
        )


class Contact(LazyModel):
    """How to reach a member, copied onto the items a renewal run reads (one read per notice)."""

    name: str
    email: str | None = None
    email_status: EmailStatus = "ok"
    mailing_address: Address | None = None
    mail_opt_out: bool = False
    deceased: bool = False


class CredentialRecord(LazyModel):
    member_id: str
    code: str
    certified_on: date
    grandfathered: bool
    status: CredentialStatus = "active"
    cycle_start: date
    cycle_end: date
    recorded: dict[Category, Decimal] = {}
    eligible: dict[Category, Decimal] = {}
    met_on: date | None = None
    version: int = 0
    # The date whose anniversaries the fees follow: the certification date, or the reinstatement date.
    anniversary_anchor: date | None = None
    contact: Contact | None = None
    status_since: date | None = None
    recertification_required: bool = False
    recertification_required_on: date | None = None  # the day it became required (status before it is as it was)
    lapsed_since: date | None = None  # the first missed deadline, kept once must_recertify
    closing_invoice_id: str | None = None
    badge_id: str | None = None  # the Credly badge of the current cycle

    @property
    def must_recertify_from(self) -> date | None:
        if not self.recertification_required:
            return None
        return self.recertification_required_on or self.status_since or self.lapsed_since

    @property
    def anchor(self) -> date:
        return self.anniversary_anchor or self.certified_on

    @property
    def cycle(self) -> Cycle:
        return Cycle(start=self.cycle_start, end=self.cycle_end)

    @property
    def totals(self) -> CycleTotals:
        return CycleTotals(recorded=self.recorded, eligible=self.eligible)


class EarlierCredential(LazyModel):
    """The credential as it stood until `replaced_on`, the day a roll-over or a reinstatement replaced
    it: what a day before that is judged on (a later event never rewrites an earlier day, docs/rules.md
    §5). A reinstatement whose fee went back is undone as if it never was: nothing keeps it."""

    credential: CredentialRecord
    replaced_on: date
    replaced_by: Literal["roll_over", "reinstatement"] = "roll_over"


class ActivityRecord(LazyModel):
    member_id: str
    activity_id: str
    credentials: list[str]
    category: Category
    title: str
    provider: str | None = None
    points: Decimal
    start_date: date
    end_date: date
    attested: bool
    source: Literal["member", "course_platform", "staff"] = "member"
    # Per credential: the cycle it counts toward and its points after per-activity rules.
    cycle_start: dict[str, date]
    eligible: dict[str, Decimal]
    dedup_keys: dict[str, str]
    recorded_on: date
    created_at: datetime
    updated_at: datetime | None = None
    version: int = 0  # a correction or removal lands only on the version it read
    history: list[Decision] = []  # staff changes to the body's own records, with their reasons

    @property
    def claim(self) -> ActivityClaim:
        return ActivityClaim(
            category=self.category,
            title=self.title,
            provider=self.provider,
            points=self.points,
            start_date=self.start_date,
            end_date=self.end_date,
        )


class PaidPeriod(LazyModel):
    """A payment that went back: the invoice was paid from `paid_on` until `refunded_on`."""

    paid_on: date
    refunded_on: date


class InvoiceRecord(LazyModel):
    member_id: str
    invoice_id: str
    credential: str
    anniversary: date
    amount: Decimal
    issued_on: date
    due_date: date
    # `refunded`: paid, then the money went back (a refund or a lost dispute): unpaid again, payable again.
    state: InvoiceState
    closes_cycle: bool
    cycle_start: date
    currency: str = "usd"
    available_on: date | None = None
    paid_on: date | None = None
    payment_id: str | None = None
    # Kept so that a day before them is judged as it was: payments that went back, the day of a void.
    earlier_payments: list[PaidPeriod] = []
    voided_on: date | None = None
    contact: Contact | None = None
    # A renewal (annual fee) or a recertification application's fee.
    purpose: Literal["renewal", "recertification"] = "renewal"
    application_id: str | None = None
    history: list[Decision] = []  # staff changes (a void), with their reasons
    # The invoice's live payment session at the processor (cleared when it is paid); how many were started.
    checkout_id: str | None = None
    checkout_url: str | None = None
    checkout_expires_at: datetime | None = None
    checkouts_started: int = 0


PaymentMethod = Literal["card", "check", "money_order"]


class PaymentRecord(LazyModel):
    """Money that moved: confirmed by the processor (a signed webhook) or recorded by staff (offline)."""

    member_id: str
    payment_id: str
    invoice_id: str
    amount: Decimal
    currency: str = "usd"
    processor_reference: str  # the processor's payment id, or the offline payment's reference as staff typed it
    paid_at: datetime
    method: PaymentMethod = "card"
    recorded_by: str  # "processor" for webhooks, else the staff user's subject
    processor_event_id: str | None = None
    state: Literal["paid", "refunded"] = "paid"
    refunded_at: datetime | None = None
    refund_reason: Literal["refund", "dispute_lost"] | None = None


class ParkedPayment(LazyModel):
    """A processor event that moved money we could not apply (wrong amount, paid invoice, ...): for staff."""

    event_id: str
    event_type: str
    reason: str  # a machine-readable code
    message: str
    member_id: str | None = None
    invoice_id: str | None = None
    processor_reference: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    received_at: datetime
    state: Literal["parked", "resolved"] = "parked"
    # A second charge for what was already paid goes back through the processor at once (rules §4).
    refunded_automatically: bool = False


class NoticeClaim(LazyModel):
    """One notice on one channel, claimed before it is sent (the notice ledger)."""

    member_id: str
    credential: str
    kind: str
    period: str
    channel: Literal["email", "postal"]
    state: Literal["claimed", "sent", "parked"] = "claimed"
    claimed_at: str  # ISO timestamp of the run that claimed it (the event's time)
    attempts: int = 0
    last_error: str | None = None
    template: str
    data: dict[str, str]
    contact: Contact
    sent_at: str | None = None


class ApplicationRecord(LazyModel):
    member_id: str
    application_id: str
    credential: str
    path: Literal["ccp", "exam"]
    # `fee_reversed`: decided, then its fee went back (a refund or a lost dispute): what it granted is
    # undone and it never reopens (rules §4); staff see it in their queue.
    state: Literal[
        "awaiting_payment",
        "submitted",
        "staff_review",
        "exam_authorized",
        "rejected",
        "reinstated",
        "exam_failed",
        "fee_reversed",
    ]
    felony_conviction: bool
    activities: list[dict[str, Any]] = []
    document_ids: list[str] = []
    counted_points: Decimal | None = None
    fee_invoice_id: str
    applied_on: date
    created_at: datetime
    decisions: list[Decision] = []
    exam_date: date | None = None
    reinstated_on: date | None = None
    # What the reinstatement replaced, so that a reversed fee can put it back: the credential as it was,
    # and the renewal invoices it voided, as they were.
    credential_before: CredentialRecord | None = None
    voided_invoices: list[InvoiceRecord] = []
    version: int = 0


class DocumentRecord(LazyModel):
    member_id: str
    document_id: str
    purpose: Literal["audit", "recertification", "employment_verification"]
    content_type: str
    filename: str
    key: str
    audit_id: str | None = None
    created_at: datetime


class AuditRecord(LazyModel):
    member_id: str
    audit_id: str
    year: int
    credential: str
    cycle_start: date
    cycle_end: date
    state: Literal["open", "passed", "failed"]
    selected_on: date
    deadline: date
    first_deadline: date | None = None  # the deadline set at selection (audits drawn before it was kept: None)
    document_ids: list[str] = []
    decisions: list[Decision] = []
    contact: Contact | None = None
    version: int = 0


class MemberState(LazyModel):
    """A member's profile, held credentials and invoices, as one query returns them."""

    profile: MemberRecord
    credentials: list[CredentialRecord]
    invoices: list[InvoiceRecord] = []

    def credential(self, code: str) -> CredentialRecord | None:
        return next((c for c in self.credentials if c.code == code), None)

    def held(self, code: str) -> CredentialRecord:
        """A credential the member must hold (an invoice's, an application's)."""
        credential = self.credential(code)
        if credential is None:
            raise RuleViolation(f"The member does not hold {code}.", code="CREDENTIAL_NOT_HELD")
        return credential

    def invoices_of(self, code: str) -> list[InvoiceRecord]:
        return [i for i in self.invoices if i.credential == code]


class JobState(LazyModel):
    """Where a scheduled job stands: the last day it finished, its last run and last failure."""

    job: str
    last_day_done: date | None = None
    last_run_at: datetime | None = None
    last_error: str | None = None  # the kind of failure only (no personal data): the logs have the rest
    last_error_at: datetime | None = None


ImportState = Literal["waiting_for_file", "running", "done", "failed"]


class ImportRecord(LazyModel):
    """An import of a body's members (docs/import.md): where its file is, how far it got, what it found."""

    import_id: str
    dry_run: bool
    state: ImportState = "waiting_for_file"
    created_at: datetime
    created_by: str
    import_day: date | None = None  # the day it was started: what the members' histories are replayed up to
    file_key: str
    lines: int = 0
    chunks: int = 0
    chunks_done: int = 0
    imported: int = 0
    unchanged: int = 0
    invalid: int = 0
    report_key: str | None = None
    failure: str | None = None
    invitations_sent: int = 0
