"""The built-in base: well-known merchants and words of a trade, for a tenant's first import.

A line is matched word by word (accents folded) against the phrases of ``base_lexicon.json``;
the longest phrase found wins, a brand over a generic word. A phrase whose category cannot hold
the line's sign is passed over: money in is never groceries, money out never salary. Matching is
dictionary lookups over the line's words (no regular expression per phrase), so a batch of
thousands costs milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from shared.categorisation.merchant import fold, normalise_merchant, split_glued
from shared.categorisation.model import LineToCategorise, Verdict
from shared.domain.taxonomy import walk

SOURCE = "base"
BRAND_CONFIDENCE = 0.9
KEYWORD_CONFIDENCE = 0.75
# Transfers read from the descriptor itself, whatever the lexicon says.
_TRANSFER_SLUGS = {
    "pix_sent": "transfer_sent",
    "ted_sent": "transfer_sent",
    "transfer_sent": "transfer_sent",
    "pix_received": "transfer_received",
    "ted_received": "transfer_received",
    "transfer_received": "transfer_received",
}


@dataclass(frozen=True)
class _Entry:
    slug: str
    confidence: float
    words: int


class BaseCategoriser:
    def __init__(self, lexicon: dict[str, _Entry] | None = None) -> None:
        self._phrases = lexicon if lexicon is not None else load_lexicon()
        self._sign = _sign_by_slug()
        # The most words of a phrase by its first word: most words of a line start none.
        self._longest: dict[str, int] = {}
        for phrase, entry in self._phrases.items():
            first = phrase.split(" ", 1)[0]
            self._longest[first] = max(self._longest.get(first, 0), entry.words)

    def categorise(self, lines: Sequence[LineToCategorise]) -> list[Verdict]:
        return [self.one(line) for line in lines]

    def one(self, line: LineToCategorise) -> Verdict:
        # Statements repeat their merchants month after month: decide each once. A zero
        # amount (none given) says nothing of the direction: any category may fit.
        credit = None if line.amount == 0 else line.amount > 0
        return self._decide(line.description, line.counterparty_name, credit)

    @lru_cache(maxsize=65_536)  # noqa: B019 - one categoriser per process, kept for its life
    def _decide(self, description: str, counterparty: str | None, credit: bool | None) -> Verdict:
        merchant = normalise_merchant(counterparty or description)
        words = fold(split_glued(description)).split()
        best: tuple[str, _Entry] | None = None
        for start, word in enumerate(words):
            longest = self._longest.get(word, 0)
            for size in range(min(longest, len(words) - start), 0, -1):
                phrase = " ".join(words[start : start + size])
                entry = self._phrases.get(phrase)
                if entry is None or not self._fits(entry.slug, credit):
                    continue
                if best is None or (entry.words, entry.confidence) > (
                    best[1].words,
                    best[1].confidence,
                ):
                    best = (phrase, entry)
                break
        if best is not None:
            phrase, entry = best
            evidence = f"'{phrase}' names {entry.slug}"
            return Verdict(entry.slug, merchant.name, SOURCE, entry.confidence, evidence)
        kind = merchant.transfer or ""
        transfer = _TRANSFER_SLUGS.get(kind)
        if transfer is not None and self._fits(transfer, credit):
            evidence = f"a {kind.replace('_', ' ')} to or from {merchant.name}"
            return Verdict(transfer, merchant.name, SOURCE, KEYWORD_CONFIDENCE, evidence)
        return Verdict(None, merchant.name, SOURCE, 0.0, "no known merchant or word")

    def _fits(self, slug: str, credit: bool | None) -> bool:
        sign = self._sign.get(slug, 0)
        return sign == 0 or credit is None or (sign > 0) == credit


def _sign_by_slug() -> dict[str, int]:
    """+1 for categories of money in, -1 of money out, 0 for either (transfers)."""
    signs = {"expense": -1, "income": 1, "transfer": 0}
    found = {seed.slug: signs[seed.kind] for seed, _ in walk()}
    # Deposits and withdrawals change sign with the account (out of checking, into savings).
    found.update({"transfer_sent": -1, "transfer_received": 1})
    return found


@lru_cache(maxsize=1)
def load_lexicon() -> dict[str, _Entry]:
    raw = json.loads(Path(__file__).with_name("base_lexicon.json").read_text(encoding="utf-8"))
    known = {seed.slug for seed, _ in walk()}
    phrases: dict[str, _Entry] = {}
    for section, confidence in (("brands", BRAND_CONFIDENCE), ("keywords", KEYWORD_CONFIDENCE)):
        for slug, words in raw[section].items():
            if slug not in known:
                raise ValueError(f"base lexicon: {slug!r} is not a category of the taxonomy")
            for phrase in words:
                key = fold(phrase)
                if key in phrases and phrases[key].slug != slug:
                    raise ValueError(f"base lexicon: {phrase!r} names two categories")
                phrases.setdefault(key, _Entry(slug, confidence, len(key.split())))
    return phrases
