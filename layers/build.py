"""Builds the Lambda dependency layers: ``python layers/build.py`` (``make layers``).

One layer per ``layers/requirements/<name>.txt``, into ``layers/build/<name>/python``: ``core``
(every function), ``models`` (the functions that categorise) and ``parquet`` (the lake export).
A function carries only the layers it imports from, so each fits Lambda's 250 MB with its code
(tests/unit/test_layers.py) and starts without unpacking libraries it never loads.

Wheels are chosen for the Lambda platform (manylinux, arm64, CPython 3.12), not for this machine,
so the layers run in Lambda whatever the build machine is; nothing is compiled here.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements"
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
PYTHON_VERSION = "3.12"
# Never needed in a function and large: tests, caches, type stubs of the installed packages;
# of pyarrow, the C++ headers and Cython sources for building against it, its own tests, and
# Arrow Flight (RPC) and its own S3 client (≈ 50 MB): the lake export writes Parquet into memory
# and hands it to boto3, and pyarrow imports both only on demand (pyarrow.flight, pyarrow.fs
# leaves S3FileSystem out when its library is missing).
PRUNE = (
    "__pycache__",
    "tests",
    "*.pyi",
    "pyarrow/include",
    "pyarrow/src",
    "pyarrow/includes",
    "pyarrow/*.pxd",
    "pyarrow/*.pyx",
    "pyarrow/_pyarrow_cpp_tests*",
    "pyarrow/*flight*",
    "pyarrow/*s3*",
)


def layers(requirements: Path = REQUIREMENTS) -> dict[str, Path]:
    """Layer name → its requirements file."""
    return {path.stem: path for path in sorted(requirements.glob("*.txt"))}


def build(target: Path, requirements: Path) -> Path:
    """Installs ``requirements`` into ``target/python`` (emptied first) and returns ``target``."""
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
        for path in sorted(
            site.glob(pattern) if "/" in pattern else site.rglob(pattern), reverse=True
        ):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    return target


def size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=HERE / "build")
    parser.add_argument(
        "names", nargs="*", help="Only these layers (core, models, parquet); all by default."
    )
    arguments = parser.parse_args()
    available = layers()
    unknown = sorted(set(arguments.names) - set(available))
    if unknown:
        parser.error(f"no layer named {', '.join(unknown)} (layers/requirements/*.txt)")
    # The single layer of before the split would be packaged beside the new ones: gone.
    shutil.rmtree(arguments.target / "python", ignore_errors=True)
    for name in arguments.names or available:
        built = build(arguments.target / name, available[name])
        print(f"layer {name} in {built}: {size(built) / 1_000_000:.1f} MB unpacked")


if __name__ == "__main__":
    main()
