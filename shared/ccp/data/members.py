"""Members, their credentials and their CE activities in the single table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from boto3.dynamodb.conditions import Key
from pydantic import BaseModel

from ccp.data import keys
from ccp.data.dynamo import query_all, transact, translated_errors
from ccp.data.items import to_item
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
from ccp.errors import Conflict, NotFound, Retryable

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def credential_item(credential: CredentialRecord) -> dict[str, Any]:
    item = {
        "pk": keys.member_pk(credential.member_id),
        "sk": keys.credential_sk(credential.code),
        "entity": "credential",
        **keys.anniversary_gsi_keys(credential.member_id, credential.code, credential.anchor),
        **to_item(credential),
    }
    if listed_as_unmet(credential):
        item.update(keys.cycle_end_keys(credential.member_id, credential.code, credential.cycle_end))
    return item


def versioned_put(table_name: str, item: dict[str, Any], expected_version: int) -> dict[str, Any]:
    """A transaction Put that lands only if the stored item still has `expected_version`
    (optimistic locking); `item` carries the next version."""
    return {
        "Put": {
            "TableName": table_name,
            "Item": item,
            "ConditionExpression": "#version = :expected",
            "ExpressionAttributeNames": {"#version": "version"},
            "ExpressionAttributeValues": {":expected": expected_version},
        }
    }


def credential_put(table_name: str, before: CredentialRecord, after: CredentialRecord) -> dict[str, Any]:
    """Replace a credential if nobody changed it since `before` was read."""
    return versioned_put(
        table_name, credential_item(after.model_copy(update={"version": before.version + 1})), before.version
    )


class StaleWrite(Exception):
    """What a write was computed from (an activity, a credential's running totals) changed between
    our read and our write; re-read and retry."""


def _read_version(version: int) -> dict[str, Any]:
    """The condition that the stored activity is still the version that was read."""
    return {
        "ConditionExpression": "attribute_exists(pk) AND (#version = :read"
        + (" OR attribute_not_exists(#version))" if version == 0 else ")"),
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":read": version},
    }


EDITED_MEANWHILE = "EDITED_MEANWHILE"


def retry_on_stale(attempt: Callable[[], T], *, attempts: int = 4, edit_of_one_record: bool = False) -> T:
    """Run a read-compute-write `attempt` again on fresh reads when its write finds the data changed:
    never applied to stale data. When the races do not stop: a 503 to retry, or, for an edit of one
    record someone else is editing at the same time, a 409 EDITED_MEANWHILE (reload, then edit)."""
    for _ in range(attempts):
        try:
            return attempt()
        except StaleWrite:
            continue
    if edit_of_one_record:
        raise Conflict(
            "Someone changed this record at the same time. Reload it to see the change, then edit again.",
            code=EDITED_MEANWHILE,
        )
    raise Retryable("Too many simultaneous changes to this member; try again.")


class TotalsWrite(NamedTuple):
    """New running totals for one credential, written only if nobody changed it since it was read.

    Keeps the sparse indexes in step in the same transaction: an unmet cycle stays listed under its
    end month (for CE reminders and the status sweep); a locked end-of-cycle invoice that the
    totals just unlocked is listed for the unlock run on the day it becomes payable.
    """

    credential: CredentialRecord
    unlock_invoice: InvoiceRecord | None = None
    # The end-of-cycle invoice, unpaid, that a removal of points locks again (docs/rules.md §3: re-lock).
    relock_invoice: InvoiceRecord | None = None

    def items(self, table_name: str) -> list[dict[str, Any]]:
        c = self.credential
        names = {"#recorded": "recorded", "#eligible": "eligible", "#version": "version", "#cycle_start": "cycle_start"}
        values: dict[str, Any] = {
            ":recorded": {k.value: v for k, v in c.recorded.items()},
            ":eligible": {k.value: v for k, v in c.eligible.items()},
            ":expected": c.version,
            ":next": c.version + 1,
            ":cycle_start": c.cycle_start.isoformat(),
        }
        sets = ["#recorded = :recorded", "#eligible = :eligible", "#version = :next"]
        removes = []
        if c.met_on is None:
            removes.append("met_on")
        else:
            sets.append("met_on = :met_on")
            values[":met_on"] = c.met_on.isoformat()
        if listed_as_unmet(c):
            for attribute, value in keys.cycle_end_keys(c.member_id, c.code, c.cycle_end).items():
                sets.append(f"{attribute} = :{attribute}")
                values[f":{attribute}"] = value
        else:
            removes += ["gsi2pk", "gsi2sk"]
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        items = [
            {
                "Update": {
                    "TableName": table_name,
                    "Key": {"pk": keys.member_pk(c.member_id), "sk": keys.credential_sk(c.code)},
                    "UpdateExpression": expression,
                    # The cycle must still be the one the activity counts toward (no roll-over in between).
                    "ConditionExpression": "#version = :expected AND #cycle_start = :cycle_start",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        ]
        invoice = self.unlock_invoice
        available_on = invoice.available_on if invoice is not None else None
        if invoice is not None and available_on is not None:
            unlock = keys.unlock_keys(invoice.member_id, invoice.credential, available_on)
            items.append(
                {
                    "Update": {
                        "TableName": table_name,
                        "Key": keys.invoice_key(
                            invoice.member_id, invoice.credential, invoice.anniversary, invoice.application_id
                        ),
                        "UpdateExpression": "SET available_on = :available, gsi3pk = :gsi3pk, gsi3sk = :gsi3sk",
                        "ConditionExpression": "#state = :locked",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {
                            ":available": available_on.isoformat(),
                            ":gsi3pk": unlock["gsi3pk"],
                            ":gsi3sk": unlock["gsi3sk"],
                            ":locked": "locked",
                        },
                    }
                }
            )
        if self.relock_invoice is not None:
            invoice = self.relock_invoice
            items.append(
                {
                    "Update": {
                        "TableName": table_name,
                        "Key": keys.invoice_key(
                            invoice.member_id, invoice.credential, invoice.anniversary, invoice.application_id
                        ),
                        # Off the unlock list too, so no "payable" notice goes out for it.
                        "UpdateExpression": "SET #state = :locked REMOVE available_on, gsi3pk, gsi3sk",
                        "ConditionExpression": "#state IN (:locked, :open)",
                        "ExpressionAttributeNames": {"#state": "state"},
                        "ExpressionAttributeValues": {":locked": "locked", ":open": "open"},
                    }
                }
            )
        return items


def listed_as_unmet(credential: CredentialRecord) -> bool:
    return not credential.grandfathered and credential.met_on is None


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
        self._client = table.meta.client
        self._name = table.name

    @staticmethod
    def name_search_prefix(text: str) -> str:
        """A last name's start as the search index folds it (case and accents gone)."""
        return keys.name_key(text)

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

    def activities(self, member_id: str) -> list[ActivityRecord]:
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id))
            & Key("sk").begins_with(keys.ACTIVITY_PREFIX),
        )
        return [ActivityRecord.model_validate(i) for i in items]

    def activity(self, member_id: str, activity_id: str) -> ActivityRecord:
        with translated_errors():
            item = self._table.get_item(Key={"pk": keys.member_pk(member_id), "sk": keys.activity_sk(activity_id)}).get(
                "Item"
            )
        if item is None:
            raise NotFound(f"No CE activity {activity_id}.", code="ACTIVITY_NOT_FOUND")
        return ActivityRecord.model_validate(item)

    # ---- writes --------------------------------------------------------------------------

    def create_member(self, member: MemberRecord, credentials: list[CredentialRecord]) -> None:
        items = [self._put(item) for item in self._profile_items(member)]
        for credential in credentials:
            items.append(self._put(self._credential_item(credential)))
        self._transact(items, roles=["member", "member"] + ["credential"] * len(credentials))

    @staticmethod
    def _profile_items(member: MemberRecord) -> list[dict[str, Any]]:
        """The profile (listed by last name on the search index) and the member's email entry."""
        pk = keys.member_pk(member.member_id)
        names = {"member_id": member.member_id, "first_name": member.first_name, "last_name": member.last_name}
        return [
            {
                "pk": pk,
                "sk": keys.PROFILE_SK,
                "entity": "member",
                **to_item(member),
                **keys.name_search_keys(member.last_name, member.first_name, member.member_id),
            },
            {
                "pk": pk,
                "sk": keys.SEARCH_EMAIL_SK,
                "entity": "member_email",
                **names,
                "email": member.email,
                **keys.email_search_keys(member.email, member.member_id),
            },
        ]

    # ---- staff search (GSI4) -------------------------------------------------------------------

    def members_named(self, last_name_prefix: str, limit: int) -> list[dict[str, str]]:
        """Members whose last name starts with the prefix (at least two letters), by name."""
        condition = Key("gsi4pk").eq(keys.name_partition(last_name_prefix)) & Key("gsi4sk").begins_with(
            keys.name_key(last_name_prefix)
        )
        with translated_errors():
            found = self._table.query(IndexName="gsi4", KeyConditionExpression=condition, Limit=limit)
        return [_listed(i) for i in found.get("Items", [])]

    def member_with_id(self, member_id: str) -> list[dict[str, str]]:
        """The member of that id as a search lists it (one read of the profile), or nobody."""
        with translated_errors():
            item = self._table.get_item(Key={"pk": keys.member_pk(member_id), "sk": keys.PROFILE_SK}).get("Item")
        return [_listed(item)] if item else []

    def members_with_email(self, email: str, limit: int) -> list[dict[str, str]]:
        condition = Key("gsi4pk").eq(keys.email_partition(email))
        with translated_errors():
            found = self._table.query(IndexName="gsi4", KeyConditionExpression=condition, Limit=limit)
        return [_listed(i) for i in found.get("Items", [])]

    def bulk_load(self, members: list[tuple[MemberRecord, list[CredentialRecord], list[ActivityRecord]]]) -> None:
        """Batch-write members that do not exist yet (seeding, migration from the old portal).

        Not transactional and not conditional: only for loading into an empty key space.
        """
        with translated_errors(), self._table.batch_writer() as batch:
            for member, credentials, activities in members:
                for item in self._profile_items(member):
                    batch.put_item(Item=item)
                for credential in credentials:
                    batch.put_item(Item=self._credential_item(credential))
                for activity in activities:
                    batch.put_item(Item=self._activity_item(activity))
                    for code, key in activity.dedup_keys.items():
                        batch.put_item(Item=self._dedup_put(activity, code, key)["Put"]["Item"])

    def mark_email(self, member_id: str, email: str, status: str) -> int:
        """Mark an address SES reported (bounced, complained) on the member's profile and on every
        copy of their contact that notices read (credentials, invoices), in one transaction; only
        where the address is still the one reported. How many items changed (0: none holds it)."""
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(member_id)) & Key("sk").begins_with(keys.STATE_PREFIX),
        )
        writes: list[dict[str, Any]] = []
        for item in items:
            key = {"pk": item["pk"], "sk": item["sk"]}
            if item["sk"] == keys.PROFILE_SK and item.get("email") == email:
                expression, condition = "SET email_status = :status", "email = :email"
            elif (item.get("contact") or {}).get("email") == email:
                # Credentials are written whole under their version: move it, so a concurrent write retries.
                bump = ", version = version + :one" if item["sk"].startswith(keys.CREDENTIAL_PREFIX) else ""
                expression, condition = f"SET contact.email_status = :status{bump}", "contact.email = :email"
            else:
                continue
            values = {":status": status, ":email": email} | ({":one": 1} if "version" in expression else {})
            writes.append(
                {
                    "Update": {
                        "TableName": self._name,
                        "Key": key,
                        "UpdateExpression": expression,
                        "ConditionExpression": condition,
                        "ExpressionAttributeValues": values,
                    }
                }
            )
        if writes and transact(self._client, writes, ["contact"] * len(writes)):
            raise StaleWrite()  # an address changed meanwhile: read again
        return len(writes)

    def profile(self, member_id: str) -> MemberRecord:
        with translated_errors():
            item = self._table.get_item(Key={"pk": keys.member_pk(member_id), "sk": keys.PROFILE_SK}).get("Item")
        if item is None:
            raise NotFound(f"No member {member_id}.", code="MEMBER_NOT_FOUND")
        return MemberRecord.model_validate(item)

    def update_contact(self, before: MemberRecord, after: MemberRecord) -> None:
        """The member's new contact details, together: the profile (only if nobody changed it since
        `before` was read), the email search entry, and the contact copy on every credential and
        unpaid invoice the notice runs read. StaleWrite if anything moved meanwhile."""
        items = query_all(
            self._table,
            KeyConditionExpression=Key("pk").eq(keys.member_pk(before.member_id))
            & Key("sk").begins_with(keys.STATE_PREFIX),
        )
        profile, search_entry = self._profile_items(after)
        writes = [
            {
                "Put": {
                    "TableName": self._name,
                    "Item": profile,
                    "ConditionExpression": (
                        "email = :email AND email_status = :status"
                        " AND (#attempts = :attempts OR attribute_not_exists(#attempts))"
                    ),
                    "ExpressionAttributeNames": {"#attempts": "email_code_attempts"},
                    "ExpressionAttributeValues": {
                        ":email": before.email,
                        ":status": before.email_status,
                        ":attempts": before.email_code_attempts,
                    },
                }
            }
        ]
        roles = ["member"]
        if search_entry["gsi4pk"] != keys.email_search_keys(before.email, before.member_id)["gsi4pk"]:
            writes.append({"Put": {"TableName": self._name, "Item": search_entry}})  # the same key, a new email
            roles.append("member")
        contact = to_item(after.contact)
        for item in items:
            if "contact" not in item or item.get("state") in ("paid", "void"):
                continue
            key = {"pk": item["pk"], "sk": item["sk"]}
            if item["sk"].startswith(keys.CREDENTIAL_PREFIX):
                # Credentials are written whole under their version: move it, so a concurrent write retries.
                update = {
                    "UpdateExpression": "SET contact = :contact, version = version + :one",
                    "ConditionExpression": "version = :version",
                    "ExpressionAttributeValues": {":contact": contact, ":one": 1, ":version": item["version"]},
                }
            else:
                update = {
                    "UpdateExpression": "SET contact = :contact",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":contact": contact},
                }
            writes.append({"Update": {"TableName": self._name, "Key": key, **update}})
            roles.append("contact")
        if transact(self._client, writes, roles):
            raise StaleWrite()

    def set_badge(self, member_id: str, code: str, badge_id: str | None) -> None:
        """Remember the Credly badge of the current cycle."""
        key = {"pk": keys.member_pk(member_id), "sk": keys.credential_sk(code)}
        with translated_errors():
            if badge_id is None:
                self._table.update_item(
                    Key=key,
                    UpdateExpression="REMOVE badge_id SET version = version + :one",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":one": 1},
                )
            else:
                # The version moves too, so a concurrent whole-item write of the credential retries
                # with the badge rather than dropping it.
                self._table.update_item(
                    Key=key,
                    UpdateExpression="SET badge_id = :badge, version = version + :one",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":badge": badge_id, ":one": 1},
                )

    def put_credential(self, credential: CredentialRecord) -> None:
        """Replace a credential item wholesale (seeding and migrations; never concurrent with members)."""
        with translated_errors():
            self._table.put_item(Item=self._credential_item(credential))

    def record_activity(self, activity: ActivityRecord, totals: list[TotalsWrite]) -> None:
        """The activity, its duplicate guards and every credential's new totals: one transaction."""
        # A second delivery of the same course event reuses its activity id: also a duplicate.
        items = [self._put(self._activity_item(activity))]
        roles = ["duplicate"]
        for code, key in activity.dedup_keys.items():
            items.append(self._dedup_put(activity, code, key))
            roles.append("duplicate")
        self._transact(*self._with_totals(items, roles, totals))

    def replace_activity(self, old: ActivityRecord, new: ActivityRecord, totals: list[TotalsWrite]) -> None:
        """The corrected activity (only over the version read), its guards and the totals: one transaction."""
        item = self._activity_item(new.model_copy(update={"version": old.version + 1}))
        items: list[dict[str, Any]] = [{"Put": {"TableName": self._name, "Item": item, **_read_version(old.version)}}]
        roles = ["activity"]
        for code, key in old.dedup_keys.items():
            if new.dedup_keys.get(code) != key:
                items.append(self._delete(keys.member_pk(old.member_id), keys.dedup_sk(code, key)))
                roles.append("other")
        for code, key in new.dedup_keys.items():
            if old.dedup_keys.get(code) != key:
                items.append(self._dedup_put(new, code, key))
                roles.append("duplicate")
        self._transact(*self._with_totals(items, roles, totals))

    def delete_activity(self, activity: ActivityRecord, totals: list[TotalsWrite]) -> None:
        pk = keys.member_pk(activity.member_id)
        items = [self._delete(pk, keys.activity_sk(activity.activity_id), _read_version(activity.version))]
        roles = ["activity"]
        for code, key in activity.dedup_keys.items():
            items.append(self._delete(pk, keys.dedup_sk(code, key)))
            roles.append("other")
        self._transact(*self._with_totals(items, roles, totals))

    # ---- helpers -------------------------------------------------------------------------

    def _credential_item(self, credential: CredentialRecord) -> dict[str, Any]:
        return credential_item(credential)

    def _activity_item(self, activity: ActivityRecord) -> dict[str, Any]:
        return {
            "pk": keys.member_pk(activity.member_id),
            "sk": keys.activity_sk(activity.activity_id),
            "entity": "ce_activity",
            **to_item(activity),
        }

    def _dedup_put(self, activity: ActivityRecord, code: str, key: str) -> dict[str, Any]:
        return self._put(
            {
                "pk": keys.member_pk(activity.member_id),
                "sk": keys.dedup_sk(code, key),
                "entity": "ce_dedup",
                "activity_id": activity.activity_id,
            }
        )

    def _with_totals(
        self, items: list[dict[str, Any]], roles: list[str], totals: list[TotalsWrite]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        for write in totals:
            for item in write.items(self._name):
                items.append(item)
                roles.append("totals")
        return items, roles

    def _put(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"Put": {"TableName": self._name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}

    def _delete(self, pk: str, sk: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"Delete": {"TableName": self._name, "Key": {"pk": pk, "sk": sk}, **(condition or {})}}

    def _transact(self, items: list[dict[str, Any]], roles: list[str]) -> None:
        failed = transact(self._client, items, roles)
        if not failed:
            return
        if "duplicate" in failed:
            raise Conflict("This activity is already recorded.", code="DUPLICATE_ACTIVITY")
        if "member" in failed or "credential" in failed:
            raise Conflict("This member already exists.", code="MEMBER_EXISTS")
        if failed & {"activity", "totals"}:
            # Changed or removed since it was read: the caller re-reads (and then finds it gone, or retries).
            raise StaleWrite()
        raise Conflict("The change conflicts with another one; try again.", code="WRITE_CONFLICT")


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


def _listed(item: dict[str, Any]) -> dict[str, str]:
    """A search result: who the member is, nothing more (staff open the record for the rest)."""
    return {name: str(item[name]) for name in ("member_id", "first_name", "last_name", "email")}
