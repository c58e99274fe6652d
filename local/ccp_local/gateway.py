"""The local API Gateway (:3000) and Lambda invoke endpoint (:3001).

The gateway serves exactly the routes of infra/template.yaml: it verifies the Cognito ID token
as API Gateway's Cognito authorizer does (signature against the pool's JWKS, issuer, audience,
expiry), builds the REST proxy event and invokes the route's function in its own process.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt

from ccp_local.events import api_event, path_pattern
from ccp_local.fake_http import serve_in_background
from ccp_local.portal import PortalFiles
from ccp_local.runtime import InvokeError, LocalRuntime
from ccp_local.template import ApiRoute

UNAUTHORIZED = {"error": {"code": "UNAUTHORIZED", "message": "A valid bearer token is required.", "details": []}}
NO_ROUTE = {"error": {"code": "ROUTE_NOT_FOUND", "message": "No such route.", "details": []}}
BAD_GATEWAY = {"error": {"code": "INTERNAL_ERROR", "message": "Something went wrong on our side.", "details": []}}


@dataclass
class Timing:
    """How long the last requests took end to end, and how much of it was the handler."""

    total_ms: float = 0.0
    handler_ms: float = 0.0
    requests: int = 0

    def add(self, total_ms: float, handler_ms: float) -> None:
        self.total_ms += total_ms
        self.handler_ms += handler_ms
        self.requests += 1


class TokenVerifier:
    """The Cognito authorizer of the template: an ID token of any of its user pools (members' and
    staff's), each pool with its own keys, issuer and app client."""

    def __init__(self, pools: list[tuple[str, str, str]]):
        # (jwks_url, issuer, audience) per pool
        self._pools = {
            issuer: (jwt.PyJWKClient(jwks_url, cache_keys=True), audience) for jwks_url, issuer, audience in pools
        }

    def claims(self, authorization: str | None) -> dict[str, Any] | None:
        if not authorization:
            return None
        token = authorization.removeprefix("Bearer ").strip()
        try:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            if issuer not in self._pools:
                return None
            keys, audience = self._pools[issuer]
            key = keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=audience,
                issuer=issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
        except (jwt.PyJWTError, jwt.PyJWKClientError, ValueError):
            return None
        if claims.get("token_use", "id") != "id":
            return None
        return claims


class _CompiledRoute:
    def __init__(self, route: ApiRoute):
        self.route = route
        self.pattern = path_pattern(route.path)
        # API Gateway prefers literal segments over parameters.
        self.specificity = sum(1 for part in route.path.split("/") if part and not part.startswith("{"))


class Gateway:
    def __init__(
        self,
        routes: list[ApiRoute],
        runtime: LocalRuntime,
        verifier: TokenVerifier,
        local_routes: dict[tuple[str, str], Callable[[dict[str, list[str]]], tuple[int, str, bytes]]],
        portal: PortalFiles | None = None,
    ):
        # API Gateway prefers literal segments over parameters, and a declared method over ANY.
        self._routes = sorted(
            (_CompiledRoute(r) for r in routes), key=lambda r: (-r.specificity, r.route.method == "ANY")
        )
        self._runtime = runtime
        self._verifier = verifier
        self._local_routes = local_routes
        self._portal = portal
        self.timing = Timing()

    def _local_route(self, method: str, path: str) -> tuple[Any, dict[str, str]]:
        """A local-only route (`/_local/...`); its path may hold `{name}` parameters."""
        if not path.startswith("/_local/"):
            return None, {}
        for (route_method, template), handler in self._local_routes.items():
            found = path_pattern(template).match(path) if route_method == method else None
            if found:
                return handler, found.groupdict()
        return None, {}

    def match(self, method: str, path: str) -> ApiRoute | None:
        for compiled in self._routes:
            if compiled.route.method in (method, "ANY") and compiled.pattern.match(path):
                return compiled.route
        return None

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        started = time.perf_counter()
        split = urlsplit(raw_path)
        if self._portal and method in ("GET", "HEAD") and self._portal.serves(split.path):
            return self._portal.get(split.path)
        local, params = self._local_route(method, split.path)
        if local:
            status, content_type, payload = local({**parse_qs(split.query), **{k: [v] for k, v in params.items()}})
            return status, {"Content-Type": content_type}, payload
        route = self.match(method, split.path)
        if route is None:
            # API Gateway answers an unknown method on a known path like an unknown path
            # (MISSING_AUTHENTICATION_TOKEN, mapped to 404 in the template's GatewayResponses).
            return _json(404, NO_ROUTE)
        claims = None
        if route.authorized:
            claims = self._verifier.claims(_header(headers, "Authorization"))
            if claims is None:
                return _json(401, UNAUTHORIZED)
        at = _request_time(_header(headers, "X-Local-Time"))
        text_body, is_base64 = _body_text(body)
        event = api_event(
            method,
            route.path,
            raw_path,
            raw_body=text_body,
            is_base64=is_base64,
            claims=_claims_as_api_gateway_passes_them(claims) if claims else None,
            headers={k: v for k, v in headers.items() if k.lower() != "x-local-time"},
            at=at,
        )
        try:
            outcome = self._runtime.invoke(route.function, event)
        except InvokeError:
            return _json(502, BAD_GATEWAY)
        response = outcome.result
        self.timing.add((time.perf_counter() - started) * 1000, outcome.duration_ms)
        return _http_response(response)


def _claims_as_api_gateway_passes_them(claims: dict[str, Any]) -> dict[str, Any]:
    # API Gateway's Cognito authorizer passes every claim as a string; lists look like "[a b]".
    passed = {}
    for key, value in claims.items():
        passed[key] = "[" + " ".join(value) + "]" if isinstance(value, list) else str(value)
    return passed


def _request_time(local_time: str | None) -> datetime:
    """X-Local-Time (local mode only) sets the request time API Gateway would record."""
    if local_time:
        try:
            moment = datetime.fromisoformat(local_time.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def _body_text(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode(), True


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _json(status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


def _http_response(response: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        headers[key] = ", ".join(str(v) for v in values)
    body = response.get("body") or ""
    payload = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    return int(response.get("statusCode", 200)), headers, payload


def serve_api(gateway: Gateway, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in one write: written apart, a keep-alive client waited for TCP's
        # delayed ACK (about 40 ms) on every request.
        wbufsize = -1

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = gateway.handle(self.command, self.path, dict(self.headers.items()), body)
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def __getattr__(self, name: str) -> Any:
            # Every method (QUERY, TRACE, ...) reaches routing: a known path answers 405, not 501.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:  # request lines stay out of the console
            pass

    return serve_in_background(_Server((host, port), Handler))


def serve_lambda(runtime: LocalRuntime, host: str, port: int, region: str = "us-east-1") -> ThreadingHTTPServer:
    """The Lambda API (like `sam local start-lambda`): Invoke (a name or a URL-encoded ARN; RequestResponse,
    Event, DryRun; `--log-type Tail`), ListFunctions and GetFunction, so boto3 and the AWS CLI work against it."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in one write: written apart, a keep-alive client waited for TCP's
        # delayed ACK (about 40 ms) on every request.
        wbufsize = -1

        def _function(self, name: str) -> Any:
            try:
                return runtime.function(unquote(name))
            except KeyError:
                self._reply(
                    404,
                    {"Type": "User", "message": f"Function not found: {unquote(name)}"},
                    error_type="ResourceNotFoundException",
                )
                return None

        def do_GET(self) -> None:
            parts = urlsplit(self.path).path.strip("/").split("/")
            if parts[1:2] != ["functions"]:
                return self._reply(404, {"message": "Unknown operation"}, error_type="UnknownOperationException")
            if len(parts) == 2 or parts[2] == "":
                return self._reply(200, {"Functions": [f.configuration(region) for f in runtime.functions.values()]})
            function = self._function(parts[2])
            if function is None:
                return None
            configuration = function.configuration(region)
            if parts[3:] == ["configuration"]:
                return self._reply(200, configuration)
            self._reply(200, {"Configuration": configuration, "Code": {"RepositoryType": "S3", "Location": ""}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path).path.strip("/").split("/")
            if len(parts) != 4 or parts[1] != "functions" or parts[3] != "invocations":
                return self._reply(404, {"message": "Unknown operation"}, error_type="UnknownOperationException")
            function = self._function(parts[2])
            if function is None:
                return None
            try:
                event = json.loads(body or b"{}")
            except ValueError:
                return self._reply(
                    400,
                    {"Type": "User", "message": "Could not parse request body into json"},
                    error_type="InvalidRequestContentException",
                )
            invocation = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
            if invocation == "DryRun":
                return self._reply(204, None)
            if invocation == "Event":
                threading.Thread(target=_invoke_quietly, args=(function, event), daemon=True).start()
                return self._reply(202, None)
            before = function.log_path.stat().st_size if function.log_path.exists() else 0
            try:
                result, error = function.invoke(event).result, None
            except InvokeError as failed:
                result, error = failed.payload, "Unhandled"
            tail = None
            if (self.headers.get("X-Amz-Log-Type") or "").lower() == "tail":
                with open(function.log_path, "rb") as log:
                    log.seek(before)
                    tail = base64.b64encode(
                        log.read()[-4096:]
                    ).decode()  # this invocation's lines, at most 4 KB as Lambda gives
            self._reply(200, result, function_error=error, log_result=tail)

        def _reply(
            self,
            status: int,
            payload: Any,
            *,
            error_type: str | None = None,
            function_error: str | None = None,
            log_result: str | None = None,
        ) -> None:
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Amz-Executed-Version", "$LATEST")
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            if function_error:
                self.send_header("X-Amz-Function-Error", function_error)
            if log_result is not None:
                self.send_header("X-Amz-Log-Result", log_result)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return serve_in_background(ThreadingHTTPServer((host, port), Handler))


def _invoke_quietly(function: Any, event: Any) -> None:
    with contextlib.suppress(InvokeError):  # logged by the worker
        function.invoke(event)


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: sixteen clients connecting at once (a load test, a
    # portal page's parallel requests) had one reset by the kernel. Keep-alive clients connect once.
    request_queue_size = 128
