"""LocalDevIssuer: dev tokens signed with a key kept in FLUXO_HOME."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.clock import FixedClock
from shared.domain.access import Role
from shared.domain.errors import Unauthenticated
from shared.identity.local import LocalDevIssuer, _thumbprint

ISSUER = "https://fluxo.local/dev"
AUDIENCE = "fluxo-dev"
USER = UUID("5b0d4a5e-8f44-4a53-9a4e-1d6f2f4a0c01")
TENANT = UUID("0f3c2b1a-7d6e-4c5b-8a9f-2e1d0c9b8a70")
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(scope="session")
def dev_key_pem() -> bytes:
    """One key for the tests that are not about key creation: RSA generation costs ~0.1 s."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture
def issuer(tmp_path: Path, clock: FixedClock, dev_key_pem: bytes) -> LocalDevIssuer:
    key_file = tmp_path / "keys" / "dev-signing-key.pem"
    key_file.parent.mkdir()
    key_file.write_bytes(dev_key_pem)
    return LocalDevIssuer(tmp_path, ISSUER, AUDIENCE, clock)


def _rejected_because(verifier: LocalDevIssuer, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    return caught.value.detail


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64json(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64json(segment: str) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


def _claims(issuer: LocalDevIssuer, **overrides: object) -> dict[str, object]:
    """The payload of a freshly issued token, with ``overrides`` applied."""
    token = issuer.issue(USER, TENANT, [Role.MEMBER])
    return {**_unb64json(_segments(token)[1]), **overrides}


def _sign_as(issuer: LocalDevIssuer, claims: dict[str, object]) -> str:
    """Sign ``claims`` with the issuer's own key, as a hand-crafted token."""
    private = issuer._signing_key().private
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": issuer.kid})


# --- round trip -----------------------------------------------------------------------------


def test_given_an_issued_token_when_verified_then_the_principal_carries_every_claim(
    issuer: LocalDevIssuer,
) -> None:
    token = issuer.issue(
        USER, TENANT, [Role.ADMIN, Role.MEMBER], email="ana@example.com", name="Ana Souza"
    )

    principal = issuer.verify(token)

    assert principal.user_id == USER
    assert principal.tenant_id == TENANT
    assert principal.roles == frozenset({Role.ADMIN, Role.MEMBER})
    assert principal.email == "ana@example.com"
    assert principal.name == "Ana Souza"
    assert principal.issuer == ISSUER
    assert principal.token_id


def test_issued_claims_look_like_a_cognito_access_token(issuer: LocalDevIssuer) -> None:
    token = issuer.issue(USER, TENANT, [Role.OWNER], ttl=timedelta(hours=1))

    header = jwt.get_unverified_header(token)
    claims = _unb64json(_segments(token)[1])

    assert header["alg"] == "RS256"
    assert header["kid"] == issuer.kid
    stamp = int(START.timestamp())
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["sub"] == str(USER)
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (stamp, stamp, stamp + 3600)
    assert claims["token_use"] == "access"
    assert claims["custom:tenant_id"] == str(TENANT)
    assert claims["fluxo:roles"] == ["owner"]
    assert "email" not in claims
    assert "name" not in claims


def test_given_no_tenant_when_issued_then_the_claim_is_omitted_and_the_principal_has_none(
    issuer: LocalDevIssuer,
) -> None:
    token = issuer.issue(USER, None, [])

    assert "custom:tenant_id" not in _unb64json(_segments(token)[1])
    principal = issuer.verify(token)
    assert principal.tenant_id is None
    assert principal.roles == frozenset()


def test_each_token_has_its_own_id(issuer: LocalDevIssuer) -> None:
    first = issuer.verify(issuer.issue(USER, TENANT, [Role.MEMBER]))
    second = issuer.verify(issuer.issue(USER, TENANT, [Role.MEMBER]))

    assert first.token_id != second.token_id


def test_a_non_positive_ttl_is_a_programming_error(issuer: LocalDevIssuer) -> None:
    with pytest.raises(ValueError, match="ttl"):
        issuer.issue(USER, TENANT, [Role.MEMBER], ttl=timedelta(0))


# --- the key file ---------------------------------------------------------------------------


def test_constructing_an_issuer_does_not_touch_the_disk(tmp_path: Path, clock: FixedClock) -> None:
    LocalDevIssuer(tmp_path / "home", ISSUER, AUDIENCE, clock)

    assert not (tmp_path / "home").exists()


def test_the_key_is_created_on_first_use_readable_by_the_owner_only(
    tmp_path: Path, clock: FixedClock
) -> None:
    issuer = LocalDevIssuer(tmp_path / "home", ISSUER, AUDIENCE, clock)

    issuer.issue(USER, TENANT, [Role.MEMBER])

    key_file = tmp_path / "home" / "keys" / "dev-signing-key.pem"
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert list(key_file.parent.iterdir()) == [key_file], "no temp file left behind"


def test_given_a_key_on_disk_when_a_new_issuer_starts_then_it_reuses_the_key(
    tmp_path: Path, clock: FixedClock
) -> None:
    first = LocalDevIssuer(tmp_path, ISSUER, AUDIENCE, clock)
    token = first.issue(USER, TENANT, [Role.MEMBER])

    second = LocalDevIssuer(tmp_path, ISSUER, AUDIENCE, clock)

    assert second.kid == first.kid
    assert second.verify(token).user_id == USER


def test_given_many_issuers_racing_for_a_new_home_then_they_all_end_up_with_one_key(
    tmp_path: Path, clock: FixedClock
) -> None:
    issuers = [LocalDevIssuer(tmp_path, ISSUER, AUDIENCE, clock) for _ in range(8)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        kids = set(pool.map(lambda issuer: issuer.kid, issuers))

    assert len(kids) == 1
    assert kids == {LocalDevIssuer(tmp_path, ISSUER, AUDIENCE, clock).kid}


def test_an_unreadable_key_file_is_reported_with_its_path(
    tmp_path: Path, clock: FixedClock
) -> None:
    key_file = tmp_path / "keys" / "dev-signing-key.pem"
    key_file.parent.mkdir()
    key_file.write_text("not a key")

    issuer = LocalDevIssuer(tmp_path, ISSUER, AUDIENCE, clock)

    with pytest.raises(RuntimeError, match=r"dev-signing-key\.pem"):
        issuer.issue(USER, TENANT, [Role.MEMBER])


# --- kid and JWKS ---------------------------------------------------------------------------


def test_the_thumbprint_matches_the_rfc_7638_example() -> None:
    # RFC 7638 §3.1.
    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP"
        "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
        "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
        "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )

    assert _thumbprint({"e": "AQAB", "kty": "RSA", "n": n}) == (
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    )


def test_the_jwks_holds_the_public_key_that_verifies_issued_tokens(
    issuer: LocalDevIssuer,
) -> None:
    token = issuer.issue(USER, TENANT, [Role.MEMBER])

    (key,) = issuer.jwks()["keys"]
    public = jwt.PyJWK(key).key

    assert key["kid"] == issuer.kid
    assert key["kty"] == "RSA"
    assert "d" not in key, "no private material"
    # The fixed clock is in the past, so PyJWT (which reads the real time) skips expiry here.
    decoded = jwt.decode(
        token, public, algorithms=["RS256"], audience=AUDIENCE, options={"verify_exp": False}
    )
    assert decoded["sub"] == str(USER)


# --- rejections -----------------------------------------------------------------------------


def test_given_an_expired_token_then_it_is_rejected_as_expired(
    issuer: LocalDevIssuer, clock: FixedClock
) -> None:
    token = issuer.issue(USER, TENANT, [Role.MEMBER], ttl=timedelta(hours=1))

    clock.set(START + timedelta(hours=1, seconds=31))

    assert _rejected_because(issuer, token) == "token expired"


def test_a_token_just_past_its_expiry_is_accepted_within_the_leeway(
    issuer: LocalDevIssuer, clock: FixedClock
) -> None:
    token = issuer.issue(USER, TENANT, [Role.MEMBER], ttl=timedelta(hours=1))

    clock.set(START + timedelta(hours=1, seconds=10))

    assert issuer.verify(token).user_id == USER


def test_a_token_from_the_future_is_not_yet_valid(
    issuer: LocalDevIssuer, clock: FixedClock
) -> None:
    token = issuer.issue(USER, TENANT, [Role.MEMBER])

    clock.set(START - timedelta(minutes=5))

    assert _rejected_because(issuer, token) == "token not yet valid"


def test_a_tampered_payload_fails_the_signature(issuer: LocalDevIssuer) -> None:
    header, _, signature = _segments(issuer.issue(USER, TENANT, [Role.VIEWER]))
    forged = _b64json(_claims(issuer, **{"fluxo:roles": ["owner"]}))

    assert _rejected_because(issuer, f"{header}.{forged}.{signature}") == "signature invalid"


def test_a_token_signed_by_another_issuers_key_names_an_unknown_key(
    tmp_path: Path, issuer: LocalDevIssuer, clock: FixedClock
) -> None:
    stranger = LocalDevIssuer(tmp_path / "elsewhere", ISSUER, AUDIENCE, clock)

    token = stranger.issue(USER, TENANT, [Role.OWNER])

    assert _rejected_because(issuer, token) == "unknown signing key"


def test_a_token_signed_by_another_key_under_our_kid_fails_the_signature(
    issuer: LocalDevIssuer,
) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    token = jwt.encode(_claims(issuer), other_key, algorithm="RS256", headers={"kid": issuer.kid})

    assert _rejected_because(issuer, token) == "signature invalid"


def test_a_token_for_another_issuer_is_rejected(issuer: LocalDevIssuer) -> None:
    token = _sign_as(issuer, _claims(issuer, iss="https://evil.example/dev"))

    assert _rejected_because(issuer, token) == "wrong issuer"


def test_a_token_for_another_audience_is_rejected(issuer: LocalDevIssuer) -> None:
    token = _sign_as(issuer, _claims(issuer, aud="someone-else"))

    assert _rejected_because(issuer, token) == "wrong audience"


def test_an_audience_list_naming_us_is_accepted(issuer: LocalDevIssuer) -> None:
    token = _sign_as(issuer, _claims(issuer, aud=["someone-else", AUDIENCE]))

    assert issuer.verify(token).user_id == USER


def test_an_id_token_is_not_an_access_token(issuer: LocalDevIssuer) -> None:
    token = _sign_as(issuer, _claims(issuer, token_use="id"))

    assert _rejected_because(issuer, token) == "wrong token use"


def test_alg_none_is_refused(issuer: LocalDevIssuer) -> None:
    unsigned = _b64json({"alg": "none", "typ": "JWT", "kid": issuer.kid})
    token = f"{unsigned}.{_b64json(_claims(issuer))}."

    assert _rejected_because(issuer, token) == "unsupported algorithm"


def test_hs256_keyed_with_the_published_public_key_is_refused(issuer: LocalDevIssuer) -> None:
    # The classic key-confusion attack: an HMAC whose secret is the RSA public key, hoping the
    # verifier feeds its RSA key to HS256.
    public_pem = issuer._signing_key().public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = ".".join(
        [_b64json({"alg": "HS256", "typ": "JWT", "kid": issuer.kid}), _b64json(_claims(issuer))]
    )
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    assert _rejected_because(issuer, token) == "unsupported algorithm"


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b.c", "a.b", "....", "Bearer x.y.z", "\u00e9.\u00e9.\u00e9"],
)
def test_garbage_is_a_malformed_token(issuer: LocalDevIssuer, token: str) -> None:
    assert _rejected_because(issuer, token) == "malformed token"


def test_a_token_without_a_kid_names_no_known_key(issuer: LocalDevIssuer) -> None:
    private = issuer._signing_key().private
    token = jwt.encode(_claims(issuer), private, algorithm="RS256")

    assert _rejected_because(issuer, token) == "unknown signing key"


def test_a_correctly_signed_payload_that_is_not_json_is_malformed(issuer: LocalDevIssuer) -> None:
    private = issuer._signing_key().private
    token = jwt.api_jws.PyJWS().encode(
        b"not json", private, algorithm="RS256", headers={"kid": issuer.kid}
    )

    assert _rejected_because(issuer, token) == "malformed token"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"sub": "not-a-uuid"}, "invalid subject"),
        ({"sub": 42}, "invalid subject"),
        ({"custom:tenant_id": "acme"}, "invalid tenant"),
        ({"custom:tenant_id": None}, "invalid tenant"),
        ({"exp": "tomorrow"}, "malformed token"),
        ({"exp": True}, "malformed token"),
        ({"exp": None}, "malformed token"),
        ({"fluxo:roles": "owner"}, "malformed token"),
    ],
)
def test_claims_of_the_wrong_shape_are_rejected(
    issuer: LocalDevIssuer, overrides: dict[str, object], reason: str
) -> None:
    token = _sign_as(issuer, _claims(issuer, **overrides))

    assert _rejected_because(issuer, token) == reason


def test_unknown_role_names_grant_nothing(issuer: LocalDevIssuer) -> None:
    token = _sign_as(issuer, _claims(issuer, **{"fluxo:roles": ["member", "superuser", 7]}))

    assert issuer.verify(token).roles == frozenset({Role.MEMBER})


def test_a_rejection_never_echoes_the_token(issuer: LocalDevIssuer) -> None:
    token = _sign_as(issuer, _claims(issuer, aud="someone-else", sub=str(uuid4())))

    with pytest.raises(Unauthenticated) as caught:
        issuer.verify(token)

    assert token not in str(caught.value)
    assert caught.value.__cause__ is None
