"""What can go wrong between a request and a model's answer."""

from __future__ import annotations


class ModelUnavailable(RuntimeError):
    """A model cannot answer: its artefact is missing or unreadable, or no endpoint answered.
    The API answers 503 and logs the reason; nothing crashes."""

    def __init__(self, model: str, reason: str) -> None:
        super().__init__(f"model {model!r} is unavailable: {reason}")
        self.model = model
        self.reason = reason


class InvalidInvocation(ValueError):
    """An invocation payload the models cannot read; ``where`` points at the field (the
    container answers 400 with both)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason
