"""An import in the table (docs/import.md): its own record (state, counts, errors, the chunks done, the
members it wrote), the import file in S3, and the members an import replayed, written as the program's
own repositories would have left them."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import date
from typing import Any

from boto3.dynamodb.conditions import Key

from ccp.data import keys
from ccp.data.dynamo import query_all, translated_errors
from ccp.data.items import (
    activity_item,
    archive_item,
    credential_item,
    dedup_item,
    invoice_item,
    payment_item,
    profile_items,
    sent_claim_item,
    to_item,
)
from ccp.data.job_days import JobDays
from ccp.data.members import MemberRepository, guard_items
from ccp.data.payment_records import reference_item
from ccp.data.recertification import DocumentStore
from ccp.data.scratch import InMemoryStore
from ccp.data.writes import UnitOfWork, Update, absent, equals, missing, refusal
from ccp.domain.records import CredentialRecord, ImportRecord, MemberRecord
from ccp.errors import Conflict, NotFound
from ccp.rules.jobs import first_day_undone

TRANSACTION_LIMIT = 100  # DynamoDB's items per transaction


class KnownPerson(Exception):
    """A guard of the imported member (email, legacy id) or a payment reference belongs to someone else."""


class ImportRepository:
    def __init__(self, table: Any):
        self._table = table

    def create(self, record: ImportRecord) -> None:
        UnitOfWork(self._table).put_new(self._item(record), role="import").commit()

    def get(self, import_id: str) -> ImportRecord:
        with translated_errors():
            item = self._table.get_item(Key=self._key(import_id), ConsistentRead=True).get("Item")
        if item is None:
            raise NotFound(f"No import {import_id}.", code="IMPORT_NOT_FOUND")
        return ImportRecord.model_validate(item)

    def start(self, before: ImportRecord, after: ImportRecord) -> None:
        """Running, with its lines counted: only from waiting (a second start is refused)."""
        work = UnitOfWork(self._table).put(self._item(after), role="import", condition=equals("state", before.state))
        work.commit([refusal("import", error=_not_waiting)])

    def counted(self, import_id: str, *, file_key: str, lines: int, chunks: int) -> None:
        """How many lines and chunks the file holds (and where its plain lines are), before any chunk runs."""
        update = Update().set(file_key=file_key, lines=lines, chunks=chunks)
        with translated_errors():
            self._table.update_item(Key=self._key(import_id), **update.request())

    def chunk_done(
        self, import_id: str, chunk: int, counts: dict[str, int], errors: list[dict[str, Any]], members: list[str]
    ) -> ImportRecord | None:
        """A chunk's errors and members kept, then its counts added once (the chunk marked done in the
        same transaction): the import as it stands after, or None when the chunk was done already."""
        pk = keys.import_pk(import_id)
        with translated_errors(), self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for n, error in enumerate(errors):
                batch.put_item(Item={"pk": pk, "sk": keys.import_error_sk(error["line"], n), **error})
            for member_id in members:
                batch.put_item(Item={"pk": pk, "sk": keys.import_member_sk(member_id), "member_id": member_id})
        added = Update()
        for name, number in {**counts, "chunks_done": 1}.items():
            added.add(name, number)
        work = UnitOfWork(self._table)
        work.put_new({"pk": pk, "sk": keys.import_chunk_sk(chunk), "done": True}, role="chunk")
        work.update(self._key(import_id), added, role="import", condition=equals("state", "running"))
        try:
            work.commit([refusal("chunk", "import", error=_AlreadyDone)])
        except _AlreadyDone:
            return None
        return self.get(import_id)

    def finish(self, import_id: str, report_key: str) -> bool:
        """Done, with its report: once (False: another worker finished it)."""
        update = Update().set(state="done", report_key=report_key)
        work = UnitOfWork(self._table).update(
            self._key(import_id), update, role="import", condition=equals("state", "running")
        )
        try:
            work.commit([refusal("import", error=_AlreadyDone)])
        except _AlreadyDone:
            return False
        return True

    def fail(self, import_id: str, failure: str) -> None:
        update = Update().set(state="failed", failure=failure)
        with translated_errors():
            self._table.update_item(Key=self._key(import_id), **update.request())

    def errors(self, import_id: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The errors in line order: the first `limit`, or all."""
        condition = Key("pk").eq(keys.import_pk(import_id)) & Key("sk").begins_with("ERROR#")
        if limit is None:
            items = query_all(self._table, KeyConditionExpression=condition)
        else:
            with translated_errors():
                items = self._table.query(KeyConditionExpression=condition, Limit=limit).get("Items", [])
        return [{k: v for k, v in item.items() if k not in ("pk", "sk")} for item in items]

    def members(self, import_id: str, *, after: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """A page of the members the import wrote (in member id order, from after `after`), with whether
        their invitation was sent."""
        pk = keys.import_pk(import_id)
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with("MEMBER#"),
            "Limit": limit,
        }
        if after is not None:
            query["ExclusiveStartKey"] = {"pk": pk, "sk": keys.import_member_sk(after)}
        with translated_errors():
            return list(self._table.query(**query).get("Items", []))

    def invited(self, import_id: str, member_id: str) -> bool:
        """Marks one invitation sent: True only the first time (each member is invited once)."""
        update = Update().set(invited=True)
        key = {"pk": keys.import_pk(import_id), "sk": keys.import_member_sk(member_id)}
        work = UnitOfWork(self._table).update(
            key, update, role="member", condition=equals("member_id", member_id) & missing("invited")
        )
        work.update(self._key(import_id), Update().add("invitations_sent", 1), role="import")
        try:
            work.commit([refusal("member", error=_AlreadyDone)])
        except _AlreadyDone:
            return False
        return True

    def not_invited(self, import_id: str, member_id: str) -> None:
        """The invitation could not be sent: the member waits for the next batch again."""
        key = {"pk": keys.import_pk(import_id), "sk": keys.import_member_sk(member_id)}
        work = UnitOfWork(self._table).update(key, Update().remove("invited"), role="member")
        work.update(self._key(import_id), Update().add("invitations_sent", -1), role="import")
        work.commit()

    @staticmethod
    def _key(import_id: str) -> dict[str, str]:
        return {"pk": keys.import_pk(import_id), "sk": keys.IMPORT_SK}

    def _item(self, record: ImportRecord) -> dict[str, Any]:
        return {**self._key(record.import_id), "entity": "import", **to_item(record)}


class _AlreadyDone(Exception):
    """A write that lands once found it had landed (a chunk counted, an import finished, a member invited)."""


def _not_waiting() -> Exception:
    return Conflict("This import was started already.", code="IMPORT_STARTED")


class ImportedMembers:
    """Writes a member an import replayed (`ccp.data.scratch`) with every item the program's own
    repositories would have written for that history. The profile and the guards that make the member
    one person (email, legacy id) are the commit point: written last, together, and only where nobody
    holds them; everything before them is keyed by the member, so a retried line writes the same items."""

    def __init__(self, table: Any):
        self._table = table
        self._members = MemberRepository(table)

    def known(self, *, legacy_id: str, email: str) -> tuple[str | None, MemberRecord | None]:
        """The member a legacy id or an email belongs to, and their profile (for a re-import)."""
        owner = self._members.member_known_as(email=email, legacy_id=legacy_id)
        if owner is None:
            return None, None
        with translated_errors():
            profile = self._table.get_item(
                Key={"pk": keys.member_pk(owner), "sk": keys.PROFILE_SK}, ConsistentRead=True
            ).get("Item")
        return owner, MemberRecord.model_validate(profile) if profile else None

    def credentials(self, member_id: str) -> list[CredentialRecord]:
        """The credentials a member holds (an import's redelivered line looks at what it wrote)."""
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id))
            & Key("sk").begins_with(keys.CREDENTIAL_PREFIX),
            ConsistentRead=True,
        )
        return [CredentialRecord.model_validate(item) for item in items]

    def first_day_undone(self, import_day: date) -> date:
        """The first day a daily job has still to do (the import day when none is behind): a job that
        catches up a day before the import day must find the notices the replay claimed for that day
        (one query)."""
        return first_day_undone((s.last_day_done for s in JobDays(self._table).states()), import_day)

    def write(
        self,
        store: InMemoryStore,
        member_id: str,
        profile: MemberRecord,
        *,
        notices_between: tuple[date, date] | None = None,
    ) -> None:
        """The member and their history, and the notices the replay claimed on the days `notices_between`
        (from the first day a daily job has still to do, up to the import day), kept as sent: a job that
        catches those days up sends them nothing. A person known already: KnownPerson; a payment
        reference another member used: DUPLICATE_PAYMENT."""
        pk_items = self._history_items(store, member_id)
        if notices_between is not None:
            pk_items += [
                sent_claim_item(c, c.sent_at or c.claimed_at)
                for c in store.notices_sent_between(member_id, notices_between)
            ]
        references = [reference_item(r) for r in store.references.values() if r.member_id == member_id]
        commit = UnitOfWork(self._table)
        for item in profile_items(profile):
            commit.put_new(item, role="member")
        for guard in guard_items(profile):
            commit.put_new(guard, role="known")
        mine = absent() | equals("member_id", member_id)
        if len(commit) + len(references) + len(pk_items) <= TRANSACTION_LIMIT:
            for reference in references:
                commit.put(reference, role="reference", condition=mine)
            for item in pk_items:
                commit.put(item, role="history")
        else:
            # Too many for one transaction: the history first (keyed by the member: a retry rewrites it),
            # each reference claimed on its own, then the commit point.
            for reference in references:
                UnitOfWork(self._table).put(reference, role="reference", condition=mine).commit(
                    [refusal("reference", error=_duplicate_payment)]
                )
            with translated_errors(), self._table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
                for item in pk_items:
                    batch.put_item(Item=item)
        commit.commit([refusal("member", "known", error=KnownPerson), refusal("reference", error=_duplicate_payment)])

    @staticmethod
    def _history_items(store: InMemoryStore, member_id: str) -> list[dict[str, Any]]:
        state = store.member_state(member_id)
        items = [credential_item(c) for c in state.credentials]
        for invoice in state.invoices:
            item = invoice_item(invoice)
            if (member_id, invoice.invoice_id) in store.unlock_listed and invoice.available_on is not None:
                item.update(keys.unlock_keys(member_id, invoice.credential, invoice.available_on))
            items.append(item)
        for activity in store.activities(member_id):
            items.append(activity_item(activity))
            items += [dedup_item(activity, code, key) for code, key in activity.dedup_keys.items()]
        items += [payment_item(p) for p in store.payments_of(member_id)]
        items += [archive_item(a) for a in store.earlier_credentials(state)]
        return items


def _duplicate_payment() -> Exception:
    return Conflict("A payment reference of this line was used by another member.", code="DUPLICATE_PAYMENT")


class ImportFiles(DocumentStore):
    """The import file in S3: uploaded by a presigned POST, read line by line, each line with its byte
    offset (so a worker reads only its chunk), a gzipped file unpacked once beside it."""

    def size_and_lines(self, key: str) -> Iterator[tuple[int, int]]:
        """(offset, length) of every line of the object."""
        body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        offset = 0
        for line in body.iter_lines(keepends=True):
            yield offset, len(line)
            offset += len(line)

    def is_gzip(self, key: str) -> bool:
        head = self._client.get_object(Bucket=self._bucket, Key=key, Range="bytes=0-1")["Body"].read()
        return bool(head == b"\x1f\x8b")

    def unpack(self, key: str, into: str) -> None:
        body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        with gzip.GzipFile(fileobj=body) as unpacked:
            self._client.upload_fileobj(unpacked, self._bucket, into, ExtraArgs={"ServerSideEncryption": "AES256"})

    def read(self, key: str, start: int, end: int) -> bytes:
        """Bytes start..end-1 of the object."""
        response = self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes={start}-{end - 1}")
        return bytes(response["Body"].read())

    def put(self, key: str, body: bytes, content_type: str) -> str:
        self._client.put_object(
            Bucket=self._bucket, Key=key, Body=body, ContentType=content_type, ServerSideEncryption="AES256"
        )
        return key
