"""Optimistic concurrency over HTTP: a resource's version is its ETag, and a change names the
version it was made from, in ``If-Match`` or in the body's ``version`` (both: they must agree)."""

from __future__ import annotations

import re

from shared.domain.errors import FieldIssue, InvalidInput

_ETAG = re.compile(r'^"?(\d{1,9})"?$')
_WEAK = "W/"


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, body_version: int | None, noun: str) -> int | None:
    """The version a change expects (None: it names none); a malformed or weak ``If-Match``, or
    one that disagrees with the body, is the caller's error, located."""
    header_version = None
    if if_match is not None:
        if if_match.strip().startswith(_WEAK):
            # If-Match compares strongly (RFC 9110 §13.1.1): a weak ETag never matches.
            raise InvalidInput(
                'If-Match needs the strong ETag, e.g. "3"',
                issues=[FieldIssue(("header", "If-Match"), "a weak ETag never matches")],
            )
        match = _ETAG.fullmatch(if_match.strip())
        if match is None:
            raise InvalidInput(
                f'If-Match must be the ETag of the {noun}, e.g. "3"',
                issues=[FieldIssue(("header", "If-Match"), "not a version ETag")],
            )
        header_version = int(match.group(1))
    if header_version is not None and body_version is not None and header_version != body_version:
        raise InvalidInput(
            "If-Match and the version field disagree",
            issues=[FieldIssue(("body", "version"), "differs from If-Match")],
        )
    return header_version if header_version is not None else body_version
