"""A local stand-in for the payment processor (Stripe), for `ccp-local up` and the tests.

It answers the calls the project's `stripe` client makes (create and read a Checkout Session),
serves the hosted payment page at the session's `url` with "Pay" and "Decline" buttons, and,
when a session is paid or its payment refunded, sends the event to the API's webhook signed
exactly as Stripe signs (`Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "<t>.<body>">`), so the
production verification (`stripe.Webhook.construct_event`) runs unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ccp_local.fake_http import LocalServer, QuietHandler

API_KEY = "sk_test_local"
DELIVERY_ATTEMPTS = 4


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe would send with this body."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def event(kind: str, obj: dict[str, Any], created: datetime | None = None) -> dict[str, Any]:
    moment = created or datetime.now(UTC)
    return {
        "id": f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "type": kind,
        "api_version": "2025-10-29",
        "livemode": False,
        "created": int(moment.timestamp()),
        "pending_webhooks": 1,
        "data": {"object": obj},
    }


def completed_event(session: dict[str, Any], created: datetime | None = None) -> dict[str, Any]:
    return event("checkout.session.completed", session, created)


def refunded_event(session: dict[str, Any], created: datetime | None = None) -> dict[str, Any]:
    charge = {
        "id": f"ch_{session['payment_intent'][3:]}",
        "object": "charge",
        "payment_intent": session["payment_intent"],
        "amount": session["amount_total"],
        "amount_refunded": session["amount_total"],
        "currency": session["currency"],
        "refunded": True,
    }
    return event("charge.refunded", charge, created)


def dispute_lost_event(session: dict[str, Any], created: datetime | None = None) -> dict[str, Any]:
    dispute = {
        "id": f"dp_{secrets.token_hex(8)}",
        "object": "dispute",
        "status": "lost",
        "payment_intent": session["payment_intent"],
        "charge": f"ch_{session['payment_intent'][3:]}",
        "amount": session["amount_total"],
        "currency": session["currency"],
    }
    return event("charge.dispute.closed", dispute, created)


def _nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`line_items[0][price_data][currency]=usd`) back into a dict."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return root


class FakeStripe(LocalServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.webhook_secret = f"whsec_local_{secrets.token_hex(12)}"
        self.webhook_url: str | None = None  # the API's /webhooks/payments, set once the gateway is up
        self.sessions: dict[str, dict[str, Any]] = {}
        self._by_key: dict[str, str] = {}
        self.deliveries: list[dict[str, Any]] = []
        self.refunds: list[dict[str, Any]] = []  # refunds the API asked for (a second charge, ...)
        self._lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path.startswith("/v1/"):
                    if not self._authorized():
                        return
                    found = re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path)
                    session = fake.sessions.get(found.group(1)) if found else None
                    return (
                        self._json(200, session)
                        if session
                        else self._json(404, _error("resource_missing", "No such checkout session"))
                    )
                found = re.fullmatch(r"/pay/([\w]+)", path)
                session = fake.sessions.get(found.group(1)) if found else None
                if session is None:
                    return self._html(404, "<h1>Payment page not found</h1>")
                self._html(200, _payment_page(session))

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qsl(self.rfile.read(length).decode() if length else "", keep_blank_values=True)
                if path == "/v1/checkout/sessions":
                    if not self._authorized():
                        return
                    return self._json(200, fake.create_session(_nested(form), self.headers.get("Idempotency-Key")))
                if path == "/v1/refunds":
                    if not self._authorized():
                        return
                    refund = fake.create_refund(_nested(form), self.headers.get("Idempotency-Key"))
                    if refund is None:
                        return self._json(404, _error("resource_missing", "No such payment_intent"))
                    return self._json(200, refund)
                found = re.fullmatch(r"/pay/([\w]+)", path)
                if not found or found.group(1) not in fake.sessions:
                    return self._html(404, "<h1>Payment page not found</h1>")
                session = fake.sessions[found.group(1)]
                if dict(form).get("action") == "decline":
                    return self._html(402, _payment_page(session, declined=True))
                fake.complete(session["id"])
                self.send_response(303)
                self.send_header("Location", session["success_url"])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {API_KEY}":
                    return True
                self._json(401, _error("invalid_api_key", "Invalid API Key provided."))
                return False

            _json = QuietHandler.send_json

            def _html(self, status: int, body: str) -> None:
                self.send_body(status, "text/html; charset=utf-8", body.encode())

        super().__init__(Handler, host, port)

    # ---- what the API calls ---------------------------------------------------------------

    def create_session(self, params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        with self._lock:
            if idempotency_key and idempotency_key in self._by_key:
                return self.sessions[self._by_key[idempotency_key]]
            item = params["line_items"]["0"]
            checkout_id = f"cs_test_{secrets.token_hex(12)}"
            session = {
                "id": checkout_id,
                "object": "checkout.session",
                "mode": params.get("mode", "payment"),
                "status": "open",
                "payment_status": "unpaid",
                "payment_intent": None,
                "client_reference_id": params.get("client_reference_id"),
                "amount_total": int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1)),
                "currency": item["price_data"]["currency"],
                "description": item["price_data"]["product_data"]["name"],
                "metadata": params.get("metadata", {}),
                "success_url": params["success_url"],
                "cancel_url": params["cancel_url"],
                "url": f"{self.url}/pay/{checkout_id}",
                "created": int(time.time()),
                "expires_at": int(time.time()) + 24 * 3600,
            }
            self.sessions[checkout_id] = session
            if idempotency_key:
                self._by_key[idempotency_key] = checkout_id
            return session

    def create_refund(self, params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any] | None:
        """A refund of a whole payment, as the API asks for a second charge; its charge.refunded event
        follows to the webhook (from another thread, after this answer, as Stripe sends it later)."""
        intent = params.get("payment_intent")
        with self._lock:
            earlier = next(
                (r for r in self.refunds if idempotency_key and r["idempotency_key"] == idempotency_key), None
            )
            if earlier is not None:
                return earlier["refund"]
            session = next((s for s in self.sessions.values() if s["payment_intent"] == intent), None)
            if session is None:
                return None
            refund = {
                "id": f"re_{secrets.token_hex(12)}",
                "object": "refund",
                "payment_intent": intent,
                "amount": session["amount_total"],
                "currency": session["currency"],
                "status": "succeeded",
                "metadata": params.get("metadata", {}),
            }
            self.refunds.append({"idempotency_key": idempotency_key, "refund": refund, "session": session["id"]})
        if self.webhook_url:
            threading.Thread(target=self.deliver, args=(refunded_event(session),), daemon=True).start()
        return refund

    # ---- what a payer (or `ccp-local pay`) does ----------------------------------------------

    def mark_paid(self, checkout_id: str) -> dict[str, Any]:
        session = self.sessions[checkout_id]
        with self._lock:
            if session["payment_status"] != "paid":
                session.update(status="complete", payment_status="paid", payment_intent=f"pi_{secrets.token_hex(12)}")
        return session

    def complete(self, checkout_id: str, *, at: datetime | None = None) -> dict[str, Any]:
        """The payer paid: the session completes and the signed event goes to the webhook."""
        return self.deliver(completed_event(self.mark_paid(checkout_id), at))

    def refund(self, invoice_id: str, *, dispute: bool = False, at: datetime | None = None) -> dict[str, Any]:
        """The money of the invoice's paid session goes back (a refund, or a dispute the body lost)."""
        paid = [
            s
            for s in self.sessions.values()
            if s["metadata"].get("invoice_id") == invoice_id and s["payment_status"] == "paid"
        ]
        if not paid:
            raise KeyError(f"no paid checkout for invoice {invoice_id}")
        session = paid[-1]
        return self.deliver(dispute_lost_event(session, at) if dispute else refunded_event(session, at))

    def session_for(self, invoice_id: str) -> dict[str, Any] | None:
        found = [s for s in self.sessions.values() if s["metadata"].get("invoice_id") == invoice_id]
        return found[-1] if found else None

    def deliver(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a signed event to the webhook, retrying on failure as Stripe does (a few times here)."""
        if not self.webhook_url:
            raise RuntimeError("the webhook address is not set")
        body = json.dumps(payload)
        status, answer = 0, ""
        for attempt in range(DELIVERY_ATTEMPTS):
            request = urllib.request.Request(
                self.webhook_url,
                data=body.encode(),
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": sign(body, self.webhook_secret),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, answer = response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                status, answer = error.code, error.read().decode()
            except urllib.error.URLError as error:
                status, answer = 0, str(error)
            if 200 <= status < 300:
                break
            time.sleep(0.2 * (attempt + 1))
        delivery = {"event_id": payload["id"], "type": payload["type"], "status": status, "answer": answer}
        self.deliveries.append(delivery)
        return delivery


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "code": code, "message": message}}


def _payment_page(session: dict[str, Any], *, declined: bool = False) -> str:
    amount = f"{session['amount_total'] / 100:,.2f} {session['currency'].upper()}"
    note = '<p role="alert">Your card was declined. Nothing was charged.</p>' if declined else ""
    paid = session["payment_status"] == "paid"
    action = (
        "<p>This checkout is already paid.</p>"
        if paid
        else '<form method="post"><button name="action" value="pay">Pay</button> '
        '<button name="action" value="decline">Decline</button></form>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pay {html.escape(amount)} (local payment processor)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.5rem 1.25rem}}</style>
</head><body><main>
<h1>Pay {html.escape(amount)}</h1>
<p>{html.escape(session["description"])}</p>
<p>This is the local stand-in for the payment processor: no card is needed and no money moves.</p>
{note}{action}
<p><a href="{html.escape(session["cancel_url"])}">Back to the portal without paying</a></p>
</main></body></html>"""
