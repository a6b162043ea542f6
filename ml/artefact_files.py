"""What every trained model's description records the same way: the JSON file beside its
artefact, and the versions of what trained it."""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def package_versions(packages: Iterable[str]) -> dict[str, str]:
    """Python's version and each installed one of ``packages`` (the absent are left out)."""
    found = {"python": platform.python_version()}
    for package in packages:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Indented, UTF-8 and newline-terminated, so that a retrained file diffs line by line."""
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
