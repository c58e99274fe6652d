"""Sending notices through the ledger: claim, send (bulk email, print batch), mark sent.

Every notice is claimed with a conditional write before anything is sent, so a repeated run or
two runs at once send it once. A claim that is not marked sent (a crash, a failed send) stays
listed under CLAIMED and is taken over and sent by a later run: nothing is lost. After
`MAX_ATTEMPTS` failed sends it is parked with its reason for staff to re-drive.
"""

from __future__ import annotations

import io
import re
import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from defusedcsv import csv  # every cell: a leading = + - @ | % cannot run as a formula

from ccp.data.notice_ledger import NoticeLedger
from ccp.data.outbound import SES_BULK_LIMIT, Delivery
from ccp.documents import heading, line, new_document
from ccp.domain.records import Address, Contact, NoticeClaim
from ccp.errors import Retryable
from ccp.rules.dates import business_date

if TYPE_CHECKING:
    from fpdf import FPDF

STALE_CLAIM_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 5
RECORD_SENT_TRIES = 6


class MailerPort(Protocol):
    def send_bulk(self, template: str, messages: list[tuple[str, dict[str, str], str]]) -> list[Delivery]: ...
    def template_text(self, template: str) -> dict[str, str]: ...


class BatchStorePort(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> str: ...


PostalChannel = Literal["also", "instead_of_email", "never"]


class Notice(NamedTuple):
    """One notice to one member about one credential, on the channels their contact allows."""

    member_id: str
    credential: str
    kind: str
    period: str
    data: dict[str, str]
    contact: Contact | None  # None on a record written before contacts were copied onto it
    # By post as well as by email (renewal notices, rules §4), only when the member has no usable email
    # (decisions and status changes, rules §9), or never (a receipt, an invoice now payable).
    postal: PostalChannel = "also"
    suppress_reason: str | None = None  # e.g. already paid: neither channel


@dataclass
class SendTally:
    sent: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, channel) -> n
    suppressed: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, reason) -> n
    already_claimed: int = 0
    failed: int = 0
    parked: int = 0
    ses_requests: int = 0
    batches: list[str] = field(default_factory=list)

    def merge(self, other: SendTally) -> None:
        self.sent.update(other.sent)
        self.suppressed.update(other.suppressed)
        self.already_claimed += other.already_claimed
        self.failed += other.failed
        self.parked += other.parked
        self.ses_requests += other.ses_requests
        self.batches += other.batches

    def as_dict(self) -> dict[str, Any]:
        by_kind: dict[str, dict[str, int]] = defaultdict(dict)
        for (kind, channel), n in self.sent.items():
            by_kind[kind][channel] = n
        for (kind, reason), n in self.suppressed.items():
            by_kind[kind][f"suppressed_{reason}"] = n
        return {
            "notices": dict(by_kind),
            "already_claimed": self.already_claimed,
            "failed_sends": self.failed,
            "parked": self.parked,
            "ses_requests": self.ses_requests,
            "postal_batches": self.batches,
        }


def requeue_parked_notices(ledger: NoticeLedger, moment: datetime) -> int:
    """Staff re-drive: every parked notice goes back among the claims as already stale, so the next
    daily run's heal units take it over and send it. Returns how many went back."""
    stale_claimed_at = (moment - STALE_CLAIM_AFTER - timedelta(seconds=1)).isoformat()
    requeued = 0
    for claims in ledger.parked_notices():
        for claim in claims:
            requeued += ledger.requeue_parked(claim, claimed_at=stale_claimed_at)
    return requeued


def postal_suppression(contact: Contact) -> str | None:
    if contact.deceased:
        return "deceased"
    if contact.mail_opt_out:
        return "opted_out"
    address = contact.mailing_address
    if address is None or not address.line1.strip() or not address.postal_code.strip():
        return "no_address"
    return None


def email_suppression(contact: Contact) -> str | None:
    if contact.deceased:
        return "deceased"
    if not contact.email:
        return "no_email"
    if contact.email_status in ("bounced", "complained"):  # SES said so: the post only from now on
        return contact.email_status
    if contact.email_status == "unconfirmed":  # a new address is used once the member confirms it
        return "unconfirmed"
    return None


class NoticeSender:
    """Makes an outbox per job invocation (so concurrent invocations never share one)."""

    def __init__(
        self,
        ledger: NoticeLedger,
        mailer: MailerPort,
        batches: BatchStorePort,
        template_prefix: str,
        common: dict[str, str] | None = None,
    ):
        self._ledger = ledger
        self._mailer = mailer
        self._batches = batches
        self._prefix = template_prefix
        self._common = common or {}  # words every notice may use, e.g. the portal's address

    def outbox(self, moment: datetime, batch_name: str) -> Outbox:
        return Outbox(self._ledger, self._mailer, self._batches, self._prefix, self._common, moment, batch_name)

    def send(self, notices: list[Notice], *, moment: datetime, batch_name: str) -> SendTally:
        outbox = self.outbox(moment, batch_name)
        outbox.add(notices)
        return outbox.flush()


class Outbox:
    """Claims notices as a job finds them and sends them in bulk: full groups of 50 emails as
    they fill, the rest (and one print batch of letters) when the job flushes."""

    LETTERS_PER_BATCH = 2000

    def __init__(
        self,
        ledger: NoticeLedger,
        mailer: MailerPort,
        batches: BatchStorePort,
        prefix: str,
        common: dict[str, str],
        moment: datetime,
        batch_name: str,
    ):
        self._ledger, self._mailer, self._batches = ledger, mailer, batches
        self._prefix, self._common = prefix, common
        self._moment = moment
        # Unique per outbox: two runs for the same moment (a re-run, a concurrent run) never
        # overwrite each other's print batch.
        self._batch_name = f"{batch_name}-{secrets.token_hex(4)}"
        self._emails: dict[str, list[NoticeClaim]] = defaultdict(list)
        self._letters: list[NoticeClaim] = []
        self._parts = 0
        self.tally = SendTally()

    def add(self, notices: list[Notice]) -> None:
        claimed_at = self._moment.isoformat()
        stale_before = (self._moment - STALE_CLAIM_AFTER).isoformat()
        for notice in notices:
            if notice.suppress_reason:
                self.tally.suppressed[(notice.kind, notice.suppress_reason)] += 1
                continue
            contact = notice.contact
            if contact is None:  # counted, never a crash that loses the rest of the run's notices
                self.tally.suppressed[(notice.kind, "no_contact")] += 1
                continue
            no_email = email_suppression(contact)
            email_serves = no_email is None and notice.postal == "instead_of_email"
            for channel, reason in (
                ("email", no_email),
                ("postal", "email_only" if notice.postal == "never" or email_serves else postal_suppression(contact)),
            ):
                if reason:
                    if reason != "email_only":
                        self.tally.suppressed[(notice.kind, f"{channel}_{reason}")] += 1
                    continue
                claim = NoticeClaim(
                    member_id=notice.member_id,
                    credential=notice.credential,
                    kind=notice.kind,
                    period=notice.period,
                    channel=channel,
                    claimed_at=claimed_at,
                    template=self._prefix + notice.kind,
                    data=self._common | notice.data,
                    contact=contact,
                )
                if self._ledger.claim(claim, stale_before=stale_before):
                    self.add_claimed([claim])
                else:
                    self.tally.already_claimed += 1

    def add_claimed(self, claims: list[NoticeClaim]) -> None:
        """Claims this job holds (new, or taken over from a run that failed to send them)."""
        for claim in claims:
            if claim.channel == "email":
                group = self._emails[claim.template]
                group.append(claim)
                if len(group) == SES_BULK_LIMIT:
                    self._send_emails(claim.template)
            else:
                self._letters.append(claim)
                if len(self._letters) == self.LETTERS_PER_BATCH:
                    self._send_letters()

    def flush(self) -> SendTally:
        for template in list(self._emails):
            self._send_emails(template)
        self._send_letters()
        return self.tally

    def _send_emails(self, template: str) -> None:
        group, self._emails[template] = self._emails[template], []
        if not group:
            return
        deliveries = self._mailer.send_bulk(template, [(_email_address(c), c.data, c.member_id) for c in group])
        self.tally.ses_requests += 1
        delivered = [c for c, d in zip(group, deliveries, strict=False) if d.ok]
        self._record_sent(delivered)
        for claim in delivered:
            self.tally.sent[(claim.kind, "email")] += 1
        for claim, delivery in zip(group, deliveries, strict=False):
            if not delivery.ok:
                self._fail(claim, delivery.error or "send failed")

    def _send_letters(self) -> None:
        letters, self._letters = self._letters, []
        if not letters:
            return
        self._parts += 1
        name = self._batch_name if self._parts == 1 else f"{self._batch_name}-part{self._parts}"
        try:
            key = self._write_batch(letters, name)
        except Exception as error:
            for claim in letters:
                self._fail(claim, f"print batch not stored: {type(error).__name__}")
            return
        self.tally.batches.append(key)
        self._record_sent(letters)
        for claim in letters:
            self.tally.sent[(claim.kind, "postal")] += 1

    def _record_sent(self, claims: list[NoticeClaim]) -> None:
        """What went out must be recorded, or a later run would send it again: when the SDK has
        spent its retries (or its retry quota, under a long throttle), keep trying a while."""
        for attempt in range(RECORD_SENT_TRIES):
            try:
                self._ledger.mark_sent(claims, self._moment.isoformat())
                return
            except Retryable:
                if attempt == RECORD_SENT_TRIES - 1:
                    raise
                time.sleep(0.1 * 2**attempt)

    def _fail(self, claim: NoticeClaim, error: str) -> None:
        park = claim.attempts + 1 >= MAX_ATTEMPTS
        self._ledger.record_failure(claim, error, park=park)
        self.tally.failed += 1
        self.tally.parked += int(park)

    def _write_batch(self, letters: list[NoticeClaim], batch_name: str) -> str:
        manifest = io.StringIO()
        writer = csv.writer(manifest, lineterminator="\r\n")
        writer.writerow(
            [
                "letter",
                "member_id",
                "credential",
                "notice",
                "period",
                "name",
                "line1",
                "line2",
                "city",
                "state",
                "postal_code",
                "country",
            ]
        )
        pdf = new_document(
            "Notice",
            business_date(self._moment),
            # The vendor's reference for the batch, in words a member may read (no code).
            footer_note=f"Print batch {batch_name.rsplit('/', 1)[-1].replace('_', '-')}",
        )
        for number, claim in enumerate(letters, start=1):
            address = _mailing_address(claim)
            writer.writerow(
                [
                    number,
                    claim.member_id,
                    claim.credential,
                    claim.kind,
                    claim.period,
                    claim.contact.name,
                    address.line1,
                    address.line2 or "",
                    address.city,
                    address.state,
                    address.postal_code,
                    address.country,
                ]
            )
            words = self._mailer.template_text(claim.template)
            _letter_page(pdf, claim, render(words["subject"], claim.data), render(words["text"], claim.data))
        self._batches.put(f"{batch_name}.pdf", bytes(pdf.output()), "application/pdf")
        return self._batches.put(f"{batch_name}.csv", manifest.getvalue().encode(), "text/csv")


_VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")


def render(text: str, data: dict[str, str]) -> str:
    """The {{variable}} substitution SES applies to the same template."""
    return _VARIABLE.sub(lambda m: str(data.get(m.group(1), "")), text)


def _email_address(claim: NoticeClaim) -> str:
    if claim.contact.email is None:  # email_suppression keeps members without an address out of every group
        raise ValueError(f"email {claim.kind} has no address")
    return claim.contact.email


def _mailing_address(claim: NoticeClaim) -> Address:
    address = claim.contact.mailing_address
    if address is None:  # postal_suppression keeps letters without an address out of every batch
        raise ValueError(f"letter {claim.kind} has no mailing address")
    return address


def _letter_page(pdf: FPDF, claim: NoticeClaim, subject: str, body: str) -> None:
    address = _mailing_address(claim)
    pdf.add_page()
    lines = [
        claim.contact.name,
        address.line1,
        address.line2,
        f"{address.city}, {address.state} {address.postal_code}",
        address.country,
    ]
    for text in filter(None, lines):
        line(pdf, text, size=11)
    pdf.ln(10)
    heading(pdf, subject)
    pdf.ln(3)
    line(pdf, body, size=11)
    line(pdf, f"Member {claim.member_id}  ·  {claim.credential}", size=8)
