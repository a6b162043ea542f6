"""The embedded identity directory: ids derived from e-mail addresses, no mail sent."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5


def local_user_id(email: str) -> UUID:
    """The same e-mail always gets the same id, so ``fluxo token --user`` can name an invitee."""
    return uuid5(NAMESPACE_URL, f"https://fluxo.dev/users/{email.strip().lower()}")


class LocalDirectory:
    def find_or_invite(self, email: str, name: str | None) -> UUID:
        return local_user_id(email)
