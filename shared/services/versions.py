"""Optimistic concurrency in the services: a change names the version it was made from."""

from __future__ import annotations

from shared.domain.errors import PreconditionRequired, VersionConflict


def check_version(noun: str, current: int, expected: int | None, *, required: bool) -> None:
    """Raises when ``expected`` is not the ``current`` version of the ``noun``, or is missing
    where a change must name one (``required``: replacing or deleting a whole resource)."""
    if expected is None:
        if required:
            raise PreconditionRequired(
                "send the version you last read (If-Match header or a version field)"
            )
        return
    if expected != current:
        raise VersionConflict(
            f"the {noun} is at version {current}, not {expected}; "
            "reload it and apply your change again",
            current_version=current,
        )
