"""The embedded identity directory: the people this installation already knows, else an id
derived from the e-mail address. No mail is sent."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from sqlalchemy import select

from shared.db.engine import Database
from shared.db.models import User


def local_user_id(email: str) -> UUID:
    """The same e-mail always gets the same id, so ``fluxo token --user`` can name an invitee."""
    return uuid5(NAMESPACE_URL, f"https://fluxo.dev/users/{email.strip().lower()}")


class LocalDirectory:
    """Locally the users table is the directory. It is read with the connecting user's rights,
    as Cognito would be asked with the service's: an invitation must find a person whatever
    workspace they are in (a dev database's owner is usually a superuser; without one, people
    who signed in under another id are not found, and the derived id is used)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def find_or_invite(self, email: str, name: str | None) -> UUID:
        address = email.strip().lower()
        with self._db.admin_session() as session:
            known = session.scalar(select(User.id).where(User.email == address))
        return known or local_user_id(address)
