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
    listed,
    profile_items,
    profile_key,
    to_item,
)
from ccp.data.writes import (
    UnitOfWork,
    Update,
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
    InvoiceRecord,
    MemberRecord,
    MemberState,
    NoticeClaim,
    PaymentRecord,
)
from ccp.errors import Conflict, NotFound

M = TypeVar("M", bound=BaseModel)

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
        work = UnitOfWork(self._table)
        for item in profile_items(member):
            work.put_new(item, role="member")
        for credential in credentials:
            work.put_new(credential_item(credential), role="credential")
        work.commit([MEMBER_EXISTS], otherwise=_write_conflict)

    def bulk_load(self, members: list[tuple[MemberRecord, list[CredentialRecord], list[ActivityRecord]]]) -> None:
        """Batch-write members that do not exist yet (seeding, migration from the old portal).

        Not transactional and not conditional: only for loading into an empty key space.
        """
        with translated_errors(), self._table.batch_writer() as batch:
            for member, credentials, activities in members:
                for item in profile_items(member):
                    batch.put_item(Item=item)
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
        profile, search_entry = profile_items(after)
        work = UnitOfWork(self._table)
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
        work.commit()

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
