"""One line of an import file made a member (docs/import.md): checked with the API's models, known
people left as they are, the history replayed through the program's use cases (imports.replay) and
written as they would have left it; the login made with nothing sent, and the badge the program would
have given. The import's workers and the demo seed use it."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, Literal, NamedTuple, Protocol

from ccp.data.imports import ImportedMembers, KnownPerson
from ccp.domain.records import CredentialRecord
from ccp.errors import CcpError, Conflict
from imports.lines import ImportLine, LineError, parse_line
from imports.replay import HistoryProblem, Replay

Outcome = Literal["imported", "unchanged", "invalid"]


class EventsPort(Protocol):
    def publish(self, detail_type: str, detail: dict[str, Any]) -> None: ...


class QuietLoginsPort(Protocol):
    def create_quietly(self, member_id: str, email: str) -> None: ...


class LineResult(NamedTuple):
    outcome: Outcome
    errors: list[LineError]
    member_id: str | None = None  # the member this import wrote


def member_id_for(legacy_id: str) -> str:
    """The member id a legacy id gets: derived, so a line imported twice is the same member."""
    return "M" + hashlib.sha256(f"legacy|{legacy_id}".encode()).hexdigest()[:10].upper()


def fingerprint(line: ImportLine) -> str:
    """What the line said (not how it was spelled): the same member and history, the same digest."""
    return hashlib.sha256(line.model_dump_json().encode()).hexdigest()[:32]


class MemberImport:
    def __init__(self, members: ImportedMembers, replay: Replay, events: EventsPort, logins: QuietLoginsPort):
        self._members, self._replay, self._events, self._logins = members, replay, events, logins

    def first_day_undone(self, import_day: date) -> date:
        """From this day on, the notices a replay claimed are kept (import_line's `notices_from`)."""
        return self._members.first_day_undone(import_day)

    def import_line(
        self,
        text: bytes | str,
        number: int,
        import_day: date,
        *,
        import_id: str,
        dry_run: bool,
        notices_from: date | None = None,
    ) -> LineResult:
        """One line: checked, replayed and (unless a dry run) written; what became of it. The notices the
        replay claimed from `notices_from` (the first day a daily job has still to do) up to the import
        day are kept as sent, so that job's catching up never tells the member of a day before it."""
        parsed = parse_line(text, number)
        if isinstance(parsed, list):
            return LineResult("invalid", parsed)
        digest = fingerprint(parsed)
        owner, profile = self._members.known(legacy_id=parsed.legacy_id, email=parsed.email)
        if owner is not None:
            if profile is not None and profile.import_fingerprint == digest:
                if profile.import_id != import_id:
                    return LineResult("unchanged", [])
                # This import wrote them: a redelivered chunk finishes what a failure may have cut short.
                self._welcome(owner, profile.email, self._members.credentials(owner))
                return LineResult("imported", [], owner)
            # Known by their legacy id, or by their email (someone else holds it).
            field = "legacy_id" if profile is not None and profile.legacy_id == parsed.legacy_id else "email"
            return self._invalid(parsed, number, field, _exists(owner))
        member_id = member_id_for(parsed.legacy_id)
        try:
            replayed = self._replay.member(parsed, member_id, import_day)  # the scratch store it leaves
        except HistoryProblem as problem:
            return self._invalid(parsed, number, problem.field, problem)
        if dry_run:
            return LineResult("imported", [])
        profile = replayed.profile(member_id).model_copy(update={"import_id": import_id, "import_fingerprint": digest})
        try:
            quiet = (notices_from, import_day) if notices_from is not None and notices_from < import_day else None
            self._members.write(replayed, member_id, profile, notices_between=quiet)
        except KnownPerson:
            known, _ = self._members.known(legacy_id=parsed.legacy_id, email=parsed.email)
            return self._invalid(parsed, number, "email", _exists(known or "another member"))
        except Conflict as conflict:
            return self._invalid(parsed, number, "payments", conflict)
        self._welcome(member_id, profile.email, replayed.credentials(member_id))
        return LineResult("imported", [], member_id)

    def _welcome(self, member_id: str, email: str, credentials: list[CredentialRecord]) -> None:
        """Their login, with nothing sent, and the badges the program would have given them: each
        credential active and held through a roll-over or a reinstatement. Both are safe to repeat."""
        self._logins.create_quietly(member_id, email)
        for credential in credentials:
            if credential.status == "active" and credential.cycle_start != credential.certified_on:
                self._events.publish("CredentialImported", {"member_id": member_id, "credential": credential.code})

    @staticmethod
    def _invalid(line: ImportLine, number: int, field: str, error: CcpError) -> LineResult:
        return LineResult("invalid", [LineError(number, line.legacy_id, field, error.code, error.message)])


def _exists(member_id: str) -> CcpError:
    return Conflict(f"This person is already a member ({member_id}): add to them in the console.", code="MEMBER_EXISTS")
