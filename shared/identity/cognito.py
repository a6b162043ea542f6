"""The AWS identity adapter: verifies Cognito user-pool ID and access tokens with the pool's JWKS.

Keys are fetched with urllib rather than PyJWT's ``PyJWKClient`` because the refresh rules below
need the injected clock (tests move it) and a stale-if-error fallback, which that client lacks.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import urllib.request
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import jwt

from shared.domain.access import Principal
from shared.identity import claims
from shared.ports import Clock

log = logging.getLogger(__name__)

# An unknown kid is either a forged token or a key Cognito rotated in since the last fetch; one
# refetch a minute serves the second case without letting the first hammer the JWKS endpoint.
UNKNOWN_KID_REFETCH = timedelta(seconds=60)
# After a failed fetch, requests fail fast (or use the previous keys) instead of each waiting for
# its own timeout against an endpoint that is down.
RETRY_AFTER_FAILURE = timedelta(seconds=5)
FETCH_TIMEOUT_SECONDS = 5.0
MAX_JWKS_BYTES = 1 << 20


class CognitoVerifier:
    """Implements ``TokenVerifier`` for one Cognito user pool and its app clients."""

    def __init__(
        self,
        user_pool_id: str,
        region: str,
        client_ids: Sequence[str],
        *,
        jwks_url: str | None = None,
        cache_seconds: int = 3600,
        clock: Clock,
        leeway_seconds: int = 30,
    ) -> None:
        if not user_pool_id or not region:
            raise ValueError("a Cognito verifier needs a user pool id and a region")
        if not client_ids:
            raise ValueError("a Cognito verifier needs at least one app client id")
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        self.client_ids = frozenset(client_ids)
        self.jwks_url = jwks_url or f"{self.issuer}/.well-known/jwks.json"
        self._clock = clock
        self._leeway = timedelta(seconds=leeway_seconds)
        self._keys = _KeySet(self.jwks_url, timedelta(seconds=cache_seconds), clock)

    def verify(self, token: str) -> Principal:
        public_key = self._keys.key(claims.signing_key_id(token))
        payload = claims.decode(token, public_key)
        claims.check_times(payload, self._clock.now(), self._leeway)
        claims.check_issuer(payload, self.issuer)
        claims.check_client(payload, self.client_ids)
        return claims.principal_from(payload, claims.roles_of(payload))


class _KeySet:
    """The pool's public keys by kid, refreshed every ``ttl`` and on an unknown kid (throttled).

    When a refresh fails the previous keys stay in use: Cognito rotates rarely, and rejecting every
    caller because the JWKS endpoint blinked would turn a network hiccup into an outage.
    """

    def __init__(self, url: str, ttl: timedelta, clock: Clock) -> None:
        if urlparse(url).scheme not in ("http", "https"):
            raise ValueError("the JWKS URL must be http(s)")
        self._url = url
        self._ttl = ttl
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at: datetime | None = None
        self._last_attempt: datetime | None = None
        self._last_failed = False
        self._lock = threading.Lock()

    def key(self, kid: str) -> Any:
        # One lock around the fetch too: concurrent cold requests wait for one download instead
        # of each making their own.
        with self._lock:
            now = self._clock.now()
            if self._is_stale(now) and self._may_fetch(now, self._retry_interval()):
                self._refresh(now)
            if kid not in self._keys and self._may_fetch(now, UNKNOWN_KID_REFETCH):
                self._refresh(now)
            if kid in self._keys:
                return self._keys[kid]
            if self._last_failed:
                raise claims.reject("signing keys unavailable")
            raise claims.reject("unknown signing key")

    def _is_stale(self, now: datetime) -> bool:
        if self._fetched_at is None:
            return True
        age = now - self._fetched_at
        # A clock that went backwards says nothing about freshness; refetch to be safe.
        return age < timedelta(0) or age >= self._ttl

    def _retry_interval(self) -> timedelta:
        return RETRY_AFTER_FAILURE if self._last_failed else timedelta(0)

    def _may_fetch(self, now: datetime, interval: timedelta) -> bool:
        """True when ``interval`` has passed since the last attempt (or the clock went back)."""
        if self._last_attempt is None:
            return True
        since = now - self._last_attempt
        return since < timedelta(0) or since >= interval

    def _refresh(self, now: datetime) -> None:
        self._last_attempt = now
        try:
            keys = _parse_jwks(_download(self._url))
        except (OSError, http.client.HTTPException, ValueError) as error:
            self._last_failed = True
            log.warning("Cognito JWKS unavailable at %s: %s", self._url, error)
            return
        self._keys = keys
        self._fetched_at = now
        self._last_failed = False


def _download(url: str) -> bytes:
    # S310 warns about file:// and friends; _KeySet only accepts http(s) URLs.
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
        body: bytes = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError("JWKS document too large")
    return body


def _parse_jwks(body: bytes) -> dict[str, Any]:
    """Public keys by kid: RSA signing keys for RS256 only; others are skipped, not fatal."""
    document = json.loads(body)
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("JWKS document has no key list")
    keys = {entry["kid"]: key for entry in entries if (key := _public_key(entry)) is not None}
    if not keys:
        raise ValueError("JWKS document has no usable RS256 key")
    return keys


def _public_key(entry: object) -> Any | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
        return None
    if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
        return None
    if entry.get("alg", claims.ALGORITHM) != claims.ALGORITHM:
        return None
    try:
        return jwt.PyJWK(entry, algorithm=claims.ALGORITHM).key
    except jwt.PyJWTError:
        log.warning("skipping unreadable JWKS key %s", entry.get("kid"))
        return None
