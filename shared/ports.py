"""The ports of DESIGN.md: what the domain needs from the world, as interfaces.

Each has an embedded adapter (``shared/adapters/local``) and, where Fluxo runs on AWS, an AWS
adapter. ``shared.bootstrap`` is the only place that chooses between them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, runtime_checkable
from uuid import UUID

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from events.envelope import DomainEvent
    from shared.categorisation.model import LineToCategorise, Verdict
    from shared.domain.access import Principal
    from shared.domain.search import SearchDocument, SearchPage, SearchQuery


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""

    def today(self) -> date: ...


EventHandler = Callable[["DomainEvent"], None]


class PublishFailed(Exception):
    """Some events did not reach the bus (or a handler failed on them); they stay unpublished
    in the outbox for the next sweep."""

    def __init__(self, failed: Sequence[DomainEvent]) -> None:
        super().__init__(f"{len(failed)} event(s) were not delivered")
        self.failed = list(failed)


class EventBus(Protocol):
    """Publishes committed domain events. Handlers must be idempotent by event id."""

    def publish(self, events: Sequence[DomainEvent]) -> None: ...

    def subscribe(self, event_type: str, handler: EventHandler) -> None: ...


class ObjectStore(Protocol):
    """The lake: keys such as ``raw/bank_statements/{tenant}/{user}/file.csv``.

    Statements and reports can be larger than a Lambda should hold twice in memory, so ``put``
    and ``download`` stream file objects. User metadata travels with an object the way S3 keeps
    it: keys in lower case (S3 folds them), ASCII keys and values (S3 sends them as headers).
    """

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Stores ``data`` under ``key``, replacing any object and metadata there.

        A binary file object is read in chunks from its current position, never whole.
        """

    def get(self, key: str) -> bytes:
        """Raises ``shared.domain.errors.NotFound`` for a missing key."""

    def download(self, key: str, target: BinaryIO) -> dict[str, str]:
        """Streams the object into ``target`` and returns its user metadata (lower-case keys,
        no ``x-amz-meta-`` prefix). Raises ``shared.domain.errors.NotFound`` for a missing key.
        """

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def list(self, prefix: str) -> Iterator[str]: ...

    def url(self, key: str, expires_seconds: int) -> str:
        """A link that reads the object without other credentials, for about
        ``expires_seconds`` (a presigned GET on S3; a ``file://`` URI of the embedded lake,
        which does not expire). Whether the object exists is not checked."""


class TokenVerifier(Protocol):
    """Turns a bearer token into a principal, or raises ``Unauthenticated``."""

    def verify(self, token: str) -> Principal: ...


class IdentityDirectory(Protocol):
    """Where people's sign-in identities live (Cognito, or nothing at all locally).

    Inviting someone by e-mail must give them the id their future tokens will carry, so that
    the membership created now is theirs when they first sign in.
    """

    def find_or_invite(self, email: str, name: str | None) -> UUID:
        """The subject id of the person with this e-mail, creating (and inviting) them if new."""


class Categoriser(Protocol):
    """Decides the merchant and the category of statement lines, many per call (an import
    categorises each chunk at once). A verdict below ``REVIEW_BELOW`` confidence leaves the line
    uncategorised, waiting for review."""

    def categorise(self, lines: Sequence[LineToCategorise]) -> list[Verdict]: ...


class SendFailed(Exception):
    """A notifier could not hand a message over. ``permanent``: retrying cannot help (an
    address refused, a disabled push endpoint); otherwise the send is retried later."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class MessageReference:
    """Which notification a message carries: the local outbox keeps it with the message; SES
    gets the notification id as a message tag and SNS as a message attribute, to trace a
    message back."""

    notification_id: UUID
    tenant_id: UUID
    user_id: UUID


class Notifier(Protocol):
    """Sends one message on one channel and returns the provider's message id, or raises
    ``SendFailed``."""

    def send_email(
        self, to: str, subject: str, text: str, *, reference: MessageReference
    ) -> str: ...

    def send_sms(self, phone: str, text: str, *, reference: MessageReference) -> str: ...

    def send_push(
        self, endpoint_arn: str, title: str, text: str, *, reference: MessageReference
    ) -> str: ...


class SearchIndex(Protocol):
    """The transactions' full-text index (``shared.domain.search``), one tenant at a time.

    Every method gets the caller's database session: the SQL adapters keep the index in a table
    written in that session (so a consumer's claim and its effect commit together) and read it
    there under row-level security; OpenSearch ignores it and is idempotent by document id.
    """

    def upsert(
        self, session: Session, tenant_id: UUID, documents: Sequence[SearchDocument]
    ) -> None:
        """Adds or replaces the documents (by transaction id)."""

    def remove(self, session: Session, tenant_id: UUID, ids: Sequence[UUID]) -> None:
        """Removes the documents of these transactions; absent ones are no error."""

    def clear(self, session: Session, tenant_id: UUID) -> None:
        """Removes every document of the tenant (before a rebuild)."""

    def search(self, session: Session, tenant_id: UUID, query: SearchQuery) -> SearchPage: ...


class ModelClient(Protocol):
    """Runs a model on a JSON payload (``shared.forecasting.invocation`` says which payloads):
    the same code in this process, or a SageMaker endpoint. Raises
    ``shared.forecasting.errors.InvalidInvocation`` for a payload the model cannot read and
    ``ModelUnavailable`` when no model could answer."""

    def invoke(self, payload: Mapping[str, Any]) -> dict[str, Any]: ...


class Cache(Protocol):
    """Computed answers by key, for a while. A miss is always allowed: callers compute again,
    and keys carry whatever makes an answer stale (``shared.services.analytics``)."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...
