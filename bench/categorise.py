"""Batch categorisation speed: 100,000 statement lines through the categoriser an import uses.

The lines are the demo generator's (realistic pt-BR descriptors, merchants repeating month after
month as in real statements), categorised in chunks of 10,000 as an import does, by a categoriser
that has decided nothing yet (its memory of merchants empty). For comparison, the same run times
reading the lines' descriptions alone (``str.split`` of each: the floor of touching the text).

Usage: ``python -m bench.categorise [--lines 100000]``. Last line: ``tx_per_s=…``.
"""

from __future__ import annotations

import argparse
import time
from itertools import islice

from shared.categorisation.base import BaseCategoriser
from shared.categorisation.model import LineToCategorise
from shared.demo.generator import generate_household

CHUNK = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    lines = list(islice(_demo_lines(), args.lines))
    distinct = len({line.description for line in lines})

    categoriser = BaseCategoriser()
    started = time.perf_counter()
    decided = 0
    for start in range(0, len(lines), CHUNK):
        verdicts = categoriser.categorise(lines[start : start + CHUNK])
        decided += sum(verdict.slug is not None for verdict in verdicts)
    seconds = time.perf_counter() - started

    # The worst case: no description twice (each made unique), nothing remembered.
    unique = [
        LineToCategorise(f"{line.description} {n}", line.amount, line.type)
        for n, line in enumerate(lines[:20_000])
    ]
    started = time.perf_counter()
    BaseCategoriser().categorise(unique)
    all_new = len(unique) / (time.perf_counter() - started)

    started = time.perf_counter()
    for line in lines:
        line.description.split()
    floor = time.perf_counter() - started
    print(
        f"lines: {len(lines):,} ({distinct:,} distinct descriptions), decided {decided:,}; "
        f"every description new: {all_new:,.0f} lines/s; "
        f"touching the text alone {len(lines) / floor:,.0f} lines/s"
    )
    print(f"tx_per_s={len(lines) / seconds:.0f}")


def _demo_lines():  # type: ignore[no-untyped-def]
    index = 0
    while True:
        for line in generate_household(index, 12).transactions:
            yield LineToCategorise(line.description, line.amount, line.type)
        index += 1


if __name__ == "__main__":
    main()
