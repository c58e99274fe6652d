"""Imports, as staff run them (docs/import.md): an import is made with an upload form for its file;
started, its file is split into chunks of lines that workers take from a queue (each chunk counted
once, each line idempotent); each line is checked, replayed through the program's use cases and
written; the last chunk writes the report. Imported members get logins with nothing sent, and staff
send their invitations when they choose."""

from __future__ import annotations

import io
import secrets
import zlib
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from defusedcsv import csv

from ccp.data.imports import ImportFiles, ImportRepository
from ccp.domain.records import ImportRecord
from ccp.errors import Conflict
from ccp.rules.dates import business_date
from imports.member_import import MemberImport

CHUNK_LINES = 100  # lines a worker takes at once: a few seconds of work, far from Lambda's limit
MAX_FILE_BYTES = 5 * 1024**3  # one presigned POST takes up to 5 GB
FILE_TYPE = "application/jsonl"
ERRORS_SHOWN = 1_000
INVITATIONS_A_MESSAGE = 200  # members read a message: ≈ 4 s of Cognito at its default rate
REPORT_FIELDS = ["line", "legacy_id", "field", "code", "message"]


class QueuePort(Protocol):
    def send(self, messages: list[dict[str, Any]]) -> None: ...


class InvitationsPort(Protocol):
    def send_invitation(self, member_id: str) -> None: ...


class ImportView(NamedTuple):
    record: ImportRecord
    errors: list[dict[str, Any]]
    report_url: str | None


class Imports:
    def __init__(
        self,
        records: ImportRepository,
        files: ImportFiles,
        queue: QueuePort,
        lines: MemberImport,
        logins: InvitationsPort,
    ):
        self._records, self._files, self._queue = records, files, queue
        self._lines, self._logins = lines, logins

    # ---- staff ---------------------------------------------------------------------------------

    def create(self, *, dry_run: bool, staff: str, now: datetime) -> tuple[ImportRecord, dict[str, Any]]:
        import_id = f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
        record = ImportRecord(
            import_id=import_id,
            dry_run=dry_run,
            created_at=now,
            created_by=staff,
            file_key=f"imports/{import_id}/members.jsonl",
        )
        self._records.create(record)
        form = self._files.upload_form(record.file_key, FILE_TYPE, MAX_FILE_BYTES, expires_in=3600)
        return record, form

    def start(self, import_id: str, *, now: datetime) -> ImportRecord:
        """Running from now (the day of `now` is the import day); the split is the workers' (a big file
        takes longer than an HTTP request may)."""
        before = self._records.get(import_id)
        if before.state != "waiting_for_file":
            raise Conflict("This import was started already.", code="IMPORT_STARTED")
        if not self._files.uploaded(before.file_key):
            raise Conflict("No file was uploaded for this import yet.", code="IMPORT_FILE_MISSING")
        after = before.model_copy(update={"state": "running", "import_day": business_date(now)})
        self._records.start(before, after)
        self._queue.send([{"task": "split", "import_id": import_id}])
        return after

    def view(self, import_id: str) -> ImportView:
        record = self._records.get(import_id)
        errors = self._records.errors(import_id, ERRORS_SHOWN)
        report = self._files.download_url(record.report_key) if record.report_key else None
        return ImportView(record, errors, report)

    def invite(self, import_id: str, *, limit: int | None = None) -> int:
        """Queue the invitations of the members the import wrote and that are not yet invited (at most
        `limit`: a batch); the workers send them, each member once. How many were queued."""
        record = self._records.get(import_id)
        if record.dry_run or record.state != "done":
            raise Conflict("Invitations follow a finished import (not a dry run).", code="IMPORT_NOT_DONE")
        waiting = record.imported - record.invitations_sent
        queued = waiting if limit is None else min(limit, waiting)
        if queued:
            self._queue.send([{"task": "invite", "import_id": import_id, "limit": queued}])
        return queued

    # ---- workers -------------------------------------------------------------------------------

    def work(self, message: dict[str, Any]) -> dict[str, Any]:
        task = message["task"]
        if task == "split":
            return self.split(message["import_id"])
        if task == "chunk":
            return self.run_chunk(message["import_id"], message["chunk"], message["first_line"], message["range"])
        if task == "invite":
            return self.send_invitations(message["import_id"], limit=message["limit"], after=message.get("after"))
        raise ValueError(f"unknown import task {task!r}")

    def split(self, import_id: str) -> dict[str, Any]:
        """Count the lines and queue the chunks (a gzipped file is unpacked beside it first). Run again
        (a redelivered message), it queues the same chunks; each is counted once."""
        record = self._records.get(import_id)
        if record.state != "running":
            return {"split": 0}
        try:
            key, lines, chunks = self._chunks(record)
        except (OSError, EOFError, zlib.error):  # a gzip file that is not one, or cut short
            self._records.fail(
                import_id, "The file could not be read: it is neither JSON Lines nor gzipped JSON Lines."
            )
            return {"split": 0, "failed": True}
        self._records.counted(import_id, file_key=key, lines=lines, chunks=len(chunks))
        if not chunks:
            self._finish(self._records.get(import_id))
        self._queue.send(chunks)
        return {"split": len(chunks), "lines": lines}

    def _chunks(self, record: ImportRecord) -> tuple[str, int, list[dict[str, Any]]]:
        """Where the file's plain lines are, how many, and the chunks of them (by byte range)."""
        key = record.file_key
        if self._files.is_gzip(key):
            key = f"{record.file_key}.unpacked"
            self._files.unpack(record.file_key, key)
        chunks: list[dict[str, Any]] = []
        lines, first, start, end = 0, 1, 0, 0
        for number, (offset, length) in enumerate(self._files.size_and_lines(key), start=1):
            if number - first == CHUNK_LINES:
                chunks.append(self._chunk(record.import_id, len(chunks), first, start, end))
                first, start = number, offset
            end = offset + length
            lines = number
        if lines:
            chunks.append(self._chunk(record.import_id, len(chunks), first, start, end))
        return key, lines, chunks

    @staticmethod
    def _chunk(import_id: str, chunk: int, first_line: int, start: int, end: int) -> dict[str, Any]:
        return {
            "task": "chunk",
            "import_id": import_id,
            "chunk": chunk,
            "first_line": first_line,
            "range": [start, end],
        }

    def run_chunk(self, import_id: str, chunk: int, first_line: int, byte_range: list[int]) -> dict[str, Any]:
        record = self._records.get(import_id)
        if record.state != "running" or record.import_day is None:
            return {"skipped": chunk}
        text = self._files.read(record.file_key, byte_range[0], byte_range[1])
        counts = {"imported": 0, "unchanged": 0, "invalid": 0}
        errors: list[dict[str, Any]] = []
        members: list[str] = []
        # One read a chunk; a dry run writes nothing, so it needs none.
        notices_from = None if record.dry_run else self._lines.first_day_undone(record.import_day)
        for number, line in enumerate(text.split(b"\n"), start=first_line):
            if not line.strip():
                continue
            result = self._lines.import_line(
                line, number, record.import_day, import_id=import_id, dry_run=record.dry_run, notices_from=notices_from
            )
            counts[result.outcome] += 1
            errors += [e.as_dict() for e in result.errors]
            if result.member_id:
                members.append(result.member_id)
        after = self._records.chunk_done(import_id, chunk, counts, errors, members)
        if after is not None and after.chunks_done >= after.chunks > 0:
            self._finish(after)
        return {"chunk": chunk, **counts}

    def _finish(self, record: ImportRecord) -> None:
        """The report (every error, CSV), then done: once, whichever worker gets there first."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=REPORT_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for error in self._records.errors(record.import_id):
            writer.writerow(error)
        key = self._files.put(f"imports/{record.import_id}/report.csv", buffer.getvalue().encode(), "text/csv")
        self._records.finish(record.import_id, key)

    def send_invitations(self, import_id: str, *, limit: int, after: str | None = None) -> dict[str, Any]:
        """Invite up to `limit` of the members the import wrote who were not invited yet, a page of them
        a message (Cognito takes about 50 a second): the rest goes on in a message of its own. Each is
        marked before Cognito sends, so a redelivered message or a second batch never invites twice."""
        sent, last = 0, after
        for member in self._records.members(import_id, after=after, limit=INVITATIONS_A_MESSAGE):
            last = member["member_id"]
            if member.get("invited") or not self._records.invited(import_id, last):
                continue
            try:
                self._logins.send_invitation(last)
            except Exception:
                self._records.not_invited(import_id, last)  # a redelivery tries again
                raise
            sent += 1
            if sent == limit:
                return {"invited": sent}
        if last != after:  # a page was read: more may follow it
            self._queue.send([{"task": "invite", "import_id": import_id, "limit": limit - sent, "after": last}])
        return {"invited": sent}
