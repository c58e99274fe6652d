"""The payment processor (Stripe, through the official `stripe` package): Checkout Sessions out,
signed webhook events in.

The processor's shapes stop here: the billing service sees `CheckoutSession`, `ProcessorPayment`
and `ProcessorRefund`, never a Stripe object. The API key and the webhook signing secret live in
one Secrets Manager secret (`api_key`, `webhook_secret`, and locally `api_base`, the address of
the local stand-in), read through Powertools and cached for five minutes so a rotation is picked up.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from ccp.errors import BadRequest, CcpError, Retryable

SECRET_MAX_AGE_SECONDS = 300


class BadSignature(BadRequest):
    default_code = "BAD_SIGNATURE"


class ProcessorUnavailable(Retryable):
    default_code = "PROCESSOR_UNAVAILABLE"


class MalformedEvent(BadRequest):
    """Signed, but not of a shape the processor sends (a number where an object belongs, a date past
    the calendar): refused, nothing stored, rather than half read."""

    default_code = "MALFORMED_EVENT"


class PaymentsNotConfigured(Retryable):
    """No real signing secret yet: every event is refused (the processor retries for days, so events
    sent before the operator sets the secret are applied once it is set)."""

    default_code = "PAYMENTS_NOT_CONFIGURED"


# A Stripe endpoint secret is `whsec_` and a long random string; anything else is a placeholder or a
# mistake, and a guessable secret would let anyone mark any invoice paid. The template's empty value,
# "set-me" and the README's "whsec_…" all fail this.
_WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9_]{16,}")


def usable_webhook_secret(secret: dict[str, Any] | None) -> str:
    """The signing secret, or PaymentsNotConfigured when it is missing, empty or a placeholder."""
    value = (secret or {}).get("webhook_secret")
    if not isinstance(value, str) or not _WEBHOOK_SECRET.fullmatch(value):
        raise PaymentsNotConfigured("Payments are not configured yet; no processor event is accepted.")
    return value


class CheckoutRequest(NamedTuple):
    member_id: str
    invoice_id: str
    description: str
    amount: Decimal
    currency: str
    success_url: str
    cancel_url: str
    idempotency_key: str


class CheckoutSession(NamedTuple):
    checkout_id: str
    checkout_url: str
    expires_at: datetime


@dataclass(frozen=True)
class ProcessorPayment:
    """The processor says money moved for one of our invoices."""

    event_id: str
    member_id: str | None
    invoice_id: str | None
    reference: str  # the processor's payment id (unique across the body)
    amount: Decimal
    currency: str
    paid_at: datetime


@dataclass(frozen=True)
class ProcessorRefund:
    """The processor says money went back: a refund, or a dispute the body lost."""

    event_id: str
    reference: str
    reason: str  # refund | dispute_lost
    full: bool  # the whole amount went back
    amount: Decimal


@dataclass(frozen=True)
class IgnoredEvent:
    event_id: str
    event_type: str
    why: str


ProcessorEvent = ProcessorPayment | ProcessorRefund | IgnoredEvent


def _secret(name: str) -> dict[str, str]:
    from aws_lambda_powertools.utilities import parameters

    secret: dict[str, str] = parameters.get_secret(name, transform="json", max_age=SECRET_MAX_AGE_SECONDS)
    return secret


def minor_units(amount: Decimal) -> int:
    """Stripe counts money in the currency's smallest unit (cents for USD)."""
    return int((amount * 100).to_integral_value())


def major_units(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class StripeProcessor:
    def __init__(self, secret_name: str):
        self._secret_name = secret_name

    def _client(self) -> Any:
        import stripe  # only the calls that need the processor pay for importing it

        secret = _secret(self._secret_name)
        addresses = {"api": secret["api_base"]} if secret.get("api_base") else None
        return stripe.StripeClient(secret["api_key"], base_addresses=addresses, max_network_retries=2)  # type: ignore[arg-type]

    def create_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        import stripe

        metadata = {"member_id": request.member_id, "invoice_id": request.invoice_id}
        params = {
            "mode": "payment",
            "client_reference_id": request.invoice_id,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency,
                        "unit_amount": minor_units(request.amount),
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        try:
            session = self._client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
            raise ProcessorUnavailable("The payment processor could not be reached; try again shortly.") from error
        except stripe.StripeError as error:
            raise CcpError("The payment processor refused to start the checkout.") from error
        return CheckoutSession(
            checkout_id=session.id,
            checkout_url=session.url,
            expires_at=datetime.fromtimestamp(session.expires_at, tz=UTC),
        )

    def refund(self, reference: str, *, reason: str) -> None:
        """Give the whole payment back (a second charge for what is already paid). Once per payment:
        the processor's idempotency key is the payment's reference."""
        import stripe

        try:
            self._client().v1.refunds.create(
                params={"payment_intent": reference, "metadata": {"reason": reason}},
                options={"idempotency_key": f"refund:{reference}"},
            )
        except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
            raise ProcessorUnavailable("The payment processor could not be reached to refund.") from error
        except stripe.StripeError as error:
            raise CcpError("The payment processor refused the refund.") from error

    def verify(self, payload: str, signature: str | None) -> dict[str, Any]:
        """The event, if the `Stripe-Signature` header proves the processor sent this very body."""
        import stripe

        webhook_secret = usable_webhook_secret(_secret(self._secret_name))  # fails closed before anything else
        if not signature:
            raise BadSignature("The Stripe-Signature header is missing.")
        try:
            stripe.Webhook.construct_event(payload, signature, webhook_secret)
        except stripe.SignatureVerificationError:
            raise BadSignature("The signature does not match this body.") from None
        except (ValueError, TypeError, AttributeError, KeyError):  # the package reads the body as an object
            raise BadSignature("The body is not a processor event.") from None
        event = json.loads(payload)
        if not isinstance(event, dict):
            raise BadSignature("The body is not a processor event.")
        return event


def processor_event(event: dict[str, Any]) -> ProcessorEvent:
    """What a verified Stripe event means for us; MalformedEvent if it is not of the processor's shape."""
    try:
        return _read_event(event)
    except (ValueError, TypeError, AttributeError, OverflowError, OSError) as error:
        raise MalformedEvent(f"The event is not of the processor's shape ({type(error).__name__}).") from None


def _optional_text(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > 128):
        raise TypeError("metadata values are short strings (our ids)")
    return value


def _read_event(event: dict[str, Any]) -> ProcessorEvent:
    event_id = str(event.get("id") or "")
    kind = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") or {}
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        if obj.get("payment_status") != "paid":
            return IgnoredEvent(event_id, kind, "not paid yet (the processor sends async_payment_succeeded when it is)")
        metadata = obj.get("metadata") or {}
        return ProcessorPayment(
            event_id=event_id,
            member_id=_optional_text(metadata.get("member_id")),
            invoice_id=_optional_text(metadata.get("invoice_id")),
            reference=str(obj.get("payment_intent") or obj.get("id")),
            amount=major_units(int(obj.get("amount_total") or 0)),
            currency=str(obj.get("currency") or "").lower(),
            paid_at=datetime.fromtimestamp(int(event.get("created") or 0), tz=UTC),
        )
    if kind == "charge.refunded":
        return ProcessorRefund(
            event_id=event_id,
            reference=str(obj.get("payment_intent") or obj.get("id")),
            reason="refund",
            full=bool(obj.get("refunded")),
            amount=major_units(int(obj.get("amount_refunded") or 0)),
        )
    if kind == "charge.dispute.closed":
        if obj.get("status") != "lost":
            return IgnoredEvent(event_id, kind, f"dispute closed as {obj.get('status')}: the money stays")
        return ProcessorRefund(
            event_id=event_id,
            reference=str(obj.get("payment_intent") or obj.get("charge")),
            reason="dispute_lost",
            full=True,
            amount=major_units(int(obj.get("amount") or 0)),
        )
    return IgnoredEvent(event_id, kind, "not an event the program acts on")
