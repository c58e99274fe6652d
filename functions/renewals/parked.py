"""Notices parked after failed sends, for staff: the list, and the re-drive from the console."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Protocol

from ccp import dependency
from ccp.data.notice_ledger import NoticeLedger
from ccp.domain.records import NoticeClaim
from ccp.notices import requeue_parked_notices


class JobStarterPort(Protocol):
    def start(self, moment: datetime) -> None: ...


class ParkedNotices:
    def __init__(self, ledger: NoticeLedger, notices_job: JobStarterPort):
        self._ledger = ledger
        self._notices_job = notices_job

    def waiting(self, limit: int) -> list[NoticeClaim]:
        """The oldest parked notices first, at most `limit` (an index query, never a Scan)."""
        items = (item for page in self._ledger.parked_notices() for item in page)
        return [NoticeClaim.model_validate(item) for item in islice(items, limit)]

    def redrive(self, moment: datetime) -> int:
        """Every parked notice back among the claims, then the daily notices run started now to send
        them (it is safe to run again: the notice ledger sends nothing twice)."""
        requeued = requeue_parked_notices(self._ledger, moment)
        if requeued:
            self._notices_job.start(moment)
        return requeued


@dependency
def parked_notices() -> ParkedNotices:
    """For the billing API only (the payment webhook never re-drives, so it is not given the setting)."""
    from ccp.data.dynamo import table
    from ccp.data.outbound import JobStarter
    from ccp.settings import RedriveSettings

    return ParkedNotices(NoticeLedger(table()), JobStarter(RedriveSettings.from_env().renewal_notices_function))
