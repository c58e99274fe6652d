"""Members: their profiles, contact details and held credentials, in the single table."""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar

from boto3.dynamodb.conditions import Key
from pydantic import BaseModel

from ccp.data import keys
from ccp.data.dynamo import query_all, translated_errors
from ccp.data.items import (
    activity_item,
    credential_item,
    credential_key,
    dedup_item,
    earlier_credential,
    listed,
    profile_items,
    profile_key,
    to_item,
)
from ccp.data.writes import (
    UnitOfWork,
    Update,
    absent,
    at_version,
    equals,
    missing,
    present,
    refusal,
)
from ccp.domain.records import (
    ActivityRecord,
    ApplicationRecord,
    AuditRecord,
    CredentialRecord,
    EarlierCredential,
    InvoiceRecord,
    MemberRecord,
    MemberState,
    NoticeClaim,
    PaymentRecord,
)
from ccp.errors import Conflict, NotFound

M = TypeVar("M", bound=BaseModel)

CREDENTIAL_HELD = refusal(
    "credential", error=lambda: Conflict("The member already holds this credential.", code="CREDENTIAL_HELD")
)
MEMBER_EXISTS = refusal(
    "member", "credential", error=lambda: Conflict("This member already exists.", code="MEMBER_EXISTS")
)


class MemberFile(NamedTuple):
    """Everything kept about one member (the staff console's record), from one partition."""

    state: MemberState
    activities: list[ActivityRecord]
    payments: list[PaymentRecord]
    notices: list[NoticeClaim]
    applications: list[ApplicationRecord]
    audits: list[AuditRecord]


class MemberRepository:
    def __init__(self, table: Any):
        self._table = table

    # ---- reads ---------------------------------------------------------------------------

    def member_state(self, member_id: str) -> MemberState:
        """Profile and every held credential (with its cycle totals) in one query."""
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id)) & Key("sk").begins_with(keys.STATE_PREFIX),
        )
        profile = next((i for i in items if i["sk"] == keys.PROFILE_SK), None)
        if profile is None:
            raise NotFound(f"No member {member_id}.", code="MEMBER_NOT_FOUND")
        credentials = [CredentialRecord.model_validate(i) for i in items if i["sk"].startswith(keys.CREDENTIAL_PREFIX)]
        invoices = [InvoiceRecord.model_validate(i) for i in items if i["sk"].startswith(keys.INVOICE_PREFIX)]
        return MemberState(profile=MemberRecord.model_validate(profile), credentials=credentials, invoices=invoices)

    def earlier_credentials(self, state: MemberState) -> list[EarlierCredential]:
        """Every credential version something replaced (its archived cycles): one query, read only when a
        past day is asked about."""
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(state.profile.member_id))
            & Key("sk").begins_with(keys.CYCLE_ARCHIVE_PREFIX),
        )
        return [earlier_credential(i, current) for i in items if (current := state.credential(i["code"]))]

    def credentials(self, member_id: str) -> list[CredentialRecord]:
        """Every held credential with its open cycle's running totals: one query, whatever the activity count."""
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id))
            & Key("sk").begins_with(keys.CREDENTIAL_PREFIX),
        )
        return [CredentialRecord.model_validate(i) for i in items]

    def member_file(self, member_id: str) -> MemberFile:
        """The member's whole partition in one query (its pages): profile, credentials, invoices,
        activities, payments, the notice ledger, applications and audits."""
        items = query_all(self._table, KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id)))
        by_prefix: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            prefix = next((p for p in _FILE_PARTS if item["sk"].startswith(p)), None)
            if prefix:
                by_prefix.setdefault(prefix, []).append(item)
        profile = next((i for i in items if i["sk"] == keys.PROFILE_SK), None)
        if profile is None:
            raise NotFound(f"No member {member_id}.", code="MEMBER_NOT_FOUND")

        def part(prefix: str, model: type[M]) -> list[M]:
            return [model.model_validate(i) for i in by_prefix.get(prefix, [])]

        return MemberFile(
            state=MemberState(
                profile=MemberRecord.model_validate(profile),
                credentials=part(keys.CREDENTIAL_PREFIX, CredentialRecord),
                invoices=part(keys.INVOICE_PREFIX, InvoiceRecord),
            ),
            activities=part(keys.ACTIVITY_PREFIX, ActivityRecord),
            payments=part(keys.payment_sk(""), PaymentRecord),
            notices=part(keys.NOTICE_PREFIX, NoticeClaim),
            applications=part(keys.APPLICATION_PREFIX, ApplicationRecord),
            audits=part(keys.AUDIT_PREFIX, AuditRecord),
        )

    def member_exists(self, member_id: str) -> bool:
        with translated_errors():
            item = self._table.get_item(
                Key={"pk": keys.member_pk(member_id), "sk": keys.PROFILE_SK}, ProjectionExpression="pk"
            ).get("Item")
        return item is not None

    def profile(self, member_id: str) -> MemberRecord:
        with translated_errors():
            item = self._table.get_item(Key=profile_key(member_id)).get("Item")
        if item is None:
            raise NotFound(f"No member {member_id}.", code="MEMBER_NOT_FOUND")
        return MemberRecord.model_validate(item)

    # ---- writes --------------------------------------------------------------------------

    def create_member(self, member: MemberRecord, credentials: list[CredentialRecord]) -> None:
        """The member, their credentials and the guards that make them one person: their email (without
        case) and legacy id belong to nobody else. A known person: 409 MEMBER_EXISTS naming them."""
        work = UnitOfWork(self._table)
        for item in profile_items(member):
            work.put_new(item, role="member")
        for credential in credentials:
            work.put_new(credential_item(credential), role="credential")
        for guard in guard_items(member):
            work.put_new(guard, role="known")
        try:
            work.commit([MEMBER_EXISTS, refusal("known", error=_KnownPerson)], otherwise=_write_conflict)
        except _KnownPerson:
            known = sorted({self._owner(key) or "" for key in guard_keys(member)} - {"", member.member_id})
            raise Conflict(
                "This person is already a member: add the credential to them instead.",
                code="MEMBER_EXISTS",
                details=[{"member_id": member_id} for member_id in known],
            ) from None

    def _owner(self, key: dict[str, str]) -> str | None:
        with translated_errors():
            item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return str(item["member_id"]) if item else None

    def member_known_as(self, *, email: str | None = None, legacy_id: str | None = None) -> str | None:
        """The member an email (without case) or a legacy id belongs to, if any."""
        if legacy_id and (owner := self._owner(keys.known_legacy_key(legacy_id))):
            return owner
        return self._owner(keys.known_email_key(email)) if email else None

    def add_credential(self, credential: CredentialRecord) -> None:
        """Another credential for a known member; refused when it is held already."""
        work = UnitOfWork(self._table).put_new(credential_item(credential), role="credential")
        work.commit([CREDENTIAL_HELD], otherwise=_write_conflict)

    def bulk_load(self, members: list[tuple[MemberRecord, list[CredentialRecord], list[ActivityRecord]]]) -> None:
        """Batch-write members that do not exist yet (seeding, migration from the old portal).

        Not transactional and not conditional: only for loading into an empty key space.
        """
        with translated_errors(), self._table.batch_writer() as batch:
            for member, credentials, activities in members:
                for item in profile_items(member):
                    batch.put_item(Item=item)
                for guard in guard_items(member):
                    batch.put_item(Item=guard)
                for credential in credentials:
                    batch.put_item(Item=credential_item(credential))
                for activity in activities:
                    batch.put_item(Item=activity_item(activity))
                    for code, key in activity.dedup_keys.items():
                        batch.put_item(Item=dedup_item(activity, code, key))

    def mark_email(self, member_id: str, email: str, status: str) -> int:
        """Mark an address SES reported (bounced, complained) on the member's profile and on every
        copy of their contact that notices read (credentials, invoices), in one transaction; only
        where the address is still the one reported. How many items changed (0: none holds it)."""
        work = UnitOfWork(self._table)
        for item in self._state_items(member_id):
            key = {"pk": item["pk"], "sk": item["sk"]}
            if item["sk"] == keys.PROFILE_SK and item.get("email") == email:
                work.update(key, Update().set(email_status=status), role="contact", condition=equals("email", email))
            elif (item.get("contact") or {}).get("email") == email:
                mark = Update().set_path("contact.email_status", status)
                if item["sk"].startswith(keys.CREDENTIAL_PREFIX):
                    # Credentials are written whole under their version: move it, so a concurrent write retries.
                    mark.increment("version")
                work.update(key, mark, role="contact", condition=equals("contact.email", email))
        work.commit()  # an address changed meanwhile: StaleWrite, read again
        return len(work)

    def update_contact(self, before: MemberRecord, after: MemberRecord) -> None:
        """The member's new contact details, together: the profile (only if nobody changed it since
        `before` was read), the email search entry, and the contact copy on every credential and
        unpaid invoice the notice runs read. StaleWrite if anything moved meanwhile."""
        items = self._state_items(before.member_id)
        work = UnitOfWork(self._table)
        guarded = before.guarded_email or before.email
        if after.email_status == "ok" and after.email.strip().lower() != guarded.strip().lower():
            # A confirmed address becomes the member's alone, and the one they left is free for someone
            # else. An unconfirmed one claims nothing: nobody can block another's address by typing it.
            owned = {**keys.known_email_key(after.email), "entity": "known", "member_id": after.member_id}
            work.put(owned, role="email", condition=absent() | equals("member_id", after.member_id))
            work.delete(
                keys.known_email_key(guarded),
                role="contact",
                condition=missing("member_id") | equals("member_id", before.member_id),
            )
            after = after.model_copy(update={"guarded_email": after.email})
        profile, search_entry = profile_items(after)
        unchanged = (
            equals("email", before.email)
            & equals("email_status", before.email_status)
            & (equals("email_code_attempts", before.email_code_attempts) | missing("email_code_attempts"))
        )
        work.put(profile, role="member", condition=unchanged)
        if search_entry["gsi4pk"] != keys.email_search_keys(before.email, before.member_id)["gsi4pk"]:
            work.put(search_entry, role="member")  # the same key, a new email
        contact = to_item(after.contact)
        for item in items:
            if "contact" not in item or item.get("state") in ("paid", "void"):
                continue
            key = {"pk": item["pk"], "sk": item["sk"]}
            if item["sk"].startswith(keys.CREDENTIAL_PREFIX):
                # Credentials are written whole under their version: move it, so a concurrent write retries.
                bumped = Update().set(contact=contact).increment("version")
                work.update(key, bumped, role="contact", condition=at_version(item["version"]))
            else:
                work.update(key, Update().set(contact=contact), role="contact", condition=present())
        work.commit([refusal("email", error=_email_in_use)])

    def set_badge(self, member_id: str, code: str, badge_id: str | None) -> None:
        """Remember the Credly badge of the current cycle. The version moves too, so a concurrent
        whole-item write of the credential retries with the badge rather than dropping it."""
        badge = Update().increment("version")
        if badge_id is None:
            badge.remove("badge_id")
        else:
            badge.set(badge_id=badge_id)
        with translated_errors():
            self._table.update_item(Key=credential_key(member_id, code), **badge.request(present()))

    def put_credential(self, credential: CredentialRecord) -> None:
        """Replace a credential item wholesale (seeding and migrations; never concurrent with members)."""
        with translated_errors():
            self._table.put_item(Item=credential_item(credential))

    def replace_credential(self, before: CredentialRecord, after: CredentialRecord) -> None:
        """Write a credential's new state if nobody changed it since `before` was read (else StaleWrite)."""
        UnitOfWork(self._table).replace(credential_item(after), read_version=before.version, role="credential").commit()

    def _state_items(self, member_id: str) -> list[dict[str, Any]]:
        """The profile, credentials and invoices as stored (the items a contact change touches)."""
        return query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id)) & Key("sk").begins_with(keys.STATE_PREFIX),
        )


def guard_keys(member: MemberRecord) -> list[dict[str, str]]:
    """The keys that make a member one person: their email (without case) and their legacy id."""
    keys_ = [keys.known_email_key(member.guarded_email or member.email)]
    if member.legacy_id:
        keys_.append(keys.known_legacy_key(member.legacy_id))
    return keys_


def guard_items(member: MemberRecord) -> list[dict[str, Any]]:
    """The guards as written with the member (each naming whom it belongs to)."""
    return [{**key, "entity": "known", "member_id": member.member_id} for key in guard_keys(member)]


class _KnownPerson(Exception):
    """A guard of the new member (email, legacy id) belongs to someone already."""


def _email_in_use() -> Exception:
    return Conflict("This email address belongs to another member.", code="EMAIL_IN_USE")


def _write_conflict() -> Exception:
    return Conflict("The change conflicts with another one; try again.", code="WRITE_CONFLICT")


class MemberDirectory:
    """The staff search: members by last-name prefix, id or email (GSI4), one request each."""

    def __init__(self, table: Any):
        self._table = table

    @staticmethod
    def name_search_prefix(text: str) -> str:
        """A last name's start as the search index folds it (case and accents gone)."""
        return keys.name_key(text)

    def members_named(self, last_name_prefix: str, limit: int) -> list[dict[str, str]]:
        """Members whose last name starts with the prefix (at least two letters), by name."""
        condition = Key("gsi4pk").eq(keys.name_partition(last_name_prefix)) & Key("gsi4sk").begins_with(
            keys.name_key(last_name_prefix)
        )
        with translated_errors():
            found = self._table.query(IndexName="gsi4", KeyConditionExpression=condition, Limit=limit)
        return [listed(i) for i in found.get("Items", [])]

    def member_with_id(self, member_id: str) -> list[dict[str, str]]:
        """The member of that id as a search lists it (one read of the profile), or nobody."""
        with translated_errors():
            item = self._table.get_item(Key=profile_key(member_id)).get("Item")
        return [listed(item)] if item else []

    def members_with_email(self, email: str, limit: int) -> list[dict[str, str]]:
        condition = Key("gsi4pk").eq(keys.email_partition(email))
        with translated_errors():
            found = self._table.query(IndexName="gsi4", KeyConditionExpression=condition, Limit=limit)
        return [listed(i) for i in found.get("Items", [])]


# The parts of a member's partition the record shows (uniqueness guards and search entries are not).
_FILE_PARTS = (
    keys.CREDENTIAL_PREFIX,
    keys.INVOICE_PREFIX,
    keys.ACTIVITY_PREFIX,
    keys.payment_sk(""),
    keys.NOTICE_PREFIX,
    keys.APPLICATION_PREFIX,
    keys.AUDIT_PREFIX,
)
