"""CognitoVerifier against tokens from a real moto server over HTTP, and against a JWKS stand-in.

What moto 5.2 puts in its tokens (checked, not assumed): both carry ``iss`` (the AWS-style
pool URL), ``sub`` (a UUID), ``token_use``, ``iat``/``exp``/``jti`` and ``cognito:groups`` when
the user is in a group; the ID token names the client in ``aud`` and carries the readable
attributes (``email``, ``name``, ``custom:*``); the access token names it in ``client_id`` and
carries no custom attributes. Every moto pool signs with the same key (kid ``dummy``), so only
the issuer check tells two pools apart.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.clock import FixedClock, SystemClock
from shared.domain.access import Role
from shared.domain.errors import Unauthenticated
from shared.identity.cognito import CognitoVerifier
from tests.support.moto_server import MotoServer, moto_server_fixture

moto_server = moto_server_fixture()

TENANT = UUID("0f3c2b1a-7d6e-4c5b-8a9f-2e1d0c9b8a70")
PASSWORD = "Str0ng!Passw0rd"


@dataclass(frozen=True)
class Pool:
    id: str
    client_id: str
    other_client_id: str
    jwks_url: str


@dataclass(frozen=True)
class Tokens:
    id: str
    access: str


def _create_pool(server: MotoServer, name: str) -> Pool:
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(
        PoolName=name,
        Schema=[
            {"Name": "tenant_id", "AttributeDataType": "String", "Mutable": True},
            {"Name": "role", "AttributeDataType": "String", "Mutable": True},
        ],
    )["UserPool"]["Id"]
    client_ids = [
        cognito.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=client_name,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            # The ID token carries only the attributes the client may read.
            ReadAttributes=["email", "email_verified", "name", "custom:tenant_id", "custom:role"],
        )["UserPoolClient"]["ClientId"]
        for client_name in ("web", "mobile")
    ]
    cognito.create_group(UserPoolId=pool_id, GroupName="admin")
    cognito.create_group(UserPoolId=pool_id, GroupName="beta-testers")
    return Pool(
        id=pool_id,
        client_id=client_ids[0],
        other_client_id=client_ids[1],
        jwks_url=f"{server.endpoint}/{pool_id}/.well-known/jwks.json",
    )


def _create_user(
    server: MotoServer,
    pool: Pool,
    username: str,
    *,
    attributes: dict[str, str] | None = None,
    groups: tuple[str, ...] = (),
) -> None:
    cognito = server.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=pool.id,
        Username=username,
        UserAttributes=[{"Name": key, "Value": value} for key, value in (attributes or {}).items()],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool.id, Username=username, Password=PASSWORD, Permanent=True
    )
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool.id, Username=username, GroupName=group)


def _sign_in(server: MotoServer, client_id: str, username: str) -> Tokens:
    result = server.client("cognito-idp").initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return Tokens(id=result["IdToken"], access=result["AccessToken"])


def _verifier(pool: Pool, *client_ids: str, clock: Any = None) -> CognitoVerifier:
    return CognitoVerifier(
        pool.id,
        "us-east-1",
        client_ids or (pool.client_id,),
        jwks_url=pool.jwks_url,
        clock=clock or SystemClock(),
    )


def _rejected_because(verifier: CognitoVerifier, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    return caught.value.detail


@pytest.fixture(scope="module")
def pool(moto_server: MotoServer) -> Pool:
    pool = _create_pool(moto_server, "fluxo-users")
    _create_user(
        moto_server,
        pool,
        "ana",
        attributes={
            "email": "ana@example.com",
            "email_verified": "true",
            "name": "Ana Souza",
            "custom:tenant_id": str(TENANT),
        },
        groups=("admin", "beta-testers"),
    )
    _create_user(moto_server, pool, "bruno", attributes={"email": "bruno@example.com"})
    _create_user(
        moto_server,
        pool,
        "carla",
        attributes={"custom:tenant_id": str(TENANT), "custom:role": "viewer"},
    )
    _create_user(moto_server, pool, "duda", attributes={"custom:tenant_id": "acme"})
    return pool


@pytest.fixture(scope="module")
def ana(moto_server: MotoServer, pool: Pool) -> Tokens:
    return _sign_in(moto_server, pool.client_id, "ana")


# --- tokens from moto -----------------------------------------------------------------------


def test_an_id_token_gives_the_user_their_tenant_attributes_and_group_role(
    moto_server: MotoServer, pool: Pool, ana: Tokens
) -> None:
    principal = _verifier(pool).verify(ana.id)

    sub = moto_server.client("cognito-idp").admin_get_user(UserPoolId=pool.id, Username="ana")
    expected_sub = next(a["Value"] for a in sub["UserAttributes"] if a["Name"] == "sub")
    assert principal.user_id == UUID(expected_sub)
    assert principal.tenant_id == TENANT
    assert principal.roles == frozenset({Role.ADMIN}), "non-role groups are ignored"
    assert principal.email == "ana@example.com"
    assert principal.name == "Ana Souza"
    assert principal.issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{pool.id}"
    assert principal.token_id


def test_an_unverified_email_is_not_taken(moto_server: MotoServer, pool: Pool) -> None:
    """Anyone can sign up with any address; invitations are matched by e-mail."""
    tokens = _sign_in(moto_server, pool.client_id, "bruno")
    assert _verifier(pool).verify(tokens.id).email is None


def test_an_access_token_gives_the_user_and_group_role_but_no_custom_attributes(
    pool: Pool, ana: Tokens
) -> None:
    by_id = _verifier(pool).verify(ana.id)

    principal = _verifier(pool).verify(ana.access)

    assert principal.user_id == by_id.user_id
    assert principal.roles == frozenset({Role.ADMIN})
    # Cognito puts custom attributes in ID tokens only (a pre-token-generation trigger would be
    # needed to add them to access tokens).
    assert principal.tenant_id is None
    assert principal.email is None


def test_a_user_without_groups_or_tenant_has_no_roles_and_no_tenant(
    moto_server: MotoServer, pool: Pool
) -> None:
    tokens = _sign_in(moto_server, pool.client_id, "bruno")

    principal = _verifier(pool).verify(tokens.id)

    assert principal.tenant_id is None
    assert principal.roles == frozenset()


def test_the_custom_role_attribute_grants_its_role(moto_server: MotoServer, pool: Pool) -> None:
    tokens = _sign_in(moto_server, pool.client_id, "carla")

    assert _verifier(pool).verify(tokens.id).roles == frozenset({Role.VIEWER})


def test_a_malformed_tenant_attribute_is_rejected(moto_server: MotoServer, pool: Pool) -> None:
    tokens = _sign_in(moto_server, pool.client_id, "duda")

    assert _rejected_because(_verifier(pool), tokens.id) == "invalid tenant"


def test_tokens_for_another_app_client_are_rejected(pool: Pool, ana: Tokens) -> None:
    verifier = _verifier(pool, pool.other_client_id)

    assert _rejected_because(verifier, ana.id) == "wrong audience"
    assert _rejected_because(verifier, ana.access) == "wrong audience"


def test_every_configured_app_client_is_accepted(moto_server: MotoServer, pool: Pool) -> None:
    verifier = _verifier(pool, pool.client_id, pool.other_client_id)

    mobile = _sign_in(moto_server, pool.other_client_id, "ana")

    assert verifier.verify(mobile.id).tenant_id == TENANT
    assert verifier.verify(mobile.access).roles == frozenset({Role.ADMIN})


def test_a_token_from_another_pool_is_rejected_although_moto_signs_it_with_the_same_key(
    moto_server: MotoServer, pool: Pool
) -> None:
    other = _create_pool(moto_server, "someone-elses-users")
    _create_user(moto_server, other, "eve", attributes={"custom:tenant_id": str(TENANT)})
    tokens = _sign_in(moto_server, other.client_id, "eve")
    # Accept the other pool's client id, so that only the issuer can refuse the token.
    verifier = _verifier(pool, pool.client_id, other.client_id)

    assert _rejected_because(verifier, tokens.id) == "wrong issuer"
    assert _rejected_because(verifier, tokens.access) == "wrong issuer"


def test_an_expired_token_is_rejected(pool: Pool, ana: Tokens) -> None:
    later = FixedClock(datetime.now(UTC) + timedelta(hours=2))

    assert _rejected_because(_verifier(pool, clock=later), ana.id) == "token expired"
    assert _rejected_because(_verifier(pool, clock=later), ana.access) == "token expired"


def test_a_refresh_token_is_not_a_bearer_token(moto_server: MotoServer, pool: Pool) -> None:
    refresh = (
        moto_server.client("cognito-idp")
        .initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ana", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        .get("RefreshToken", "")
    )

    assert _rejected_because(_verifier(pool), refresh) == "malformed token"


def test_a_tampered_token_fails_the_signature(pool: Pool, ana: Tokens) -> None:
    header, payload, signature = ana.id.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")

    assert _rejected_because(_verifier(pool), f"{header}.{payload}.{flipped}") == (
        "signature invalid"
    )


def test_the_default_jwks_address_is_the_pools_well_known_url() -> None:
    verifier = CognitoVerifier("sa-east-1_AbC123", "sa-east-1", ["client"], clock=SystemClock())

    assert verifier.issuer == "https://cognito-idp.sa-east-1.amazonaws.com/sa-east-1_AbC123"
    assert verifier.jwks_url == (
        "https://cognito-idp.sa-east-1.amazonaws.com/sa-east-1_AbC123/.well-known/jwks.json"
    )


def test_a_verifier_without_app_clients_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="app client"):
        CognitoVerifier("us-east-1_x", "us-east-1", [], clock=SystemClock())


# --- the JWKS cache, against a stand-in endpoint whose keys the test controls -----------------

POOL_ID = "us-east-1_Rotating"
CLIENT_ID = "rotating-client"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
NOW = datetime.now(UTC).replace(microsecond=0)


class _JwksEndpoint:
    """A JWKS server on 127.0.0.1 that counts its fetches and can be told to fail."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {}
        self.fetches = 0
        self.failing = False
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                endpoint.fetches += 1
                status, body = endpoint.response()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/jwks.json"

    def response(self) -> tuple[int, bytes]:
        if self.failing:
            return 503, b"{}"
        public = [
            {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": kid}
            for kid, key in self.keys.items()
        ]
        return 200, json.dumps({"keys": public}).encode()

    def add_key(self, kid: str) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def token(self, kid: str, key: rsa.RSAPrivateKey | None = None) -> str:
        claims = {
            "iss": ISSUER,
            "sub": str(uuid4()),
            "client_id": CLIENT_ID,
            "token_use": "access",
            "iat": int(NOW.timestamp()),
            "exp": int((NOW + timedelta(days=1)).timestamp()),
        }
        signer = key or self.keys[kid]
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid})

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits forever on a server that never served
            self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def jwks() -> Iterator[_JwksEndpoint]:
    endpoint = _JwksEndpoint()
    endpoint.add_key("k1")
    endpoint.start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def _stand_in_verifier(jwks: _JwksEndpoint, clock: FixedClock) -> CognitoVerifier:
    return CognitoVerifier(
        POOL_ID, "us-east-1", [CLIENT_ID], jwks_url=jwks.url, cache_seconds=600, clock=clock
    )


def test_keys_are_fetched_once_and_served_from_the_cache(
    jwks: _JwksEndpoint, clock: FixedClock
) -> None:
    verifier = _stand_in_verifier(jwks, clock)

    for _ in range(3):
        verifier.verify(jwks.token("k1"))

    assert jwks.fetches == 1


def test_keys_are_fetched_again_when_the_cache_expires(
    jwks: _JwksEndpoint, clock: FixedClock
) -> None:
    verifier = _stand_in_verifier(jwks, clock)
    verifier.verify(jwks.token("k1"))

    clock.set(NOW + timedelta(seconds=600))
    verifier.verify(jwks.token("k1"))

    assert jwks.fetches == 2


def test_a_rotated_in_key_is_picked_up_with_at_most_one_refetch_a_minute(
    jwks: _JwksEndpoint, clock: FixedClock
) -> None:
    verifier = _stand_in_verifier(jwks, clock)
    verifier.verify(jwks.token("k1"))
    jwks.add_key("k2")

    # Within a minute of the last fetch, an unknown kid does not reach the endpoint...
    assert _rejected_because(verifier, jwks.token("k2")) == "unknown signing key"
    assert jwks.fetches == 1

    # ...after it, one refetch finds the new key...
    clock.set(NOW + timedelta(seconds=61))
    assert verifier.verify(jwks.token("k2")).roles == frozenset()
    assert jwks.fetches == 2

    # ...and a flood of made-up kids right after costs nothing more.
    for n in range(5):
        assert _rejected_because(verifier, jwks.token(f"forged-{n}", jwks.keys["k1"])) == (
            "unknown signing key"
        )
    assert jwks.fetches == 2


def test_an_unreachable_jwks_is_reported_as_unavailable_and_logged(
    jwks: _JwksEndpoint, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    jwks.failing = True
    verifier = _stand_in_verifier(jwks, clock)

    with caplog.at_level(logging.WARNING, logger="shared.identity.cognito"):
        reason = _rejected_because(verifier, jwks.token("k1"))

    assert reason == "signing keys unavailable"
    assert "JWKS unavailable" in caplog.text


def test_after_a_failed_fetch_requests_fail_fast_then_retry(
    jwks: _JwksEndpoint, clock: FixedClock
) -> None:
    jwks.failing = True
    verifier = _stand_in_verifier(jwks, clock)
    _rejected_because(verifier, jwks.token("k1"))
    jwks.failing = False

    assert _rejected_because(verifier, jwks.token("k1")) == "signing keys unavailable"
    assert jwks.fetches == 1

    clock.set(NOW + timedelta(seconds=5))
    assert verifier.verify(jwks.token("k1")).tenant_id is None
    assert jwks.fetches == 2


def test_known_keys_stay_in_use_when_a_refresh_fails(
    jwks: _JwksEndpoint, clock: FixedClock
) -> None:
    verifier = _stand_in_verifier(jwks, clock)
    verifier.verify(jwks.token("k1"))
    jwks.failing = True

    clock.set(NOW + timedelta(seconds=601))

    assert verifier.verify(jwks.token("k1")).issuer == ISSUER
    assert jwks.fetches == 2


def test_a_closed_port_is_unavailable_not_an_error(clock: FixedClock) -> None:
    endpoint = _JwksEndpoint()
    endpoint.add_key("k1")
    endpoint.stop()  # never started: the port is closed
    verifier = _stand_in_verifier(endpoint, clock)

    assert _rejected_because(verifier, endpoint.token("k1")) == "signing keys unavailable"


def test_alg_none_never_reaches_the_jwks(jwks: _JwksEndpoint, clock: FixedClock) -> None:
    verifier = _stand_in_verifier(jwks, clock)
    token = jwt.encode({"iss": ISSUER, "sub": str(uuid4())}, "", algorithm="none")

    assert _rejected_because(verifier, token) == "unsupported algorithm"
    assert jwks.fetches == 0
