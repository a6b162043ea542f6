"""Batch categorisation speed: 100,000 statement lines through every layer an import runs.

The lines are the demo generator's (realistic pt-BR descriptors, merchants repeating month after
month as in real statements), categorised in chunks of 10,000 as an import does, by the chain of
a workspace that has everything switched on: 25 rules of every kind (text, regular expression,
amount, sign, type), 300 merchants learned from corrections, the trained model and the built-in
base, all freshly built (nothing decided yet). For comparison the same run times the base alone
and reading the lines' descriptions alone (``str.split`` of each: the floor of touching the text).

Usage: ``python -m bench.categorise [--lines 100000]``. Last line: ``tx_per_s=…``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as a file (``python bench/x.py``): this folder holds events.py, which must not shadow
    # the project's ``events`` package; the project's root is what the imports below mean.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from uuid import UUID, uuid5

from shared.categorisation.base import BaseCategoriser
from shared.categorisation.chain import model_then_base
from shared.categorisation.learned import Choice, LearnedCategoriser, LearnedMerchant, key_of
from shared.categorisation.merchant import normalise_merchant
from shared.categorisation.model import LineToCategorise
from shared.categorisation.rules import (
    Actions,
    Condition,
    ConditionField,
    Operator,
    Rule,
    RuleCategoriser,
)
from shared.categorisation.trained import TrainedCategoriser
from shared.demo.generator import generate_household
from shared.domain.taxonomy import walk
from shared.ports import Categoriser

CHUNK = 10_000
LEARNED = 300
NOW = datetime(2026, 12, 1, tzinfo=UTC)
_IDS = UUID("6f1c0c43-5d1e-4bb5-9a3f-0d7f1a1f3c11")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    lines = list(islice(_demo_lines(), args.lines))
    distinct = len({line.description for line in lines})

    chain = workspace_chain(lines)
    seconds, decided, sources = _timed(chain, lines)
    base_seconds, _, _ = _timed(BaseCategoriser(), lines)
    started = time.perf_counter()
    for line in lines:
        line.description.split()
    floor = time.perf_counter() - started
    by_source = ", ".join(f"{source} {count:,}" for source, count in sorted(sources.items()))
    print(
        f"lines: {len(lines):,} ({distinct:,} distinct descriptions), decided {decided:,} "
        f"({by_source}); base alone {len(lines) / base_seconds:,.0f} lines/s; "
        f"touching the text alone {len(lines) / floor:,.0f} lines/s"
    )
    print(f"tx_per_s={len(lines) / seconds:.0f}")


def workspace_chain(lines: Sequence[LineToCategorise]) -> Categoriser:
    """Rules → learned corrections → model → base, as an import of a busy workspace runs it."""
    slugs = {_id(seed.slug): seed.slug for seed, _ in walk()}
    names = {category: slug.replace("_", " ") for category, slug in slugs.items()}
    learned = LearnedCategoriser(
        _learned(lines, list(slugs)), slugs, names, NOW, fallback=_built_in()
    )
    return RuleCategoriser(_rules(), slugs, fallback=learned)


def _built_in() -> Categoriser:
    return model_then_base(TrainedCategoriser(), BaseCategoriser())


def _timed(
    categoriser: Categoriser, lines: Sequence[LineToCategorise]
) -> tuple[float, int, dict[str, int]]:
    started = time.perf_counter()
    decided = 0
    sources: dict[str, int] = {}
    for start in range(0, len(lines), CHUNK):
        for verdict in categoriser.categorise(lines[start : start + CHUNK]):
            if verdict.slug is not None:
                decided += 1
                sources[verdict.source] = sources.get(verdict.source, 0) + 1
    return time.perf_counter() - started, decided, sources


def _rules() -> list[Rule]:
    """25 rules of the kinds people write, most of them matching nothing in a given line."""
    text = [
        (ConditionField.MERCHANT, Operator.CONTAINS, word, "restaurants")
        for word in ("pizza", "sushi", "burger", "churrasc", "lanche", "acai", "cafe", "bar ")
    ]
    text += [
        (ConditionField.DESCRIPTION, Operator.STARTS_WITH, prefix, "transport")
        for prefix in ("UBER", "99 ", "CABIFY", "ESTAPAR", "SEM PARAR")
    ]
    text += [
        (ConditionField.DESCRIPTION, Operator.REGEX, pattern, "health")
        for pattern in (r"DROGA(RIA|SIL)", r"\bFARMA", r"CLINICA\s+\w+", r"LAB(ORATORIO)?\b")
    ]
    text += [(ConditionField.MERCHANT, Operator.EQUALS, "Netflix", "streaming")]
    rules = [
        Rule(
            id=_id(f"rule-{number}"),
            name=f"rule {number}",
            position=number,
            enabled=True,
            stop_processing=number % 2 == 0,
            conditions=(Condition(field, operator, value),),
            actions=Actions(category_id=_id(slug), tags=(f"tag{number % 5}",)),
        )
        for number, (field, operator, value, slug) in enumerate(text)
    ]
    amount = [
        Condition(
            ConditionField.AMOUNT, Operator.BETWEEN, min=Decimal("-5000"), max=Decimal("-3000")
        ),
        Condition(ConditionField.AMOUNT, Operator.SIGN, "credit"),
        Condition(ConditionField.TYPE, Operator.IN, values=("TED", "DOC")),
        Condition(ConditionField.DESCRIPTION, Operator.CONTAINS, "ALUGUEL"),
        Condition(ConditionField.DESCRIPTION, Operator.CONTAINS, "CONDOMINIO"),
        Condition(ConditionField.DESCRIPTION, Operator.REGEX, r"^PIX (ENVIADO|RECEBIDO) .*SILVA"),
        Condition(
            ConditionField.AMOUNT, Operator.BETWEEN, min=Decimal("9000"), max=Decimal("99000")
        ),
    ]
    for offset, condition in enumerate(amount, start=len(rules)):
        rules.append(
            Rule(
                id=_id(f"rule-{offset}"),
                name=f"rule {offset}",
                position=offset,
                enabled=True,
                stop_processing=True,
                conditions=(condition,),
                actions=Actions(tags=("reviewed",)),
            )
        )
    return rules


def _learned(lines: Sequence[LineToCategorise], categories: list[UUID]) -> list[LearnedMerchant]:
    """The first ``LEARNED`` merchants of the statement, each corrected once or twice."""
    names = dict.fromkeys(normalise_merchant(line.description).name for line in lines)
    merchants = []
    for number, name in enumerate(islice(names, LEARNED)):
        category = categories[number % len(categories)]
        choices = tuple(
            Choice(category, NOW - timedelta(days=30 * times)) for times in range(1 + number % 2)
        )
        merchants.append(LearnedMerchant(key_of(name), name, True, choices))
    return merchants


def _id(name: str) -> UUID:
    return uuid5(_IDS, name)


def _demo_lines() -> Iterator[LineToCategorise]:
    index = 0
    while True:
        for line in generate_household(index, 12).transactions:
            yield LineToCategorise(line.description, line.amount, line.type)
        index += 1


if __name__ == "__main__":
    main()
