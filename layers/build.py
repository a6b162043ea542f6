"""Builds the Lambda dependency layer: ``python layers/build.py`` (``make layers``).

Wheels are chosen for the Lambda platform (manylinux, arm64, CPython 3.12), not for this machine,
so the layer runs in Lambda whatever the build machine is; nothing is compiled here.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
PYTHON_VERSION = "3.12"
# Never needed in a function and large: tests, caches, type stubs of the installed packages.
PRUNE = ("__pycache__", "tests", "*.pyi")


def build(target: Path, requirements: Path) -> Path:
    site = target / "python"
    if target.exists():
        shutil.rmtree(target)
    site.mkdir(parents=True)
    platforms = [argument for platform in PLATFORMS for argument in ("--platform", platform)]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            PYTHON_VERSION,
            *platforms,
            "--target",
            str(site),
            "-r",
            str(requirements),
        ],
        check=True,
    )
    for pattern in PRUNE:
        for path in sorted(site.rglob(pattern), reverse=True):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=HERE / "build")
    parser.add_argument("--requirements", type=Path, default=HERE / "requirements.txt")
    arguments = parser.parse_args()
    built = build(arguments.target, arguments.requirements)
    size = sum(path.stat().st_size for path in built.rglob("*") if path.is_file())
    print(f"layer in {built}: {size / 1_000_000:.1f} MB unpacked")


if __name__ == "__main__":
    main()
