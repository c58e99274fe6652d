"""Daily jobs that follow deadlines: unlocking end-of-cycle invoices, and the status sweep."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from aws_lambda_powertools import Logger
from dateutil.relativedelta import relativedelta

from ccp.data.invoices import InvoiceRepository
from ccp.data.members import MemberRepository
from ccp.data.work_lists import WorkLists
from ccp.data.writes import retry_on_stale
from ccp.decision_notices import status_notice
from ccp.domain.records import InvoiceRecord
from ccp.errors import Retryable
from ccp.notices import Notice, NoticeSender, SendTally
from ccp.rules.dates import add_months, business_date
from ccp.rules.renewals import NoticeKind
from ccp.rules.standing import credential_status
from ccp.rules.versions import RuleBook

logger = Logger(child=True)


@dataclass
class JobSummary:
    day: date
    items_read: int = 0
    unlocked: int = 0
    status_changes: Counter = field(default_factory=Counter)
    tally: SendTally = field(default_factory=SendTally)

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "items_read": self.items_read,
            "invoices_unlocked": self.unlocked,
            "status_changes": dict(self.status_changes),
            **self.tally.as_dict(),
        }


class InvoiceUnlock:
    """Opens every locked invoice whose day has come, and tells the member it can be paid."""

    def __init__(self, lists: WorkLists, invoices: InvoiceRepository, sender: NoticeSender):
        self._lists, self._invoices = lists, invoices
        self._sender = sender
        self._shards = lists.index_shards

    def run(self, moment: datetime) -> JobSummary:
        today = business_date(moment)
        summary = JobSummary(day=today)
        notices = []
        # This month, and in its first week last month too (missed runs are caught up);
        # unlocked invoices leave the index.
        months = [today.replace(day=1)]
        if today.day <= 7:
            months.insert(0, add_months(today.replace(day=1), -1))
        for month in months:
            for shard in range(self._shards):
                for invoices in self._lists.invoices_unlocking_in(month, shard):
                    summary.items_read += len(invoices)
                    for invoice in invoices:
                        if invoice.available_on is None or invoice.available_on > today:
                            continue
                        if self._invoices.open_invoice(invoice):
                            summary.unlocked += 1
                            notices.append(self._notice(invoice))
        summary.tally = self._sender.send(
            notices, moment=moment, batch_name=f"mail-batches/{today.isoformat()}/invoice_payable"
        )
        return summary

    @staticmethod
    def _notice(invoice: InvoiceRecord) -> Notice:
        data = {
            "name": invoice.contact.name if invoice.contact else "",
            "credential": invoice.credential,
            "invoice_id": invoice.invoice_id,
            "amount": f"${invoice.amount:,.2f}",
            "due_date": invoice.due_date.isoformat(),
        }
        return Notice(
            invoice.member_id,
            invoice.credential,
            NoticeKind.INVOICE_PAYABLE,
            invoice.invoice_id,
            data,
            invoice.contact,
            postal="never",
        )


class StatusSweep:
    """Persists status transitions as deadlines pass, and tells the member of each change.

    Status itself is a pure function of the records and the day (the API shows it for any day);
    the sweep looks only at credentials whose deadline passed yesterday, or three years ago.
    """

    def __init__(
        self,
        members: MemberRepository,
        lists: WorkLists,
        sender: NoticeSender,
        rule_book: RuleBook,
        events=None,
    ):
        self._members = members
        self._lists = lists
        self._sender = sender
        self._rule_book = rule_book
        self._events = events  # CredentialLapsed on must_recertify (the badge is revoked from it)
        self._shards = lists.index_shards

    def run(self, moment: datetime) -> JobSummary:
        today = business_date(moment)
        summary = JobSummary(day=today)
        candidates: set[tuple[str, str]] = set()
        yesterday = today - timedelta(days=1)
        # Each cycle is judged by its own rule version: look for lapses of every threshold any version has.
        lapse_starts = {today - relativedelta(years=v.lapse_years_to_recertify) for v in self._rule_book.versions}
        for deadline in sorted({yesterday} | lapse_starts | {d - timedelta(days=1) for d in lapse_starts}):
            # Invoices fall due on the last day of a month; cycles end on any day.
            month_end = (deadline + timedelta(days=1)).day == 1
            for shard in range(self._shards):
                for credentials in self._lists.unmet_cycles_ending_on(deadline, shard):
                    summary.items_read += len(credentials)
                    candidates |= {(c.member_id, c.code) for c in credentials}
                # Invoices fall due on the last day of a month.
                for invoices in self._lists.unpaid_invoices_due_on(deadline, shard) if month_end else ():
                    summary.items_read += len(invoices)
                    candidates |= {(i.member_id, i.credential) for i in invoices}
        notices, unsettled = [], 0
        for member_id, code in sorted(candidates):
            try:
                change = retry_on_stale(partial(self._settle, member_id, code, today))
            except Retryable:
                unsettled += 1  # lost every race: the run fails below and the scheduler runs it again
                continue
            if change is not None:
                status, notice = change
                summary.status_changes[status] += 1
                notices += [notice] if notice is not None else []
        summary.tally = self._sender.send(
            notices, moment=moment, batch_name=f"mail-batches/{today.isoformat()}/status_changed"
        )
        if unsettled:
            # Never silent: what was settled is kept (and its notices sent once); a re-run settles the rest.
            logger.error(
                "status sweep left members unsettled", extra={"unsettled": unsettled, "date": today.isoformat()}
            )
            raise Retryable(f"{unsettled} status change(s) lost every race; run the sweep again.")
        return summary

    def _settle(self, member_id: str, code: str, today: date) -> tuple[str, Notice | None] | None:
        """One member's stored status brought to what the records say (StaleWrite: re-read and retry):
        the new status and its notice, or None when it stands."""
        state = self._members.member_state(member_id)
        credential = state.credential(code)
        if credential is None:
            return None
        verdict = credential_status(credential, state.invoices_of(code), today, self._rule_book)
        if verdict.status == credential.status:
            return None
        after = credential.model_copy(
            update={
                "status": verdict.status,
                "status_since": today,
                "recertification_required": credential.recertification_required or verdict.status == "must_recertify",
                "recertification_required_on": credential.must_recertify_from
                or (today if verdict.status == "must_recertify" else None),
                "lapsed_since": verdict.lapsed_since if verdict.status == "must_recertify" else credential.lapsed_since,
            }
        )
        self._members.replace_credential(credential, after)
        if verdict.status == "must_recertify" and self._events is not None:
            self._events.publish(
                "CredentialLapsed", {"member_id": member_id, "credential": code, "reason": "lapsed_3_years"}
            )
        if credential.contact is None:
            return verdict.status, None
        rules = self._rule_book.in_force_on(credential.cycle_start)
        return verdict.status, status_notice(credential, verdict, state.invoices_of(code), today, rules)
