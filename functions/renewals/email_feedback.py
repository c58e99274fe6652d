"""SES bounces and complaints (the configuration set's SNS topic): the member's address is marked
`bounced` or `complained`, so notices go to them by post only. SES suspends senders who keep
mailing such addresses; a member sees the status with their contact details and can give another.

Each message SES sent carries its member in the `member_id` tag (ccp.data.outbound.Mailer): no
lookup by address, and nothing personal is logged."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp.data.dynamo import table
from ccp.data.members import MemberRepository
from ccp.data.outbound import MEMBER_TAG
from ccp.data.writes import retry_on_stale

logger = Logger()
metrics = Metrics()


@dataclass(frozen=True)
class Feedback:
    member_id: str
    email: str
    status: str  # bounced | complained


def feedback_of(notification: dict[str, Any]) -> list[Feedback]:
    """What an SES event notification says about which member's address. Only a permanent bounce
    marks an address (a full mailbox or a greylisting server tries again); every complaint does."""
    kind = notification.get("eventType") or notification.get("notificationType")
    tags = (notification.get("mail") or {}).get("tags") or {}
    member_id = next(iter(tags.get(MEMBER_TAG) or []), None)
    if member_id is None:
        return []
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        recipients = [r.get("emailAddress") for r in bounce.get("bouncedRecipients") or []]
        status = "bounced"
    elif kind == "Complaint":
        recipients = [
            r.get("emailAddress") for r in (notification.get("complaint") or {}).get("complainedRecipients") or []
        ]
        status = "complained"
    else:
        return []
    return [Feedback(member_id, email, status) for email in recipients if email]


def record(feedback: Feedback, members: MemberRepository) -> int:
    return retry_on_stale(lambda: members.mark_email(feedback.member_id, feedback.email, feedback.status))


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    members = MemberRepository(table(for_jobs=True))
    marked = ignored = 0
    for message in event.get("Records", []):
        notification = json.loads(message["Sns"]["Message"])
        found = feedback_of(notification)
        if not found:
            ignored += 1
        for feedback in found:
            changed = record(feedback, members)
            marked += int(changed > 0)
            metrics.add_metric(name=f"EmailFeedback.{feedback.status}", unit=MetricUnit.Count, value=1)
    logger.info("email feedback", extra={"marked": marked, "ignored": ignored})
    return {"marked": marked, "ignored": ignored}
