"""Who may call which route: deny by default.

Every API resource (the API Gateway path template) must match one rule below; a route that
matches none is refused for everybody, so a new route cannot be reachable by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ccp.errors import Forbidden, Unauthorized

STAFF_GROUP = "staff"


class Caller(NamedTuple):
    member_id: str | None
    is_staff: bool
    subject: str = "unknown"  # the token's subject: who did it, for decision history


def caller_from_claims(claims: dict[str, Any] | None) -> Caller:
    """The verified Cognito ID-token claims that API Gateway's authorizer passed on."""
    if not claims:
        raise Unauthorized("A valid bearer token is required.")
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):  # API Gateway passes the list as a string, e.g. "[staff member]"
        groups = groups.strip("[]").replace(",", " ").split()
    return Caller(
        member_id=claims.get("custom:member_id") or None,
        is_staff=STAFF_GROUP in groups,
        subject=str(claims.get("cognito:username") or claims.get("sub") or "unknown"),
    )


def _own_member_or_staff(caller: Caller, params: dict[str, str]) -> bool:
    return caller.is_staff or (caller.member_id is not None and caller.member_id == params.get("member_id"))


def staff_only(caller: Caller, params: dict[str, str]) -> bool:
    return caller.is_staff


def public(caller: Caller, params: dict[str, str]) -> bool:
    """No token: the route proves who calls it some other way (the processor signs its webhooks)."""
    return True


ANONYMOUS = Caller(member_id=None, is_staff=False, subject="anonymous")

# resource prefix -> rule. Order matters: the first matching prefix decides.
ACCESS_RULES: list[tuple[str, Callable[[Caller, dict[str, str]], bool]]] = [
    # Money counts only when it moved: members pay at the processor; staff record offline payments.
    ("/members/{member_id}/invoices/{invoice_id}/payments", staff_only),
    ("/members/{member_id}", _own_member_or_staff),
    ("/staff/", staff_only),
    ("/webhooks/", public),
    # Employers check a credential without an account: the answer holds nothing personal but the name.
    ("/verify/", public),
]


def rule_for(resource: str) -> Callable[[Caller, dict[str, str]], bool] | None:
    for prefix, rule in ACCESS_RULES:
        if resource == prefix or resource.startswith(prefix.rstrip("/") + "/"):
            return rule
    return None


def authorize(claims: dict[str, Any] | None, resource: str, path_parameters: dict[str, str] | None) -> Caller:
    rule = rule_for(resource)
    if rule is public:
        return ANONYMOUS
    caller = caller_from_claims(claims)
    if rule is None or not rule(caller, path_parameters or {}):
        raise Forbidden("You may not access this resource.")
    return caller
