"""The Cognito identity directory: invitees become pool users, and Cognito e-mails them."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from shared.domain.errors import StoreUnavailable

logger = logging.getLogger(__name__)


class CognitoDirectory:
    """``client`` is a boto3 ``cognito-idp`` client; the pool signs people in by e-mail."""

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def find_or_invite(self, email: str, name: str | None) -> UUID:
        email = email.strip().lower()
        try:
            return _subject(self._client.admin_get_user(UserPoolId=self._pool, Username=email))
        except self._client.exceptions.UserNotFoundException:
            pass
        except Exception as error:
            logger.exception("looking up %s in the user pool failed", email)
            raise StoreUnavailable("the identity provider is unavailable") from error
        attributes = [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ]
        if name:
            attributes.append({"Name": "name", "Value": name})
        try:
            created = self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                UserAttributes=attributes,
                DesiredDeliveryMediums=["EMAIL"],
            )
        except Exception as error:
            logger.exception("inviting %s to the user pool failed", email)
            raise StoreUnavailable("the identity provider is unavailable") from error
        return _subject(created["User"])


def _subject(user: dict[str, Any]) -> UUID:
    attributes = user.get("UserAttributes") or user.get("Attributes") or []
    for attribute in attributes:
        if attribute["Name"] == "sub":
            return UUID(attribute["Value"])
    raise StoreUnavailable("the identity provider returned a user without a subject")
