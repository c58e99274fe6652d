"""One error hierarchy for the whole program.

Services raise these; each boundary (API handler, scheduled handler, local gateway) maps them
to its own answer *by type* and never by message text. `code` is the machine-readable rule
code of docs/api.md (`COMPLETED_BEFORE_CYCLE`, `INVOICE_LOCKED`, ...).
"""

from __future__ import annotations

from typing import Any


class CcpError(Exception):
    http_status = 500
    default_code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, code: str | None = None, details: list[Any] | None = None):
        super().__init__(message)
        self.code = code or self.default_code
        self.message = message
        self.details = details or []

    def to_body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}

    def headers(self) -> dict[str, str]:
        """Headers the answer carries besides the body (Allow, Retry-After)."""
        return {}


class BadRequest(CcpError):
    """The request could not be read at all (malformed JSON)."""

    http_status = 400
    default_code = "MALFORMED_REQUEST"


class Unauthorized(CcpError):
    http_status = 401
    default_code = "UNAUTHORIZED"


class UnsupportedMediaType(CcpError):
    """A body in a format the endpoint does not read (the API speaks JSON)."""

    http_status = 415
    default_code = "UNSUPPORTED_MEDIA_TYPE"


class Forbidden(CcpError):
    """The caller is known but may not touch this record or route."""

    http_status = 403
    default_code = "FORBIDDEN"


class NotFound(CcpError):
    http_status = 404
    default_code = "NOT_FOUND"


class MethodNotAllowed(CcpError):
    """The path exists, the method does not; `allow` lists the ones that do (the Allow header)."""

    http_status = 405
    default_code = "METHOD_NOT_ALLOWED"

    def __init__(self, message: str, *, allow: list[str]):
        super().__init__(message)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allow)}


class Conflict(CcpError):
    """Duplicate, or the record's state does not allow the change (frozen cycle, locked invoice)."""

    http_status = 409
    default_code = "CONFLICT"


class RuleViolation(CcpError):
    """Well-formed input that breaks a schema or a program rule."""

    http_status = 422
    default_code = "RULE_VIOLATION"


class TooManyRequests(CcpError):
    """The caller asked for something too often; `retry_after` seconds until it may again."""

    http_status = 429
    default_code = "TOO_MANY_REQUESTS"

    def __init__(self, message: str, *, code: str | None = None, retry_after: int):
        super().__init__(message, code=code)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Retryable(CcpError):
    """A dependency is throttled or down; the same call may succeed later."""

    http_status = 503
    default_code = "TRY_AGAIN"


class InvalidEvent(CcpError):
    """A scheduled or platform event that does not have the expected shape."""

    default_code = "INVALID_EVENT"
