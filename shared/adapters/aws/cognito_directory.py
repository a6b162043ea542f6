"""The Cognito identity directory: invitees become pool users, and Cognito e-mails them."""

from __future__ import annotations

import hashlib
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
        known = self._find(email)
        if known is not None:
            return known
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
        except self._client.exceptions.UsernameExistsException:
            # Invited at the same moment by another request (another workspace, a retry): the
            # person exists now, and their subject is the answer for this invitation too.
            raced = self._find(email)
            if raced is None:
                raise _unavailable("inviting", email, None) from None
            return raced
        except Exception as error:
            raise _unavailable("inviting", email, error) from error
        return _subject(created["User"])

    def _find(self, email: str) -> UUID | None:
        try:
            return _subject(self._client.admin_get_user(UserPoolId=self._pool, Username=email))
        except self._client.exceptions.UserNotFoundException:
            return None
        except Exception as error:
            raise _unavailable("looking up", email, error) from error


def _unavailable(action: str, email: str, error: Exception | None) -> StoreUnavailable:
    # Never the address itself (nor the error's message, which may quote it): a digest lets an
    # operator match log lines about the same person without the logs holding personal data.
    code = _error_code(error) if error is not None else "user vanished after UsernameExists"
    logger.error("%s invitee %s in the user pool failed: %s", action, _digest(email), code)
    return StoreUnavailable("the identity provider is unavailable")


def _digest(email: str) -> str:
    return "sha256:" + hashlib.sha256(email.encode()).hexdigest()[:16]


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return f"{type(error).__name__} {code}" if code else type(error).__name__


def _subject(user: dict[str, Any]) -> UUID:
    attributes = user.get("UserAttributes") or user.get("Attributes") or []
    for attribute in attributes:
        if attribute["Name"] == "sub":
            return UUID(attribute["Value"])
    raise StoreUnavailable("the identity provider returned a user without a subject")
