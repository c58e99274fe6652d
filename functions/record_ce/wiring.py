"""The CE function's composition root: each use case over the program's one table and rule book,
built once per container (never at import time)."""

from __future__ import annotations

from ccp import dependency
from ccp.data.activities import ActivityRepository
from ccp.data.dynamo import table
from ccp.data.members import MemberDirectory, MemberRepository
from ccp.rules.versions import default_rule_book
from record_ce.enrolment import Enrolment
from record_ce.reading import MemberReading
from record_ce.service import CeRecording


@dependency
def recording(table_name: str | None = None) -> CeRecording:
    return CeRecording(MemberRepository(table(table_name)), ActivityRepository(table(table_name)), default_rule_book())


@dependency
def history_loading(table_name: str | None = None) -> Enrolment:
    """Members loaded with their past into the named table (the demo seed, the benchmark): no notice
    of days before they were loaded is sent."""
    return Enrolment(MemberRepository(table(table_name)), recording(table_name), default_rule_book())


@dependency
def reading() -> MemberReading:
    return MemberReading(
        MemberRepository(table()), ActivityRepository(table()), MemberDirectory(table()), default_rule_book()
    )
