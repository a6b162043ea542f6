"""What both identity adapters share: decoding an RS256 JWT and turning its claims into a Principal.

Every failure becomes ``Unauthenticated`` with a short reason that is safe to show a caller: it
names the check that failed, never the key, the token or the library's message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from shared.domain.access import Principal, Role
from shared.domain.errors import Unauthenticated

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
TENANT_CLAIM = "custom:tenant_id"
GROUPS_CLAIM = "cognito:groups"
ROLE_CLAIM = "custom:role"


def reject(reason: str) -> Unauthenticated:
    """The one way adapters fail; logged at debug so an operator can count reasons, not tokens."""
    log.debug("bearer token rejected: %s", reason)
    return Unauthenticated(reason)


def signing_key_id(token: str) -> str:
    """The ``kid`` of an RS256 token, read before any key is trusted.

    The algorithm is pinned here as well as in ``decode`` so that ``none``/``HS256`` tokens are
    refused before they can cause a JWKS fetch.
    """
    import jwt  # here: behind API Gateway claims arrive verified, and no token is decoded

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise reject("malformed token") from None
    if header.get("alg") != ALGORITHM:
        raise reject("unsupported algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise reject("unknown signing key")
    return kid


def decode(token: str, public_key: Any) -> dict[str, Any]:
    """The verified payload of ``token``; the caller still checks times, issuer and audience."""
    import jwt

    try:
        # Times are checked by ``check_times`` against the injected clock and iss/aud/sub/jti by
        # the adapters, so PyJWT is asked for the signature (and the JSON shape) only.
        payload: dict[str, Any] = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
                "verify_sub": False,
                "verify_jti": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise reject("signature invalid") from None
    except jwt.InvalidAlgorithmError:
        raise reject("unsupported algorithm") from None
    except (jwt.PyJWTError, ValueError, TypeError):
        raise reject("malformed token") from None
    return payload


def check_times(claims: Mapping[str, Any], now: datetime, leeway: timedelta) -> None:
    """``exp`` is required; ``nbf`` and ``iat`` must not be in the future (all with ``leeway``)."""
    instant = now.timestamp()
    slack = leeway.total_seconds()
    expires = _numeric(claims, "exp", required=True)
    if expires is not None and instant >= expires + slack:
        raise reject("token expired")
    for name in ("nbf", "iat"):
        moment = _numeric(claims, name, required=name == "iat")
        if moment is not None and instant + slack < moment:
            raise reject("token not yet valid")


def check_issuer(claims: Mapping[str, Any], expected: str) -> None:
    if claims.get("iss") != expected:
        raise reject("wrong issuer")


def check_audience(claims: Mapping[str, Any], claim: str, allowed: Iterable[str]) -> None:
    """``claim`` (``aud`` or Cognito's ``client_id``) must name one of ``allowed``.

    RFC 7519 lets ``aud`` be a string or a list; a list passes when any entry is allowed.
    """
    value = claims.get(claim)
    stated = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    accepted = set(allowed)
    if not any(isinstance(entry, str) and entry in accepted for entry in stated):
        raise reject("wrong audience")


def check_client(claims: Mapping[str, Any], client_ids: Iterable[str]) -> None:
    """The token was issued to one of ``client_ids``, for signing in (not a refresh token).

    Cognito names the app client in ``aud`` on ID tokens and in ``client_id`` on access tokens
    (which have no ``aud``); any other ``token_use`` is refused.
    """
    use = claims.get("token_use")
    if use == "id":
        check_audience(claims, "aud", client_ids)
    elif use == "access":
        check_audience(claims, "client_id", client_ids)
    else:
        raise reject("wrong token use")


def roles_of(claims: Mapping[str, Any]) -> frozenset[Role]:
    """The Fluxo roles among a Cognito user's groups and its ``custom:role`` attribute.

    The groups are a list in the token; API Gateway hands its authorizer's claims over as strings
    and flattens the list into one, e.g. ``[admin member]``: both are read.
    """
    return roles_from([*_groups(claims.get(GROUPS_CLAIM)), claims.get(ROLE_CLAIM)])


def _groups(value: object) -> list[object]:
    if isinstance(value, list):
        return list(value)
    if not isinstance(value, str):
        return []
    return [part for part in value.strip("[]").replace(",", " ").split() if part]


def roles_from(values: Iterable[object]) -> frozenset[Role]:
    """The entries that are Fluxo roles; anything else (e.g. a federated-login group) is ignored."""
    known = {role.value for role in Role}
    return frozenset(Role(value) for value in values if isinstance(value, str) and value in known)


def string_list(claims: Mapping[str, Any], name: str) -> list[object]:
    """A list claim, absent → empty; any other shape is a malformed token."""
    value = claims.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise reject("malformed token")
    return value


def principal_from(claims: Mapping[str, Any], roles: frozenset[Role]) -> Principal:
    """The Principal of verified ``claims``: subject and tenant must be UUIDs."""
    return Principal(
        user_id=_uuid(claims.get("sub"), reason="invalid subject"),
        tenant_id=_tenant(claims),
        roles=roles,
        email=_verified_email(claims),
        name=_optional_str(claims, "name"),
        issuer=str(claims.get("iss", "")),
        token_id=_optional_str(claims, "jti"),
    )


def _verified_email(claims: Mapping[str, Any]) -> str | None:
    """An e-mail the provider has not verified proves nothing: anyone can type any address at
    sign-up, and invitations are matched by e-mail. API Gateway passes the flag as a string."""
    verified = claims.get("email_verified")
    if verified is True or verified == "true":
        return _optional_str(claims, "email")
    return None


def _tenant(claims: Mapping[str, Any]) -> UUID | None:
    # Absent means "not assigned yet" (a legitimate state); present but unparsable must not be
    # read as "no tenant", or a broken attribute would silently widen what the caller can reach.
    if TENANT_CLAIM not in claims:
        return None
    return _uuid(claims[TENANT_CLAIM], reason="invalid tenant")


def _uuid(value: object, *, reason: str) -> UUID:
    if not isinstance(value, str):
        raise reject(reason)
    try:
        return UUID(value)
    except ValueError:
        raise reject(reason) from None


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def _numeric(claims: Mapping[str, Any], name: str, *, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise reject("malformed token")
        return None
    # bool is an int subclass; ``"exp": true`` is not a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise reject("malformed token")
    return float(value)
