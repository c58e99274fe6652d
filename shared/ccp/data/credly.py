"""A client of Credly's badge API (issue, find by our earner id, replace, revoke).

Badges carry `issuer_earner_id` = our id for (member, credential, cycle), so a retried issue finds
the badge it already made instead of issuing a second one.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from ccp.errors import Retryable


class CredlyUnavailable(Retryable):
    default_code = "CREDLY_UNAVAILABLE"


@dataclass(frozen=True)
class CredlyConfig:
    base_url: str
    organization_id: str
    token: str
    badge_templates: dict[str, str]  # credential code -> Credly badge template id
    timeout_seconds: float = 10


class CredlyClient:
    def __init__(self, config: CredlyConfig):
        self._config = config
        self._auth = "Basic " + base64.b64encode(f"{config.token}:".encode()).decode()

    def issue(
        self,
        *,
        credential: str,
        earner_id: str,
        email: str,
        first_name: str,
        last_name: str,
        issued_at: str,
        expires_at: str,
    ) -> str:
        existing = self.find(earner_id)
        if existing:
            return existing
        body = {
            "recipient_email": email,
            "badge_template_id": self._config.badge_templates[credential],
            "issued_to_first_name": first_name,
            "issued_to_last_name": last_name,
            "issued_at": issued_at,
            "expires_at": expires_at,
            "issuer_earner_id": earner_id,
            "suppress_badge_notification_email": False,
        }
        return str(self._call("POST", "badges", body)["data"]["id"])

    def find(self, earner_id: str) -> str | None:
        query = urllib.parse.urlencode({"filter": f"issuer_earner_id::{earner_id}|state::pending,accepted"})
        found = self._call("GET", f"badges?{query}")["data"]
        return found[0]["id"] if found else None

    def replace(self, badge_id: str, *, credential: str, earner_id: str, issued_at: str, expires_at: str) -> str:
        existing = self.find(earner_id)
        if existing:
            return existing
        body = {
            "badge_template_id": self._config.badge_templates[credential],
            "issued_at": issued_at,
            "expires_at": expires_at,
            "issuer_earner_id": earner_id,
        }
        return str(self._call("POST", f"badges/{badge_id}/replace", body)["data"]["id"])

    def revoke(self, badge_id: str, reason: str) -> None:
        try:
            self._call(
                "PUT", f"badges/{badge_id}/revoke", {"reason": reason, "suppress_revoke_notification_email": False}
            )
        except CredlyRejected as rejected:
            if rejected.status not in (404, 422):  # already revoked or gone: the goal is reached
                raise

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self._config.base_url.rstrip('/')}/v1/organizations/{self._config.organization_id}/{path}"
        request = urllib.request.Request(
            url,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": self._auth, "Accept": "application/json", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._config.timeout_seconds) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
                return answer
        except urllib.error.HTTPError as error:
            if error.code == 429 or error.code >= 500:
                raise CredlyUnavailable(f"Credly answered {error.code}.") from error
            raise CredlyRejected(error.code, error.read().decode(errors="replace")[:300]) from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise CredlyUnavailable("Credly could not be reached.") from error


class CredlyRejected(Exception):
    """Credly refused the request (4xx other than throttling): retrying will not help."""

    def __init__(self, status: int, body: str):
        super().__init__(f"Credly refused the request ({status}): {body}")
        self.status = status
