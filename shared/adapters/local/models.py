"""The embedded model client: the models run in this process, through the same dispatcher the
serving container runs (``shared.forecasting.invocation``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shared.forecasting.invocation import Models, invoke


class InProcessModelClient:
    """Loads each model on its first invocation (``directory``: where the artefacts are,
    ``ml/artifacts`` when ``None``) and keeps it for the life of the process."""

    def __init__(self, directory: Path | None = None, *, models: Models | None = None) -> None:
        self.models = models or Models(directory)

    def invoke(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return invoke(payload, models=self.models)
