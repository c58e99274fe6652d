"""In-memory stand-ins for an import's data ports (`ccp.data.imports`), with the semantics the use cases
rely on: a chunk is counted once, the report is written once, each member is invited once, the members
an import writes land in the program's store only where nobody holds their guards."""

from __future__ import annotations

from datetime import date
from typing import Any

from ccp.data.imports import KnownPerson
from ccp.data.scratch import InMemoryStore
from ccp.domain.records import ImportRecord, MemberRecord
from ccp.errors import Conflict, NotFound
from ccp.rules.jobs import first_day_undone


class InMemoryImportRecords:
    def __init__(self) -> None:
        self.records: dict[str, ImportRecord] = {}
        self.chunks: set[tuple[str, int]] = set()
        self.error_items: dict[str, dict[tuple[int, int], dict[str, Any]]] = {}
        self.member_items: dict[str, dict[str, dict[str, Any]]] = {}

    def create(self, record: ImportRecord) -> None:
        self.records[record.import_id] = record

    def get(self, import_id: str) -> ImportRecord:
        if import_id not in self.records:
            raise NotFound("No import.", code="IMPORT_NOT_FOUND")
        return self.records[import_id]

    def start(self, before: ImportRecord, after: ImportRecord) -> None:
        if self.records[before.import_id].state != before.state:
            raise Conflict("Started already.", code="IMPORT_STARTED")
        self.records[after.import_id] = after

    def counted(self, import_id: str, *, file_key: str, lines: int, chunks: int) -> None:
        self._update(import_id, file_key=file_key, lines=lines, chunks=chunks)

    def chunk_done(self, import_id, chunk, counts, errors, members) -> ImportRecord | None:
        mine = self.error_items.setdefault(import_id, {})
        for n, error in enumerate(errors):
            mine[(error["line"], n)] = error
        for member_id in members:
            self.member_items.setdefault(import_id, {}).setdefault(member_id, {"member_id": member_id})
        if (import_id, chunk) in self.chunks or self.records[import_id].state != "running":
            return None
        self.chunks.add((import_id, chunk))
        record = self.records[import_id]
        added = {name: getattr(record, name) + n for name, n in counts.items()}
        return self._update(import_id, chunks_done=record.chunks_done + 1, **added)

    def finish(self, import_id: str, report_key: str) -> bool:
        if self.records[import_id].state != "running":
            return False
        self._update(import_id, state="done", report_key=report_key)
        return True

    def fail(self, import_id: str, failure: str) -> None:
        self._update(import_id, state="failed", failure=failure)

    def errors(self, import_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        ordered = [e for _, e in sorted(self.error_items.get(import_id, {}).items())]
        return ordered[:limit] if limit else ordered

    def members(self, import_id: str, *, after: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        ordered = [m for k, m in sorted(self.member_items.get(import_id, {}).items()) if after is None or k > after]
        return ordered[:limit]

    def invited(self, import_id: str, member_id: str) -> bool:
        item = self.member_items[import_id][member_id]
        if item.get("invited"):
            return False
        item["invited"] = True
        record = self.records[import_id]
        self._update(import_id, invitations_sent=record.invitations_sent + 1)
        return True

    def not_invited(self, import_id: str, member_id: str) -> None:
        self.member_items[import_id][member_id].pop("invited", None)
        record = self.records[import_id]
        self._update(import_id, invitations_sent=record.invitations_sent - 1)

    def _update(self, import_id: str, **changes: Any) -> ImportRecord:
        self.records[import_id] = self.records[import_id].model_copy(update=changes)
        return self.records[import_id]


class InMemoryImportedMembers:
    """Writes a replayed member into the program's store, refusing a person the store knows already."""

    def __init__(self, program: InMemoryStore):
        self.program = program
        self.writes = 0

    def known(self, *, legacy_id: str, email: str) -> tuple[str | None, MemberRecord | None]:
        owner = self.program.member_known_as(email=email, legacy_id=legacy_id)
        return owner, self.program.profiles.get(owner) if owner else None

    def credentials(self, member_id: str):
        return self.program.credentials(member_id)

    def first_day_undone(self, import_day: date) -> date:
        return first_day_undone((s.last_day_done for s in self.program.states()), import_day)

    def write(
        self,
        store: InMemoryStore,
        member_id: str,
        profile: MemberRecord,
        *,
        notices_between: tuple[date, date] | None = None,
    ) -> None:
        if self.program.member_known_as(email=profile.email, legacy_id=profile.legacy_id):
            raise KnownPerson()
        taken = {r for r, p in store.references.items() if p.member_id == member_id} & set(self.program.references)
        if taken:
            raise Conflict("A payment reference was used by another member.", code="DUPLICATE_PAYMENT")
        self.program.absorb(store, member_id, notices_between=notices_between)
        self.program.profiles[member_id] = profile
        self.writes += 1


class InMemoryImportFiles:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.forms: list[tuple[str, str, int]] = []

    def upload_form(self, key: str, content_type: str, max_bytes: int, expires_in: int = 900) -> dict[str, Any]:
        self.forms.append((key, content_type, max_bytes))
        return {"url": "https://bucket.example", "fields": {"key": key, "Content-Type": content_type}}

    def uploaded(self, key: str) -> bool:
        return key in self.objects

    def download_url(self, key: str, expires_in: int = 300) -> str:
        return f"https://bucket.example/{key}"

    def is_gzip(self, key: str) -> bool:
        return self.objects[key][:2] == b"\x1f\x8b"

    def unpack(self, key: str, into: str) -> None:
        import gzip

        self.objects[into] = gzip.decompress(self.objects[key])

    def size_and_lines(self, key: str):
        offset = 0
        for line in self.objects[key].splitlines(keepends=True):
            yield offset, len(line)
            offset += len(line)

    def read(self, key: str, start: int, end: int) -> bytes:
        return self.objects[key][start:end]

    def put(self, key: str, body: bytes, content_type: str) -> str:
        self.objects[key] = body
        return key


class InMemoryQueue:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def send(self, messages: list[dict[str, Any]]) -> None:
        self.messages += messages


class InMemoryLogins:
    def __init__(self) -> None:
        self.quiet: dict[str, str] = {}
        self.invitations: list[str] = []

    def create_quietly(self, member_id: str, email: str) -> None:
        self.quiet[member_id] = email

    def send_invitation(self, member_id: str) -> None:
        assert member_id in self.quiet, "an invitation needs the login made at import"
        self.invitations.append(member_id)
