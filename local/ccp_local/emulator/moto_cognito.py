"""Embedded Cognito made to behave as the template's user pools do in AWS, for the portal's sign-in.

moto 5.2 finds a user by username or by `UsernameAttributes` only; the pools sign members in by
member id (the username, case-insensitive) or by their verified email (`AliasAttributes`). moto
also sends no mail: Cognito's invitation (with the temporary password) and the password-reset
code go to the local outbox here, as Cognito would email them, and the reset code must match.
"""

from __future__ import annotations

import functools
import secrets
import string
from collections.abc import Callable
from typing import Any

RESET_PREFIX = "moto-confirmation-code:"  # moto checks only codes that carry its prefix


def cognito_like_aws(send_mail: Callable[[str, str, str], None]) -> None:
    """Patch moto's Cognito (idempotent); `send_mail(to, subject, text)` puts a message in the outbox."""
    from moto.cognitoidp.exceptions import CodeMismatchException, ExpiredCodeException
    from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool

    if getattr(CognitoIdpUserPool._get_user, "_ccp_patched", False):
        return
    find_user = CognitoIdpUserPool._get_user

    @functools.wraps(find_user)
    def get_user(self: Any, username: str) -> Any:
        user = find_user(self, username)
        if user is not None or not username:
            return user
        case_sensitive = (self.extended_config.get("UsernameConfiguration") or {}).get("CaseSensitive", True)
        aliases = self.extended_config.get("AliasAttributes") or []
        for candidate in self.users.values():
            if not case_sensitive and candidate.username.lower() == username.lower():
                return candidate
            attributes = candidate.attribute_lookup
            if (
                "email" in aliases
                and attributes.get("email_verified") == "true"
                and (attributes.get("email") or "").lower() == username.lower()
            ):
                return candidate
        return None

    get_user._ccp_patched = True  # type: ignore[attr-defined]
    CognitoIdpUserPool._get_user = get_user

    create_user = CognitoIdpBackend.admin_create_user

    @functools.wraps(create_user)
    def admin_create_user(
        self: Any, user_pool_id: str, username: str, message_action: str, temporary_password: str, attributes: Any
    ) -> Any:
        invited = message_action != "SUPPRESS"
        if invited and not temporary_password:
            temporary_password = _temporary_password()  # Cognito makes one and emails it
        user = create_user(self, user_pool_id, username, message_action, temporary_password, attributes)
        email = user.attribute_lookup.get("email")
        if invited and email:
            config = self.describe_user_pool(user_pool_id).extended_config.get("AdminCreateUserConfig") or {}
            template = config.get("InviteMessageTemplate") or {}
            words = {"{username}": user.username, "{####}": temporary_password}
            send_mail(
                email,
                _fill(template.get("EmailSubject") or "Your temporary password", words),
                _fill(template.get("EmailMessage") or "Username {username}, temporary password {####}.", words),
            )
        return user

    CognitoIdpBackend.admin_create_user = admin_create_user

    forgot = CognitoIdpBackend.forgot_password

    @functools.wraps(forgot)
    def forgot_password(self: Any, client_id: str, username: str) -> Any:
        code, details = forgot(self, client_id, username)
        if code:
            pool = next(p for p in self.user_pools.values() if client_id in p.clients)
            email = pool._get_user(username).attribute_lookup.get("email")
            if email:
                digits = code.removeprefix(RESET_PREFIX)
                send_mail(email, "Your password reset code", f"Your password reset code is {digits}.")
        return code, details

    CognitoIdpBackend.forgot_password = forgot_password

    confirm = CognitoIdpBackend.confirm_forgot_password

    @functools.wraps(confirm)
    def confirm_forgot_password(self: Any, client_id: str, username: str, password: str, code: str) -> None:
        # The code the email carried, checked against the one issued (moto would take any other); a
        # wrong one is a mismatch, as Cognito answers, not an expired code.
        try:
            confirm(self, client_id, username, password, RESET_PREFIX + code.removeprefix(RESET_PREFIX))
        except ExpiredCodeException:
            raise CodeMismatchException("Invalid verification code provided, please try again.") from None

    CognitoIdpBackend.confirm_forgot_password = confirm_forgot_password


def _fill(text: str, words: dict[str, str]) -> str:
    for placeholder, value in words.items():
        text = text.replace(placeholder, value)
    return text


def resend_keeps_the_login() -> None:
    """`AdminCreateUser` with `MessageAction=RESEND` as Cognito does it: the same login (its email,
    member id, groups) with a new temporary password, refused once the member chose their own password
    (`UnsupportedUserStateException`). moto 5.2 replaces the user with a new one without attributes: an
    invited member lost the email they sign in with, and the member id their token carries. Idempotent."""
    from moto.cognitoidp.models import CognitoIdpBackend, UserStatus
    from moto.core.exceptions import JsonRESTError

    if getattr(CognitoIdpBackend.admin_create_user, "_ccp_resend", False):
        return
    create_user = CognitoIdpBackend.admin_create_user

    @functools.wraps(create_user)
    def admin_create_user(
        self: Any, user_pool_id: str, username: str, message_action: str, temporary_password: str, attributes: Any
    ) -> Any:
        if message_action != "RESEND":
            return create_user(self, user_pool_id, username, message_action, temporary_password, attributes)
        user = self.admin_get_user(user_pool_id, username)
        if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
            raise JsonRESTError("UnsupportedUserStateException", "User is not in FORCE_CHANGE_PASSWORD state.")
        user.password = temporary_password or _temporary_password()
        return user

    admin_create_user._ccp_resend = True  # type: ignore[attr-defined]
    CognitoIdpBackend.admin_create_user = admin_create_user


def _temporary_password() -> str:
    # Meets both pools' policies: upper, lower, digit and symbol, 16 characters.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(12)) + "Aa1!"
