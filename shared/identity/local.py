"""The embedded identity adapter: dev tokens signed with a key kept in FLUXO_HOME.

Tokens look like Cognito access tokens (RS256, ``kid`` header, ``token_use``, ``custom:tenant_id``)
so the rest of Fluxo cannot tell the two apart; roles travel in ``fluxo:roles`` because there are no
Cognito groups locally.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.domain.access import Principal, Role
from shared.identity import claims
from shared.ports import Clock

ROLES_CLAIM = "fluxo:roles"
KEY_FILE = Path("keys") / "dev-signing-key.pem"
_KEY_BITS = 2048


@dataclass(frozen=True)
class _SigningKey:
    private: rsa.RSAPrivateKey
    public: rsa.RSAPublicKey
    kid: str
    jwk: dict[str, str]


class LocalDevIssuer:
    """Issues and verifies dev access tokens; implements ``TokenVerifier``.

    The key pair is created on first use, not in ``__init__``, so building the composition root
    never touches the disk.
    """

    def __init__(
        self,
        home: Path,
        issuer: str,
        audience: str,
        clock: Clock,
        *,
        leeway_seconds: int = 30,
    ) -> None:
        self.key_path = home / KEY_FILE
        self.issuer = issuer
        self.audience = audience
        self._clock = clock
        self._leeway = timedelta(seconds=leeway_seconds)
        self._key: _SigningKey | None = None
        self._lock = threading.Lock()

    @property
    def kid(self) -> str:
        """RFC 7638 thumbprint of the public key: stable for as long as the key file lives."""
        return self._signing_key().kid

    def issue(
        self,
        user_id: UUID,
        tenant_id: UUID | None,
        roles: Iterable[Role],
        *,
        email: str | None = None,
        name: str | None = None,
        ttl: timedelta = timedelta(hours=12),
    ) -> str:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        key = self._signing_key()
        payload = self._payload(user_id, tenant_id, roles, email=email, name=name, ttl=ttl)
        return jwt.encode(
            payload, key.private, algorithm=claims.ALGORITHM, headers={"kid": key.kid}
        )

    def verify(self, token: str) -> Principal:
        key = self._signing_key()
        if claims.signing_key_id(token) != key.kid:
            raise claims.reject("unknown signing key")
        payload = claims.decode(token, key.public)
        claims.check_times(payload, self._clock.now(), self._leeway)
        claims.check_issuer(payload, self.issuer)
        claims.check_audience(payload, "aud", [self.audience])
        if payload.get("token_use") != "access":
            raise claims.reject("wrong token use")
        roles = claims.roles_from(claims.string_list(payload, ROLES_CLAIM))
        return claims.principal_from(payload, roles)

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWKS document, for tools that verify dev tokens themselves."""
        return {"keys": [dict(self._signing_key().jwk)]}

    def _payload(
        self,
        user_id: UUID,
        tenant_id: UUID | None,
        roles: Iterable[Role],
        *,
        email: str | None,
        name: str | None,
        ttl: timedelta,
    ) -> dict[str, Any]:
        now = self._clock.now()
        issued_at = int(now.timestamp())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": issued_at,
            "nbf": issued_at,
            "exp": int((now + ttl).timestamp()),
            "jti": str(uuid4()),
            "token_use": "access",
            ROLES_CLAIM: sorted({Role(role).value for role in roles}),
        }
        if tenant_id is not None:
            payload[claims.TENANT_CLAIM] = str(tenant_id)
        if email is not None:
            payload["email"] = email
            payload["email_verified"] = True  # the dev issuer vouches for what it is told
        if name is not None:
            payload["name"] = name
        return payload

    def _signing_key(self) -> _SigningKey:
        # The lock keeps two threads of one process from generating two keys; other processes are
        # handled by the no-clobber publish in ``_load_or_create``.
        with self._lock:
            if self._key is None:
                self._key = _signing_key_from(_load_or_create(self.key_path))
            return self._key


def _signing_key_from(private: rsa.RSAPrivateKey) -> _SigningKey:
    public = private.public_key()
    numbers = public.public_numbers()
    members = {"e": _b64_uint(numbers.e), "kty": "RSA", "n": _b64_uint(numbers.n)}
    kid = _thumbprint(members)
    jwk = {**members, "kid": kid, "use": "sig", "alg": claims.ALGORITHM}
    return _SigningKey(private=private, public=public, kid=kid, jwk=jwk)


def _thumbprint(required_members: dict[str, str]) -> str:
    # RFC 7638 §3: the required members only, sorted, no whitespace, SHA-256, base64url unpadded.
    canonical = json.dumps(required_members, sort_keys=True, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode("utf-8")).digest())


def _b64_uint(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _load_or_create(path: Path) -> rsa.RSAPrivateKey:
    if not path.exists():
        private = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
        _publish(path, _pem(private))
    # Read back even after creating: if another process won the race, its key is the one every
    # process must sign with.
    return _read(path)


def _publish(path: Path, pem: bytes) -> None:
    """Put ``pem`` at ``path`` atomically, unless a key is already there.

    The file is complete before it gets its name (temp file + link/replace), so a reader never sees
    half a key. ``os.link`` refuses to overwrite, so the first process to finish wins and nobody's
    tokens are invalidated by a later writer; ``os.replace`` is the fallback where hard links are
    not supported.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".dev-signing-key.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # mkstemp already uses 0600; say it anyway.
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temp_name, path)
        except FileExistsError:
            pass
        except OSError:
            os.replace(temp_name, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)


def _pem(private: rsa.RSAPrivateKey) -> bytes:
    return private.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def _read(path: Path) -> rsa.RSAPrivateKey:
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as error:
        raise RuntimeError(
            f"{path} is not a usable dev signing key; delete it to make one"
        ) from error
    if not isinstance(private, rsa.RSAPrivateKey):
        raise RuntimeError(f"{path} is not an RSA key; delete it to make one")
    return private
