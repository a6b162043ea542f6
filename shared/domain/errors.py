"""Domain errors. Adapters and services raise these; only the HTTP edge maps them to statuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldIssue:
    """One problem with one input field; ``location`` is a path such as ``("body", "amount")``."""

    location: tuple[str | int, ...]
    message: str
    code: str = "invalid"


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    title = "Request could not be processed"

    def __init__(self, detail: str, *, issues: list[FieldIssue] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.issues = issues or []
        self.extra = extra


class NotFound(DomainError):
    title = "Not found"


class Conflict(DomainError):
    title = "Conflict"


class VersionConflict(Conflict):
    title = "Version conflict"


class PreconditionRequired(DomainError):
    title = "Precondition required"


class InvalidInput(DomainError):
    title = "Invalid input"


class PermissionDenied(DomainError):
    title = "Forbidden"


class Unauthenticated(DomainError):
    title = "Unauthenticated"


class CredentialsMissing(Unauthenticated):
    """No credentials at all, as opposed to credentials that fail verification."""


class StoreUnavailable(DomainError):
    title = "Service unavailable"
