"""Function code assets: each function gets only the packages it imports.

Third-party libraries come from the dependency layer (``make layers``); the code asset of a
function holds ``shared/``, ``events/`` and its own ``functions/<context>/`` package.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from stacks.config import ROOT

RUNTIME_PACKAGES = ("shared", "events")
# Local-only parts of shared/: the CLI and the demo generator never run in a Lambda.
EXCLUDED = ("cli.py", "demo", "__pycache__", "*.pyc")


def function_code(context: str, staging: Path) -> Path:
    """Copies what the ``context`` function needs into ``staging/<context>`` and returns it."""
    target = staging / context
    if target.exists():
        shutil.rmtree(target)
    ignore = shutil.ignore_patterns(*EXCLUDED)
    for package in RUNTIME_PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=ignore)
    (target / "functions").mkdir(parents=True)
    shutil.copy2(ROOT / "functions" / "__init__.py", target / "functions" / "__init__.py")
    shutil.copytree(ROOT / "functions" / context, target / "functions" / context, ignore=ignore)
    return target
