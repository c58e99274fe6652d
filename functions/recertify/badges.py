"""Credly badges, driven by events through a queue (docs/rules.md §7): issued or renewed on
reinstatement and at every roll-over (expiry = cycle end), revoked on must_recertify.

Status changes never wait for Credly: they publish an event and are done. This worker retries
from the queue (then its DLQ) while Credly is down.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp import dependency
from ccp.data.credly import CredlyClient, CredlyConfig
from ccp.data.dynamo import table
from ccp.data.members import MemberRepository
from ccp.domain.records import CredentialRecord, MemberRecord, MemberState
from ccp.settings import (
    BadgeSettings,
)

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


@dependency
def _members() -> MemberRepository:
    return MemberRepository(table())


def _credly() -> CredlyClient:
    # The secret is cached by Powertools for 5 minutes, so a rotated token is picked up.
    secret = parameters.get_secret(BadgeSettings.from_env().credly_secret_name, transform="json", max_age=300)
    return CredlyClient(CredlyConfig(**secret))


def handle_event(event: dict) -> dict:
    detail_type, detail = event["detail-type"], event["detail"]
    members = _members()
    state = members.member_state(detail["member_id"])
    if detail_type == "MemberRenamed":
        return _renamed(state, members, _credly())
    credential = state.credential(detail["credential"])
    if credential is None:
        return {"action": "skipped", "reason": "credential not held"}
    earner_id = f"{credential.member_id}:{credential.code}:{credential.cycle_start.isoformat()}"
    credly = _credly()
    if detail_type == "CredentialLapsed":
        if credential.badge_id:
            credly.revoke(credential.badge_id, reason="Certification lapsed: must recertify")
            members.set_badge(credential.member_id, credential.code, None)
        return {"action": "revoked", "credential": credential.code}
    if credential.status != "active":
        return {"action": "skipped", "reason": f"credential is {credential.status}"}
    profile = state.profile
    if detail_type == "CycleRolledOver" and credential.badge_id:
        badge_id = credly.replace(
            credential.badge_id,
            credential=credential.code,
            earner_id=earner_id,
            issued_at=credential.cycle_start.isoformat(),
            expires_at=credential.cycle_end.isoformat(),
        )
        action = "replaced"
    else:
        badge_id = _issue(credly, credential, profile, earner_id)
        action = "issued"
    members.set_badge(credential.member_id, credential.code, badge_id)
    return {"action": action, "credential": credential.code}


def _renamed(state: MemberState, members: MemberRepository, credly: CredlyClient) -> dict:
    """A badge carries the earner's name: each live one is revoked and issued again in the new name
    (Credly's replace keeps the recipient), under an earner id that names the name, so a re-delivered
    event finds the badge already issued and issues nothing."""
    profile, again = state.profile, []
    name_tag = hashlib.sha256(f"{profile.first_name}|{profile.last_name}".encode()).hexdigest()[:8]
    for credential in state.credentials:
        if not credential.badge_id or credential.status != "active":
            continue
        earner_id = f"{credential.member_id}:{credential.code}:{credential.cycle_start.isoformat()}:{name_tag}"
        if credly.find(earner_id):
            continue  # issued in this name already
        credly.revoke(credential.badge_id, reason="Name changed: the badge is issued again in the new name")
        badge_id = _issue(credly, credential, profile, earner_id)
        members.set_badge(credential.member_id, credential.code, badge_id)
        again.append(credential.code)
    return {"action": "reissued", "credentials": again}


def _issue(credly: CredlyClient, credential: CredentialRecord, profile: MemberRecord, earner_id: str) -> str:
    """The credential's badge for its open cycle, in the member's current name."""
    return credly.issue(
        credential=credential.code,
        earner_id=earner_id,
        email=profile.email,
        first_name=profile.first_name,
        last_name=profile.last_name,
        issued_at=credential.cycle_start.isoformat(),
        expires_at=credential.cycle_end.isoformat(),
    )


def _record(record: SQSRecord) -> dict:
    return handle_event(json.loads(record.body))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Each message is an EventBridge event (CycleRolledOver, CredentialReinstated, CredentialImported,
    CredentialLapsed, MemberRenamed)."""
    return process_partial_response(event=event, record_handler=_record, processor=processor, context=context)
