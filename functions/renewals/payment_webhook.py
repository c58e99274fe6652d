"""The payment processor's webhook (`POST /webhooks/payments`): no Cognito token, the body's
`Stripe-Signature` proves who sent it. A verified event is applied once however often it arrives;
an event we cannot apply (wrong amount, an invoice that cannot be paid) is parked for staff."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from ccp.api import documented, install_boundary, request_moment, resolve
from ccp.data.payments import BadSignature, PaymentsNotConfigured, processor_event
from renewals.billing_wiring import processor, service
from renewals.schemas import WebhookReceived

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
install_boundary(app, logger)


@app.post(
    "/webhooks/payments",
    responses=documented(200, "Received (also when this event was received before).", 400),
    description="The processor's signed events (checkout.session.completed, charge.refunded, charge.dispute.closed). "
    "A missing or wrong Stripe-Signature is 400 BAD_SIGNATURE, a signed event of another shape 400 "
    "MALFORMED_EVENT, and with no real signing secret configured every event is 503 PAYMENTS_NOT_CONFIGURED; "
    "none of them stores anything.",
)
def payment_event() -> WebhookReceived:
    request = app.current_event
    signature = next((v for k, v in (request.headers or {}).items() if k.lower() == "stripe-signature"), None)
    try:
        event = processor().verify(request.decoded_body or "", signature)
    except PaymentsNotConfigured:
        metrics.add_metric(name="PaymentsNotConfigured", unit=MetricUnit.Count, value=1)  # alarmed
        raise
    except BadSignature:
        metrics.add_metric(name="WebhookSignaturesRefused", unit=MetricUnit.Count, value=1)  # alarmed
        raise
    outcome = service().on_processor_event(processor_event(event), received_at=request_moment(app))
    metrics.add_metric(name=f"ProcessorEvents.{outcome.outcome}", unit=MetricUnit.Count, value=1)
    logger.info(
        "processor event", extra={"event_type": event.get("type"), "outcome": outcome.outcome, "detail": outcome.detail}
    )
    return WebhookReceived(received=True, outcome=outcome.outcome)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return resolve(app, event, context)
