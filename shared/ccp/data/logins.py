"""Members' sign-in (Cognito): the username is the member id, the email a verified alias, so a member
signs in with either. Staff create the login with the member; Cognito emails the invitation."""

from __future__ import annotations

from typing import Any

import boto3

from ccp.data.dynamo import translated_errors


class MemberLogins:
    def __init__(self, user_pool_id: str, client: Any | None = None):
        self._pool = user_pool_id
        self._client = client or boto3.client("cognito-idp")  # built on the first contact change or creation

    def invite(self, member_id: str, email: str) -> bool:
        """A login for the member, with Cognito's invitation (a temporary password) sent to the email."""
        self._create(member_id, email, DesiredDeliveryMediums=["EMAIL"])
        return True

    def create_quietly(self, member_id: str, email: str) -> None:
        """A login for an imported member, with nothing sent: staff send the invitations when they choose."""
        self._create(member_id, email, MessageAction="SUPPRESS")

    def _create(self, member_id: str, email: str, **delivery: Any) -> None:
        try:
            with translated_errors():
                self._client.admin_create_user(
                    UserPoolId=self._pool,
                    Username=member_id,
                    UserAttributes=[
                        {"Name": "email", "Value": email},
                        {"Name": "email_verified", "Value": "true"},
                        {"Name": "custom:member_id", "Value": member_id},
                    ],
                    **delivery,
                )
        except self._client.exceptions.UsernameExistsException:
            return  # made before: a retried creation (or line) makes one login, invited once

    def send_invitation(self, member_id: str) -> None:
        """Cognito's invitation (a new temporary password) for a login made quietly. A member who chose
        their own password meanwhile (by "forgot password" with their email) signs in already: Cognito
        refuses to invite them, and there is nothing to send."""
        try:
            with translated_errors():
                self._client.admin_create_user(UserPoolId=self._pool, Username=member_id, MessageAction="RESEND")
        except self._client.exceptions.UnsupportedUserStateException:
            return

    def set_email(self, member_id: str, email: str) -> bool:
        """The member signs in with the address they confirmed; False if they have no login, or if
        another login signs in with that address (theirs keeps its old one: the member id still works)."""
        try:
            with translated_errors():
                self._client.admin_update_user_attributes(
                    UserPoolId=self._pool,
                    Username=member_id,
                    UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
                )
        except (self._client.exceptions.UserNotFoundException, self._client.exceptions.AliasExistsException):
            return False
        return True
