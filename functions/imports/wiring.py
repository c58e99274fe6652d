"""The import functions' composition root: the use cases over the table, the documents bucket, the
import queue, the event bus and the members' user pool, built once per container."""

from __future__ import annotations

from pydantic import Field

from ccp import dependency
from ccp.data.dynamo import table
from ccp.data.imports import ImportedMembers, ImportFiles, ImportRepository
from ccp.data.logins import MemberLogins
from ccp.data.outbound import EventPublisher, WorkQueue
from ccp.rules.versions import default_rule_book
from ccp.settings import DocumentSettings, EnvSettings, EventSettings, LoginSettings
from imports.member_import import MemberImport
from imports.replay import Replay
from imports.service import Imports


class ImportSettings(EnvSettings):
    import_queue_url: str = Field(alias="IMPORT_QUEUE_URL")


@dependency
def imports() -> Imports:
    jobs_table = table(for_jobs=True)
    return Imports(
        ImportRepository(jobs_table),
        ImportFiles(DocumentSettings.from_env().document_bucket),
        WorkQueue(ImportSettings.from_env().import_queue_url),
        MemberImport(
            ImportedMembers(jobs_table),
            Replay(default_rule_book()),
            EventPublisher(EventSettings.from_env().event_bus_name, source="ccp.imports"),
            logins(),
        ),
        logins(),
    )


@dependency
def logins() -> MemberLogins:
    return MemberLogins(LoginSettings.from_env().user_pool_id)
