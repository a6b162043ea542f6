"""The checks both Cognito adapters share: which app client a token is for, and which roles its
groups grant, whether the claims come from a JWT or flattened by API Gateway's authorizer."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from shared.domain.access import Role
from shared.domain.errors import Unauthenticated
from shared.identity import claims
from shared.identity.gateway import GatewayClaims
from shared.ports import TokenVerifier

CLIENTS = ("web-client", "mobile-client")
ISSUER = "https://cognito-idp.sa-east-1.amazonaws.com/sa-east-1_pool"


def _reason(check: Any, *args: Any) -> str:
    with pytest.raises(Unauthenticated) as caught:
        check(*args)
    return str(caught.value.detail)


@pytest.mark.parametrize(
    "payload",
    [
        {"token_use": "id", "aud": "web-client"},
        {"token_use": "id", "aud": ["other", "mobile-client"]},
        {"token_use": "access", "client_id": "mobile-client"},
    ],
)
def test_a_token_for_one_of_the_app_clients_passes(payload):
    claims.check_client(payload, CLIENTS)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"token_use": "id", "aud": "someone-else"}, "wrong audience"),
        ({"token_use": "id", "client_id": "web-client"}, "wrong audience"),
        ({"token_use": "access", "aud": "web-client"}, "wrong audience"),
        ({"token_use": "refresh", "aud": "web-client"}, "wrong token use"),
        ({"aud": "web-client"}, "wrong token use"),
    ],
)
def test_a_token_for_another_client_or_use_is_refused(payload, reason):
    assert _reason(claims.check_client, payload, CLIENTS) == reason


@pytest.mark.parametrize(
    ("payload", "roles"),
    [
        ({}, set()),
        ({"cognito:groups": ["admin", "beta-testers"]}, {Role.ADMIN}),
        ({"cognito:groups": "[admin member]"}, {Role.ADMIN, Role.MEMBER}),
        ({"cognito:groups": "[viewer]"}, {Role.VIEWER}),
        ({"cognito:groups": "admin, owner"}, {Role.ADMIN, Role.OWNER}),
        ({"cognito:groups": "[]"}, set()),
        ({"custom:role": "owner"}, {Role.OWNER}),
        ({"cognito:groups": "[member]", "custom:role": "viewer"}, {Role.MEMBER, Role.VIEWER}),
        ({"cognito:groups": 7, "custom:role": ["admin"]}, set()),
    ],
)
def test_roles_come_from_groups_as_a_list_or_as_api_gateways_string(payload, roles):
    assert claims.roles_of(payload) == frozenset(roles)


def test_the_gateway_reads_flattened_groups_into_the_principal():
    subject = uuid4()
    principal = GatewayClaims(ISSUER, CLIENTS).principal(
        {
            "iss": ISSUER,
            "sub": str(subject),
            "token_use": "id",
            "aud": "web-client",
            "cognito:groups": "[admin member]",
        }
    )
    assert (principal.user_id, principal.roles) == (subject, frozenset({Role.ADMIN, Role.MEMBER}))


def test_the_gateway_is_a_token_verifier_that_refuses_every_bearer_token():
    verifier: TokenVerifier = GatewayClaims(ISSUER, CLIENTS)
    assert _reason(verifier.verify, "a.b.c") == "tokens are verified by API Gateway here"
