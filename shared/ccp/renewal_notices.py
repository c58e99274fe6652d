"""What the daily renewal run says about one credential or invoice it lists (docs/rules.md §4, §9):
the renewal invoice issued once for an anniversary and its notice, the notice before it, the past-due
notice, the CE reminders (monthly, and 90 and 30 days before an unmet cycle ends). The run
(functions/renewals/run.py) pages through the work lists with it; a credential given to a member on
any day gets from it at once what the month's runs would have given (`for_new_credential`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from ccp.documents import money, points
from ccp.domain.records import Contact, CredentialRecord, InvoiceRecord
from ccp.notices import Notice
from ccp.rules.ce import Progress, progress_of
from ccp.rules.renewals import NoticeKind, NoticeWork, anniversary_in, closes_cycle, due_date_for, notice_work_on
from ccp.rules.standing import renewal_invoice
from ccp.rules.status import StatusFacts, lapse_dates
from ccp.rules.versions import RuleBook, RuleSet


class InvoiceIssuer(Protocol):
    def issue_invoice(self, invoice: InvoiceRecord, credential: CredentialRecord) -> tuple[InvoiceRecord, bool]: ...


class RenewalNotices:
    def __init__(self, invoices: InvoiceIssuer, rule_book: RuleBook):
        self._invoices = invoices
        self._rule_book = rule_book

    def for_new_credential(self, credential: CredentialRecord, today: date) -> tuple[list[Notice], int]:
        """What this month's runs (all on its 1st) would have given a credential held from `today`: the
        month's renewal invoice and its notice, the notice of next month's, a CE reminder whose month it
        is, and today's reminder of a cycle ending in 90 or 30 days. Nothing of an earlier day (no notice
        for a day before the member was known). The notices, and how many invoices were issued now (0 when
        the run got there first)."""
        first = today.replace(day=1)
        notices, issued = [], 0
        monthly = [w for w in notice_work_on(first, self._rule_book.in_force_on(first)) if w.days_before is None]
        daily = [w for w in notice_work_on(today, self._rule_book.in_force_on(today)) if w.days_before is not None]
        for work in monthly + daily:
            if not self._lists(work, credential):
                continue
            notice, new = self.notice_for(work, credential)
            issued += int(new)
            if notice is not None:
                notices.append(notice)
        return notices, issued

    @staticmethod
    def _lists(work: NoticeWork, credential: CredentialRecord) -> bool:
        """Whether the run's work list for `work` holds the credential (as the indexes list it)."""
        if work.kind in (NoticeKind.RENEWAL_DUE, NoticeKind.RENEWAL_UPCOMING):
            return credential.anchor.month == work.month.month
        unmet = not credential.grandfathered and credential.met_on is None
        if work.kind == NoticeKind.CE_REMINDER:
            return unmet and (credential.cycle_end.year, credential.cycle_end.month) == (
                work.month.year,
                work.month.month,
            )
        if work.kind == NoticeKind.CYCLE_ENDING:
            return unmet and credential.cycle_end == work.month
        return False  # past-due notices are about invoices of last month: a new credential has none

    def notice_for(self, work: NoticeWork, item: CredentialRecord | InvoiceRecord) -> tuple[Notice | None, bool]:
        """The notice `work` sends about one listed item, and whether an invoice was issued for it now."""
        if isinstance(item, InvoiceRecord):
            return self._past_due(work, item), False
        credential = item
        if credential.recertification_required or credential.status == "must_recertify" or credential.contact is None:
            return None, False
        if work.kind == NoticeKind.CE_REMINDER:
            return self._ce_reminder(work, credential), False
        if work.kind == NoticeKind.CYCLE_ENDING:
            return self._cycle_ending(work, credential), False
        anniversary = anniversary_in(credential.anchor, work.month.year, work.month.month)
        if anniversary is None or anniversary <= credential.certified_on or anniversary <= credential.cycle_start:
            return None, False  # no fee for the certification itself or before the open cycle
        if work.kind == NoticeKind.RENEWAL_UPCOMING:
            return self._upcoming(work, credential, anniversary), False
        invoice, issued = self._invoices.issue_invoice(
            renewal_invoice(credential, anniversary, self._rule_book), credential
        )
        return self._due(work, credential, invoice), issued

    def _base(self, day: date, credential_code: str, name: str) -> dict[str, str]:
        rules = self._rule_book.in_force_on(day)  # the version in force then, never a future one
        return {"name": name, "credential": credential_code, "credential_name": rules.credential(credential_code).name}

    def _missing(self, credential: CredentialRecord) -> Decimal:
        rules = self._rule_book.in_force_on(credential.cycle_start)
        progress = progress_of(
            credential.totals, credential=credential.code, grandfathered=credential.grandfathered, rules=rules
        )
        return progress.remaining_points

    def _lock_note(self, credential: CredentialRecord, closes: bool) -> str:
        missing = self._missing(credential)
        if not closes or credential.grandfathered or missing == 0:
            return ""
        return (
            f"This renewal closes your CCP cycle ending {credential.cycle_end.isoformat()}. It stays locked until your "
            f"CCP requirement is met: {missing} more points are needed. "
            "It becomes payable the day after you record them."
        )

    def _upcoming(self, work: NoticeWork, credential: CredentialRecord, anniversary: date) -> Notice:
        rules = self._rule_book.in_force_on(anniversary)
        closes = closes_cycle(credential.cycle, anniversary)
        data = self._base(work.run_day or work.month, credential.code, _name(credential.contact)) | {
            "anniversary": anniversary.isoformat(),
            "amount": money(rules.credential(credential.code).annual_fee),
            "due_date": due_date_for(anniversary).isoformat(),
            "lock_note": self._lock_note(credential, closes),
        }
        return Notice(credential.member_id, credential.code, work.kind, work.period, data, credential.contact)

    def _due(self, work: NoticeWork, credential: CredentialRecord, invoice: InvoiceRecord) -> Notice:
        data = self._base(work.run_day or work.month, credential.code, _name(credential.contact)) | {
            "anniversary": invoice.anniversary.isoformat(),
            "amount": money(invoice.amount),
            "due_date": invoice.due_date.isoformat(),
            "invoice_id": invoice.invoice_id,
            "lock_note": self._lock_note(credential, invoice.closes_cycle) if invoice.state == "locked" else "",
        }
        paid = "already_paid" if invoice.state == "paid" else None
        return Notice(
            credential.member_id,
            credential.code,
            work.kind,
            work.period,
            data,
            credential.contact,
            suppress_reason=paid,
        )

    def _past_due(self, work: NoticeWork, invoice: InvoiceRecord) -> Notice:
        data = self._base(work.run_day or work.month, invoice.credential, _name(invoice.contact)) | {
            "anniversary": invoice.anniversary.isoformat(),
            "amount": money(invoice.amount),
            "due_date": invoice.due_date.isoformat(),
            "invoice_id": invoice.invoice_id,
            "lock_note": "This renewal closes your CCP cycle and is locked until your CCP points are recorded."
            if invoice.state == "locked"
            else "",
        }
        return Notice(invoice.member_id, invoice.credential, work.kind, work.period, data, invoice.contact)

    def _ce_reminder(self, work: NoticeWork, credential: CredentialRecord) -> Notice | None:
        missing = self._missing(credential)
        if missing == 0:
            return None
        data = self._base(work.run_day or work.month, credential.code, _name(credential.contact)) | {
            "cycle_end": credential.cycle_end.isoformat(),
            "missing_points": str(missing),
            "months_before": str(work.months_before),
            "lock_note": self._lock_note(credential, closes=True),
        }
        return Notice(credential.member_id, credential.code, work.kind, work.period, data, credential.contact)

    def _cycle_ending(self, work: NoticeWork, credential: CredentialRecord) -> Notice | None:
        """The cycle ends in 90 (or 30) days with its requirement unmet: what is still missing, what each
        category can still add, and what happens if nothing more comes (rules §9)."""
        rules = self._rule_book.in_force_on(credential.cycle_start)
        progress = progress_of(credential.totals, credential=credential.code, grandfathered=False, rules=rules)
        if progress.met:
            return None
        # What the records say now, if nothing more comes: the cycle end is the first deadline missed.
        facts = StatusFacts(credential.cycle_end, False, False, (), credential.must_recertify_from)
        lapse = lapse_dates(facts, None, rules)
        data = self._base(work.run_day or work.month, credential.code, _name(credential.contact)) | {
            "cycle_start": credential.cycle_start.isoformat(),
            "cycle_end": credential.cycle_end.isoformat(),
            "days_left": str(work.days_before),
            "required_points": points(progress.required_points),
            "counted_points": points(progress.counted_points),
            "missing_points": points(progress.remaining_points),
            "by_category": _by_category(progress, rules),
            "inactive_on": lapse.inactive_on.isoformat() if lapse.inactive_on else "",
            "must_recertify_on": lapse.must_recertify_on.isoformat() if lapse.must_recertify_on else "",
        }
        return Notice(credential.member_id, credential.code, work.kind, work.period, data, credential.contact)


def _by_category(progress: Progress, rules: RuleSet) -> str:
    """Each category in a phrase: what it counts so far, and the most it can still add where it has a cap."""
    phrases = []
    for category, part in progress.by_category.items():
        label = rules.categories[category].label
        if part.cap is None:
            phrases.append(f"{label} {points(part.counted)}")
        elif part.counted >= part.cap:
            phrases.append(f"{label} {points(part.counted)} (its limit: more will not count)")
        else:
            phrases.append(f"{label} {points(part.counted)} (at most {points(part.cap - part.counted)} more can count)")
    return "; ".join(phrases) + "."


def _name(contact: Contact | None) -> str:
    return contact.name if contact is not None else ""
