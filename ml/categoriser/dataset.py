"""Labelled lines for the trained categoriser, and the split that holds whole merchants out.

Three sources, each with a reason to trust its labels:

- the demo generator's households (``shared.demo``): realistic Brazilian statement lines, each
  labelled by the generator with the category it drew the merchant for;
- the base lexicon (``shared/categorisation/base_lexicon.json``): curated pt-BR brands and trade
  words, each turned into a few short synthetic lines with the decorations real descriptors carry
  (acquirer prefixes, city tails, instalments, boleto and autopay wording);
- merchant category codes (``ml.categoriser.mcc``): a code-to-category table, as lines that carry
  the code, alone or with the group's pt-BR name.

The held-out set is made of whole merchants: a quarter of the demo merchants of every category
(the merchant the generator names, a person for a PIX), never seen in training. A training line
of any source is dropped when its text names a held-out merchant: its name, or a descriptor only
that merchant prints (``MAGALU`` for Magazine Luiza). The held-out lines come from other
households (another generator seed), at most ``cap`` per merchant so that no single merchant
decides the score.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from pathlib import Path

from ml.categoriser.mcc import MCC_GROUPS, codes_by_slug
from shared.categorisation.merchant import fold, normalise_merchant, split_glued
from shared.categorisation.model import LineToCategorise
from shared.demo.generator import generate_household
from shared.domain.taxonomy import PARENT_OF, walk

LEXICON = Path(__file__).resolve().parents[2] / "shared" / "categorisation" / "base_lexicon.json"
PLACES = LEXICON.with_name("places.json")

# A tax line, not a counterparty anyone meets for the first time: always in training.
NEVER_HELD_OUT = frozenset({"IOF"})


@dataclass(frozen=True)
class DataConfig:
    seed: int = 42
    """Demo generator seed of the training households (``fluxo demo`` loads the same)."""
    households: int = 200
    months: int = 12
    eval_seed: int = 4242
    """Demo generator seed of the evaluation households: other families, other PIX friends."""
    eval_households: int = 100
    heldout_fraction: float = 0.25
    split_seed: int = 2026
    cap: int = 100
    """Held-out lines per merchant, at most."""
    lexicon_variants: int = 6
    augment_seed: int = 7
    curated_names_heldout: bool = True
    """Drop the lexicon and MCC lines that name a held-out merchant too (the strict protocol:
    never seen in training, from any source). False keeps them, to measure how the model reads
    a merchant's statement lines when it knows only its name from the lexicon."""


@dataclass(frozen=True)
class Example:
    line: LineToCategorise
    label: str
    """A leaf slug of the taxonomy."""
    merchant: str
    source: str
    """demo | lexicon | mcc"""


@dataclass(frozen=True)
class Dataset:
    config: DataConfig
    train: list[Example]
    heldout: list[Example]
    heldout_merchants: list[str]

    def describe(self) -> dict[str, object]:
        by_source = Counter(example.source for example in self.train)
        return {
            "config": asdict(self.config),
            "train_rows": len(self.train),
            "train_rows_by_source": dict(sorted(by_source.items())),
            "heldout_rows": len(self.heldout),
            "heldout_merchants": len(self.heldout_merchants),
        }


def build(config: DataConfig) -> Dataset:
    demo = list(demo_examples(config.seed, config.households, config.months))
    evaluation = list(demo_examples(config.eval_seed, config.eval_households, config.months))
    heldout_merchants = split_merchants(demo, config.heldout_fraction, config.split_seed)
    names = identity_phrases(heldout_merchants, [*demo, *evaluation])
    rng = random.Random(config.augment_seed)  # noqa: S311 - data augmentation, not a secret
    known = [example for example in demo if example.merchant not in heldout_merchants]
    candidates = [
        *augment(known, rng),
        *lexicon_examples(known, config.lexicon_variants, rng),
        *mcc_examples(known, rng),
    ]
    seen = _Mentions(names)
    train = [
        example
        for example in candidates
        if not (
            (config.curated_names_heldout or example.source == "demo")
            and seen.mentions(example.line)
        )
    ]
    heldout = heldout_lines(evaluation, heldout_merchants, config.cap)
    return Dataset(config, train, heldout, sorted(heldout_merchants))


def heldout_only(config: DataConfig, merchants: Iterable[str]) -> list[Example]:
    """The held-out lines of an artefact, from its recorded merchants (for evaluation)."""
    evaluation = demo_examples(config.eval_seed, config.eval_households, config.months)
    return heldout_lines(evaluation, set(merchants), config.cap)


def demo_examples(seed: int, households: int, months: int) -> Iterator[Example]:
    for index in range(households):
        for line in generate_household(index, months, seed=seed).transactions:
            yield Example(
                LineToCategorise(line.description, line.amount, line.type),
                line.category_slug,
                line.merchant,
                "demo",
            )


def split_merchants(demo: Sequence[Example], fraction: float, seed: int) -> set[str]:
    """A quarter (``fraction``) of the merchants of each category, chosen by a keyed hash.

    A merchant belongs to the category most of its lines have; a category with one merchant
    keeps it in training, one with two holds one out.
    """
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for example in demo:
        labels[example.merchant][example.label] += 1
    by_category: dict[str, list[str]] = defaultdict(list)
    for merchant, counts in labels.items():
        if merchant not in NEVER_HELD_OUT:
            by_category[counts.most_common(1)[0][0]].append(merchant)
    held: set[str] = set()
    for merchants in by_category.values():
        ordered = sorted(merchants, key=lambda name: _digest(f"{seed}:{name}"))
        held.update(ordered[: math.floor(len(ordered) * fraction + 0.5)])
    return held


def identity_phrases(merchants: set[str], demo: Sequence[Example]) -> list[tuple[str, ...]]:
    """What names each held-out merchant: its name, and the descriptors only it prints."""
    owners: dict[str, set[str]] = defaultdict(set)
    for example in demo:
        owners[normalise_merchant(example.line.description).key].add(example.merchant)
    phrases = {tuple(fold(name).split()) for name in merchants}
    for key, owned_by in owners.items():
        if len(owned_by) == 1 and owned_by <= merchants and key:
            phrases.add(tuple(key.split()))
    for example in demo:
        # Acquirer aliases: IFD*… is iFood's own prefix.
        merchant = normalise_merchant(example.line.description)
        if example.merchant in merchants and merchant.via == fold(example.merchant):
            head = example.line.description.split("*", 1)[0]
            phrases.add(tuple(fold(head).split()))
    return sorted(phrase for phrase in phrases if phrase)


class _Mentions:
    """Does a line's text name any of the phrases? Word by word, the last word of a phrase also
    as the start of a longer word (``uber`` in ``ubereats``, ``99`` in ``99pop``) when it has four
    letters or is a number; and glued (``paodeacucar``) when the phrase has six letters or more."""

    def __init__(self, phrases: Sequence[tuple[str, ...]]) -> None:
        self._by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        self._prefixes: list[tuple[str, ...]] = []
        self._glued = [joined for joined in ("".join(p) for p in phrases) if len(joined) >= 6]
        for phrase in phrases:
            last = phrase[-1]
            if len(last) >= 4 or last.isdigit():
                self._prefixes.append(phrase)
            else:
                self._by_first[phrase[0]].append(phrase)
        self._cache: dict[str, bool] = {}

    def mentions(self, line: LineToCategorise) -> bool:
        text = f"{line.description} {line.counterparty_name or ''}"
        found = self._cache.get(text)
        if found is None:
            found = self._cache[text] = self._check(fold(split_glued(text)).split())
        return found

    def _check(self, words: list[str]) -> bool:
        glued = "".join(words)
        if any(joined in glued for joined in self._glued):
            return True
        for start, word in enumerate(words):
            for phrase in self._by_first.get(word, ()):
                if tuple(words[start : start + len(phrase)]) == phrase:
                    return True
        for phrase in self._prefixes:
            size = len(phrase)
            for start in range(len(words) - size + 1):
                window = words[start : start + size]
                if window[:-1] == list(phrase[:-1]) and window[-1].startswith(phrase[-1]):
                    return True
        return False


def heldout_lines(demo: Iterable[Example], merchants: set[str], cap: int) -> list[Example]:
    by_merchant: dict[str, list[tuple[str, Example]]] = defaultdict(list)
    for number, example in enumerate(demo):
        if example.merchant in merchants:
            by_merchant[example.merchant].append((_digest(f"{number}"), example))
    chosen: list[Example] = []
    for merchant in sorted(by_merchant):
        ranked = sorted(by_merchant[merchant], key=lambda pair: pair[0])
        chosen.extend(example for _, example in ranked[:cap])
    return chosen


def augment(demo: Iterable[Example], rng: random.Random) -> Iterator[Example]:
    """Files without a type column, or without amounts (a CSV of descriptions): a quarter of the
    lines lose their type and one in twenty its amount."""
    for example in demo:
        line = example.line
        if rng.random() < 0.25:
            line = replace(line, type=None)
        if rng.random() < 0.05:
            line = replace(line, amount=Decimal(0))
        yield replace(example, line=line)


# --- the base lexicon as synthetic lines -------------------------------------------------------

_KIND = {seed.slug: seed.kind for seed, _ in walk()}
_BILLS = frozenset(
    {
        "rent",
        "condo_fee",
        "home_insurance",
        "electricity",
        "water",
        "gas",
        "internet",
        "phone",
        "health_insurance",
        "school",
        "vehicle_insurance",
        "property_tax",
        "vehicle_tax",
        "income_tax",
        "memberships",
    }
)
_BANK = frozenset({"bank_fees", "iof", "interest_charges"})
_CARD_TEMPLATES = (
    "{P}",
    "{P22} {CITY} BR",
    "PAG*{CAMEL}",
    "MP*{P}",
    "COMPRA CARTAO DEB {P}",
    "PARCELA {N}/{T} {P}",
    "{P} {N:02d}/{T:02d}",
    "EC *{P}",
)
_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str | None, ...]]] = {
    "card": (_CARD_TEMPLATES, ("CARTAO", "CARTAO", "CARTAO", None, None, "DEBITO")),
    "bill": (
        ("PAG BOLETO {P}", "DEB AUT {P}", "{P}", "PAGTO {P}", "{P} {N:02d}/{YEAR}"),
        ("BOLETO", "BOLETO", "DEBITO", None, None, "CARTAO"),
    ),
    "bank": (("{P}", "{P} {N:02d}/{T:02d}", "DEB {P}"), ("TARIFA", "TARIFA", None, "OUTROS")),
    "income": (
        ("{P}", "CRED {P}", "TED RECEBIDA {P}", "PIX RECEBIDO {P}", "{P} {N:02d}/{YEAR}"),
        ("TED", "PIX", "OUTROS", None, None),
    ),
    "transfer": (
        ("{P}", "{P} {N:02d}/{T:02d}", "{P} {CITY}"),
        ("OUTROS", "TED", "PIX", None, None),
    ),
}
# Half-decade ranges for categories the demo never draws, by family: (lowest, highest) in reais.
_DEFAULT_RANGE = {
    "card": (10, 600),
    "bill": (40, 1500),
    "bank": (3, 120),
    "income": (200, 15000),
    "transfer": (50, 5000),
}


def lexicon_examples(
    demo: Sequence[Example], variants: int, rng: random.Random
) -> Iterator[Example]:
    raw = json.loads(LEXICON.read_text(encoding="utf-8"))
    cities = json.loads(PLACES.read_text(encoding="utf-8"))["cities"]
    amounts = _amounts_by_label(demo)
    mccs = codes_by_slug()
    for section in ("brands", "keywords"):
        for slug, phrases in sorted(raw[section].items()):
            for phrase in phrases:
                for _ in range(variants):
                    line = _synthetic_line(phrase, slug, rng, cities, amounts)
                    if slug in mccs and rng.random() < 0.3:
                        line = replace(line, mcc=str(rng.choice(mccs[slug])).zfill(4))
                    yield Example(line, slug, phrase, "lexicon")


def _family(slug: str) -> str:
    if slug in _BILLS:
        return "bill"
    if slug in _BANK:
        return "bank"
    kind = _KIND[slug]
    if kind == "income":
        return "income"
    return "transfer" if kind == "transfer" else "card"


def _synthetic_line(
    phrase: str,
    slug: str,
    rng: random.Random,
    cities: Sequence[str],
    amounts: dict[str, list[Decimal]],
) -> LineToCategorise:
    family = _family(slug)
    templates, types = _TEMPLATES[family]
    upper = phrase.upper()
    total = rng.choice((2, 3, 4, 5, 6, 10, 12))
    text = rng.choice(templates).format(
        P=upper,
        P22=upper[:22].rstrip(),
        CAMEL="".join(word.capitalize() for word in phrase.split()),
        CITY=rng.choice(cities)[:13].rstrip(),
        N=rng.randint(1, total),
        T=total,
        YEAR=rng.randint(2019, 2027),
    )
    return LineToCategorise(text, _amount(slug, family, rng, amounts), rng.choice(types))


def _amounts_by_label(demo: Sequence[Example]) -> dict[str, list[Decimal]]:
    found: dict[str, list[Decimal]] = defaultdict(list)
    for example in demo:
        if example.line.amount:
            found[example.label].append(example.line.amount)
    return {label: sorted(values)[:: max(1, len(values) // 400)] for label, values in found.items()}


def _amount(
    slug: str, family: str, rng: random.Random, amounts: dict[str, list[Decimal]]
) -> Decimal:
    seen = amounts.get(slug)
    if seen:
        return rng.choice(seen)
    low, high = _DEFAULT_RANGE[family]
    cents = round(math.exp(rng.uniform(math.log(low), math.log(high))) * 100)
    sign = _sign(slug, rng)
    return Decimal(sign * cents).scaleb(-2)


def _sign(slug: str, rng: random.Random) -> int:
    if slug == "transfer_sent":
        return -1
    if slug == "transfer_received":
        return 1
    kind = _KIND[slug]
    if kind == "transfer":
        return rng.choice((-1, 1))
    return 1 if kind == "income" else -1


# --- merchant category codes -------------------------------------------------------------------


def mcc_examples(demo: Sequence[Example], rng: random.Random) -> Iterator[Example]:
    """Per code: the code alone, the code with its group's pt-BR name, and the name alone."""
    amounts = _amounts_by_label(demo)
    for slug, codes in sorted(codes_by_slug().items()):
        family = _family(slug)
        for code in codes:
            mcc = str(code).zfill(4)
            name = _group_name(code).upper()
            for text, with_code in (("", True), (name, True), (name, False)):
                amount = _amount(slug, family, rng, amounts)
                line = LineToCategorise(text, amount, "CARTAO", mcc if with_code else None)
                yield Example(line, slug, f"mcc:{mcc}", "mcc")


def _group_name(code: int) -> str:
    for first, last, _, name in MCC_GROUPS:
        if first <= code <= last:
            return name
    raise KeyError(code)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def top_level(slug: str | None) -> str | None:
    if slug is None:
        return None
    return PARENT_OF.get(slug) or slug
