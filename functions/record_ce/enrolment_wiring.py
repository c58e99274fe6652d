"""The staff API's enrolment, apart from the CE wiring: it sends notices (SES, the print batches), so
only the CE API's function (RecordCeFunction) imports it and holds what that needs."""

from __future__ import annotations

from ccp import dependency
from ccp.data.dynamo import table
from ccp.data.invoices import InvoiceRepository
from ccp.data.members import MemberRepository
from ccp.notice_sending import notice_sender
from ccp.renewal_notices import RenewalNotices
from ccp.rules.versions import default_rule_book
from record_ce.enrolment import Enrolment, Welcome
from record_ce.wiring import recording


@dependency
def enrolment() -> Enrolment:
    """The staff API's enrolment: a member enrolled on any day gets at once what the daily runs would
    have given them (their month's renewal invoice and notice, through the notice ledger)."""
    welcome = Welcome(RenewalNotices(InvoiceRepository(table()), default_rule_book()), notice_sender(table()))
    return Enrolment(MemberRepository(table()), recording(), default_rule_book(), welcome)
