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


class GatewayClaims:
    """Implements ``TokenVerifier`` only to refuse: behind API Gateway no bearer token is verified
    here, the principal comes from ``principal`` and the authorizer's claims."""

    def __init__(self, issuer: str, client_ids: Sequence[str]) -> None:
        if not client_ids:
            raise ValueError("at least one app client id is required")
        self.issuer = issuer
        self.client_ids = tuple(client_ids)

    def verify(self, token: str) -> Principal:
        raise claims.reject("tokens are verified by API Gateway here")

    def principal(self, verified: Mapping[str, Any] | None) -> Principal:
        if not verified:
            raise claims.reject("no verified claims from the API's authorizer")
        claims.check_issuer(verified, self.issuer)
        claims.check_client(verified, self.client_ids)
        return claims.principal_from(verified, claims.roles_of(verified))
