"""Claims that API Gateway's Cognito authorizer has already verified.

Behind the REST API, the authorizer checks the token's signature and expiry against the user
pool before the function runs, and hands the claims over in ``requestContext.authorizer.claims``
(every value a string). The functions live in a VPC without internet access, so they could not
fetch the pool's keys themselves; they check what the authorizer cannot know (issuer, app
client, token use) and build the principal from those claims.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.domain.access import Principal
from shared.identity import claims
from shared.identity.cognito import GROUPS_CLAIM, ROLE_CLAIM


class GatewayClaims:
    def __init__(self, issuer: str, client_ids: Sequence[str]) -> None:
        if not client_ids:
            raise ValueError("at least one app client id is required")
        self.issuer = issuer
        self.client_ids = tuple(client_ids)

    def principal(self, verified: Mapping[str, Any] | None) -> Principal:
        if not verified:
            raise claims.reject("no verified claims from the API's authorizer")
        claims.check_issuer(verified, self.issuer)
        use = verified.get("token_use")
        if use == "id":
            claims.check_audience(verified, "aud", self.client_ids)
        elif use == "access":
            claims.check_audience(verified, "client_id", self.client_ids)
        else:
            raise claims.reject("wrong token use")
        stated = [*_groups(verified.get(GROUPS_CLAIM)), verified.get(ROLE_CLAIM)]
        return claims.principal_from(verified, claims.roles_from(stated))


def _groups(value: object) -> list[object]:
    """API Gateway flattens the groups list into one string, e.g. ``[admin member]``."""
    if isinstance(value, list):
        return list(value)
    if not isinstance(value, str):
        return []
    return [part for part in value.strip("[]").replace(",", " ").split() if part]
