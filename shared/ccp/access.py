"""Who may call which route: deny by default.

Every API resource (the API Gateway path template) must match one rule below; a route that
matches none is refused for everybody, so a new route cannot be reachable by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from ccp.errors import Forbidden, Unauthorized

STAFF_GROUP = "staff"
READS = frozenset({"GET", "HEAD", "OPTIONS"})


class Caller(NamedTuple):
    member_id: str | None
    is_staff: bool
    subject: str = "unknown"  # the token's subject: who did it, for decision history


def caller_from_claims(claims: dict[str, Any] | None, staff_issuer: str | None = None) -> Caller:
    """The verified Cognito ID-token claims that API Gateway's authorizer passed on.

    The authorizer accepts both user pools, so a group name alone proves nothing: staff are the exact
    group `staff` in a token the staff pool issued (`staff_issuer`; without it nobody is staff).
    """
    if not claims:
        raise Unauthorized("A valid bearer token is required.")
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):  # API Gateway passes the list as a string, e.g. "[staff member]"
        groups = groups.strip("[]").replace(",", " ").split()
    from_staff_pool = bool(staff_issuer) and claims.get("iss") == staff_issuer
    return Caller(
        member_id=claims.get("custom:member_id") or None,
        is_staff=from_staff_pool and isinstance(groups, list) and STAFF_GROUP in groups,
        subject=str(claims.get("cognito:username") or claims.get("sub") or "unknown"),
    )


def member_of_request(params: dict[str, str]) -> str | None:
    """Whose records a request touches: the path's member id, or the member an application or audit
    id starts with (`<member>.<rest>`)."""
    if params.get("member_id"):
        return params["member_id"]
    compound = params.get("application_id") or params.get("audit_id")
    return compound.partition(".")[0] if compound else None


def is_own_case(staff_member_id: str | None, member_id: str | None) -> bool:
    """Whether the member a staff login names is this member. Member ids are compared without case:
    `m-1` is the same person as `M-1`."""
    if not staff_member_id or not member_id:
        return False
    return staff_member_id.casefold() == member_id.casefold()


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


def authorize(
    claims: dict[str, Any] | None,
    resource: str,
    path_parameters: dict[str, str] | None,
    *,
    method: str = "GET",
    staff_issuer: str | None = None,
) -> Caller:
    rule = rule_for(resource)
    if rule is public:
        return ANONYMOUS
    caller = caller_from_claims(claims, staff_issuer)
    params = path_parameters or {}
    if rule is None or not rule(caller, params):
        raise Forbidden("You may not access this resource.")
    # Nobody acts on their own case (rules §7): a staff login that also names a member changes nothing
    # of that member's records (they use their member login for what a member may do).
    if caller.is_staff and method.upper() not in READS and is_own_case(caller.member_id, member_of_request(params)):
        raise Forbidden("Staff cannot decide their own case; another staff member must.", code="OWN_CASE")
    return caller
