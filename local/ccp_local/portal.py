"""The member portal and staff console (`portal/`), served by the local gateway at `/portal/` as
CloudFront serves them from S3 in AWS: the same files, and a `config.json` naming this stack's
API and Cognito (in AWS, `make deploy` writes it into the bucket)."""

from __future__ import annotations

import json
import mimetypes
import re
from pathlib import Path
from typing import Any

PORTAL_DIR = Path(__file__).resolve().parents[2] / "portal"
PREFIX = "/portal"
# Pages without a file extension, as the deploy uploads them (S3 keys of the same names).
PAGES = {"": "index.html", "verify": "verify.html", "staff": "staff/index.html", "staff/": "staff/index.html"}
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


def portal_config(
    *, api_url: str, cognito_url: str, region: str, client_id: str, staff_client_id: str
) -> dict[str, Any]:
    """What the pages read first: where the API and Cognito are (`api_url` "" means this origin)."""
    return {
        "api_url": api_url,
        "cognito_url": cognito_url,
        "region": region,
        "client_id": client_id,
        "staff_client_id": staff_client_id,
    }


def security_headers(template: dict[str, Any], *, region: str, aws_endpoint: str) -> dict[str, str]:
    """The headers CloudFront adds to every portal answer (the template's PortalHeaders policy), so the
    browser tests run under the policy production serves. Locally Cognito and S3 are the embedded AWS:
    the policy's AWS origins become its address, nothing else changes."""
    policy = template["Resources"]["PortalHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    config = policy["SecurityHeadersConfig"]
    csp = config["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    csp = (csp["Fn::Sub"] if isinstance(csp, dict) else csp).replace("${AWS::Region}", region)
    aws_origins = re.findall(r"https://\S*amazonaws\.com", csp)
    for origin in aws_origins:
        csp = csp.replace(" " + origin, "")
    csp = csp.replace("connect-src 'self'", f"connect-src 'self' {aws_endpoint}", 1)
    hsts = config["StrictTransportSecurity"]
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": config["FrameOptions"]["FrameOption"],
        "Referrer-Policy": config["ReferrerPolicy"]["ReferrerPolicy"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
        + ("; includeSubDomains" if hsts.get("IncludeSubdomains") else ""),
    }


def content_type(file: Path) -> str:
    return TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"


class PortalFiles:
    def __init__(self, config: dict[str, Any], root: Path = PORTAL_DIR, headers: dict[str, str] | None = None):
        self._config = json.dumps(config).encode()
        self._root = root.resolve()
        self._headers = headers or {}  # added to every answer, as CloudFront's response headers policy does

    def serves(self, path: str) -> bool:
        return path in ("/", PREFIX) or path.startswith(PREFIX + "/")

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = self._get(path)
        return status, {**headers, **self._headers}, body

    def _get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path in ("/", PREFIX):  # the site's root is the portal, as CloudFront's function answers
            return 301, {"Location": PREFIX + "/", "Content-Type": "text/plain"}, b""
        relative = path.removeprefix(PREFIX + "/")
        if relative == "config.json":
            return 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}, self._config
        file = (self._root / PAGES.get(relative, relative)).resolve()
        if not file.is_relative_to(self._root) or not file.is_file():
            return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not found"
        return 200, {"Content-Type": content_type(file), "Cache-Control": "no-cache"}, file.read_bytes()
