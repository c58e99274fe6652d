"""Entities as DynamoDB items: the data layer's one mapping, the only place an entity becomes a dict
(reading back is each model's own validation of the item)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from ccp.data import keys
from ccp.domain.records import (
    ActivityRecord,
    ApplicationRecord,
    AuditRecord,
    CredentialRecord,
    EarlierCredential,
    InvoiceRecord,
    MemberRecord,
    NoticeClaim,
    PaymentRecord,
)
from ccp.rules.renewals import UNPAID_STATES


def to_item(model: BaseModel) -> dict[str, Any]:
    """A record as a DynamoDB item: dates as ISO strings, Decimals kept, None dropped."""
    item: dict[str, Any] = _plain(model.model_dump(mode="python", exclude_none=True))
    return item


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, bool | Decimal | str | int):
        return value
    if isinstance(value, float):  # never stored: points are Decimal end to end
        raise TypeError("float values are not stored")
    return value


# ---- each entity's item: its keys, its index entries while they matter, its fields ----------------


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


def credential_key(member_id: str, code: str) -> dict[str, str]:
    return {"pk": keys.member_pk(member_id), "sk": keys.credential_sk(code)}


def listed_as_unmet(credential: CredentialRecord) -> bool:
    """An unmet cycle stays listed under its end month (CE reminders, the status sweep)."""
    return not credential.grandfathered and credential.met_on is None


def profile_items(member: MemberRecord) -> list[dict[str, Any]]:
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


def profile_key(member_id: str) -> dict[str, str]:
    return {"pk": keys.member_pk(member_id), "sk": keys.PROFILE_SK}


def listed(item: dict[str, Any]) -> dict[str, str]:
    """A search result: who the member is, nothing more (staff open the record for the rest)."""
    return {name: str(item[name]) for name in ("member_id", "first_name", "last_name", "email")}


def activity_item(activity: ActivityRecord) -> dict[str, Any]:
    return {
        "pk": keys.member_pk(activity.member_id),
        "sk": keys.activity_sk(activity.activity_id),
        "entity": "ce_activity",
        **to_item(activity),
    }


def activity_key(member_id: str, activity_id: str) -> dict[str, str]:
    return {"pk": keys.member_pk(member_id), "sk": keys.activity_sk(activity_id)}


def dedup_item(activity: ActivityRecord, code: str, key: str) -> dict[str, Any]:
    """The uniqueness guard of the duplicate rule for one credential."""
    return {**dedup_key(activity.member_id, code, key), "entity": "ce_dedup", "activity_id": activity.activity_id}


def dedup_key(member_id: str, code: str, key: str) -> dict[str, str]:
    return {"pk": keys.member_pk(member_id), "sk": keys.dedup_sk(code, key)}


def application_item(application: ApplicationRecord) -> dict[str, Any]:
    item = {
        "pk": keys.member_pk(application.member_id),
        "sk": keys.application_sk(application.application_id),
        "entity": "application",
        **to_item(application),
    }
    if application.state in ("submitted", "staff_review", "exam_authorized", "fee_reversed"):
        item.update(
            keys.review_queue_keys(application.state, application.member_id, application.created_at.isoformat())
        )
    return item


def invoice_item(invoice: InvoiceRecord) -> dict[str, Any]:
    item = {
        "pk": keys.member_pk(invoice.member_id),
        "sk": keys.invoice_sk(invoice.credential, invoice.anniversary, invoice.application_id),
        "entity": "invoice",
        **to_item(invoice),
    }
    if invoice.state in UNPAID_STATES and invoice.purpose == "renewal":
        item.update(keys.due_keys(invoice.member_id, invoice.credential, invoice.due_date))
    return item


def invoice_key(invoice: InvoiceRecord) -> dict[str, str]:
    return keys.invoice_key(invoice.member_id, invoice.credential, invoice.anniversary, invoice.application_id)


def payment_item(payment: PaymentRecord) -> dict[str, Any]:
    return {
        "pk": keys.member_pk(payment.member_id),
        "sk": keys.payment_sk(payment.processor_reference),
        "entity": "payment",
        **to_item(payment),
    }


def claim_item(claim: NoticeClaim) -> dict[str, Any]:
    return {
        "pk": keys.member_pk(claim.member_id),
        "sk": keys.notice_sk(claim.credential, claim.kind, claim.period, claim.channel),
        "entity": "notice",
        **keys.claimed_keys(claim.member_id, claim.claimed_at),
        **to_item(claim),
    }


def sent_claim_item(claim: NoticeClaim, sent_at: str) -> dict[str, Any]:
    """A notice sent: kept so it is never sent again, off the list of claims a run heals."""
    item = claim_item(claim.model_copy(update={"state": "sent", "sent_at": sent_at}))
    for healing in keys.claimed_keys(claim.member_id, claim.claimed_at):
        item.pop(healing)
    return item


def audit_item(audit: AuditRecord) -> dict[str, Any]:
    item = {
        "pk": keys.member_pk(audit.member_id),
        "sk": keys.audit_sk(audit.year, audit.credential),
        "entity": "audit",
        **keys.audit_year_keys(audit.year, audit.member_id, audit.credential),
        **to_item(audit),
    }
    if audit.state == "open":
        item.update(keys.audit_deadline_keys(audit.deadline, audit.member_id, audit.credential))
    return item


def archive_item(earlier: EarlierCredential) -> dict[str, Any]:
    """A credential as it stood until something replaced it: what past days are judged on. A rolled-over
    cycle is also listed by its roll-over year (what the January audit draws from); the others are
    kept one per day of replacement."""
    c = earlier.credential
    rolled_over = earlier.replaced_by == "roll_over"
    item = {
        "pk": keys.member_pk(c.member_id),
        "sk": keys.cycle_archive_sk(
            c.code, c.cycle_start, None if rolled_over else (earlier.replaced_by, earlier.replaced_on)
        ),
        "entity": "cycle",
        **(keys.rollover_keys(c.member_id, c.code, earlier.replaced_on) if rolled_over else {}),
        "member_id": c.member_id,
        "code": c.code,
        "cycle_start": c.cycle_start.isoformat(),
        "cycle_end": c.cycle_end.isoformat(),
        "recorded": {k.value: v for k, v in c.recorded.items()},
        "eligible": {k.value: v for k, v in c.eligible.items()},
        "met_on": c.met_on.isoformat() if c.met_on else None,
        "rolled_over_on": earlier.replaced_on.isoformat() if rolled_over else None,
        "replaced_on": earlier.replaced_on.isoformat(),
        "replaced_by": earlier.replaced_by,
        "credential": to_item(c.model_copy(update={"contact": None, "version": 0})),
        "contact": to_item(c.contact) if c.contact else None,
    }
    return {k: v for k, v in item.items() if v is not None}


def earlier_credential(item: dict[str, Any], current: CredentialRecord) -> EarlierCredential:
    """An archived credential. Cycles archived before the whole credential was kept hold their totals
    only: the rest is the current credential's (a roll-over changes nothing else)."""
    if "credential" in item:
        credential = CredentialRecord.model_validate(item["credential"])
    else:
        credential = current.model_copy(
            update={
                "cycle_start": date.fromisoformat(item["cycle_start"]),
                "cycle_end": date.fromisoformat(item["cycle_end"]),
                "recorded": item.get("recorded", {}),
                "eligible": item.get("eligible", {}),
                "met_on": date.fromisoformat(item["met_on"]) if item.get("met_on") else None,
            }
        )
    replaced_on = item.get("replaced_on") or item["rolled_over_on"]
    return EarlierCredential(
        credential=credential,
        replaced_on=date.fromisoformat(replaced_on),
        replaced_by=item.get("replaced_by", "roll_over"),
    )
