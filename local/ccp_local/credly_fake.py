"""A small local HTTP server that plays Credly's badge API: it keeps badges, records every
request, and fails on demand (to show that an outage never blocks a status change)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ccp_local.fake_http import LocalServer, QuietHandler


class FakeCredly(LocalServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.badges: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.failing = False  # answer 503 to everything while set
        fake = self

        class Handler(QuietHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                split = urlsplit(self.path)
                fake.requests.append({"method": self.command, "path": split.path, "query": split.query, "body": body})
                if fake.failing:
                    return self._reply(503, {"errors": ["service unavailable"]})
                parts = split.path.strip("/").split("/")  # v1 organizations <org> badges [id] [action]
                if parts[:2] != ["v1", "organizations"] or len(parts) < 4 or parts[3] != "badges":
                    return self._reply(404, {"errors": ["not found"]})
                if self.command == "GET" and len(parts) == 4:
                    wanted = parse_qs(split.query).get("filter", [""])[0]
                    earner = wanted.split("|")[0].removeprefix("issuer_earner_id::")
                    found = [
                        b
                        for b in fake.badges.values()
                        if b["issuer_earner_id"] == earner and b["state"] in ("pending", "accepted")
                    ]
                    return self._reply(200, {"data": found})
                if self.command == "POST" and len(parts) == 4:
                    return self._reply(201, {"data": fake._new_badge(body)})
                badge = fake.badges.get(parts[4]) if len(parts) > 4 else None
                if badge is None:
                    return self._reply(404, {"errors": ["badge not found"]})
                if self.command == "POST" and parts[5:] == ["replace"]:
                    badge["state"] = "replaced"
                    return self._reply(201, {"data": fake._new_badge({**badge, **body})})
                if self.command == "PUT" and parts[5:] == ["revoke"]:
                    if badge["state"] == "revoked":
                        return self._reply(422, {"errors": ["already revoked"]})
                    badge["state"] = "revoked"
                    return self._reply(200, {"data": badge})
                return self._reply(404, {"errors": ["not found"]})

            do_GET = do_POST = do_PUT = _serve

            _reply = QuietHandler.send_json

        super().__init__(Handler, host, port)

    def _new_badge(self, body: dict[str, Any]) -> dict[str, Any]:
        badge = {**body, "id": str(uuid.uuid4()), "state": "pending"}
        self.badges[badge["id"]] = badge
        return badge

    def live(self, state: str | None = None) -> list[dict[str, Any]]:
        return [b for b in self.badges.values() if state is None or b["state"] == state]
