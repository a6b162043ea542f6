"""The demo households models train and are back-tested on, as :class:`Line` lists, and the
one split every model uses: a household is held out when ``index % 5 == 4``, so no model is
ever measured on a household it saw in training."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from shared.demo.generator import DemoHousehold, generate_households
from shared.domain.taxonomy import walk
from shared.forecasting.lines import Line

HELD_OUT_EVERY = 5

_KIND = {seed.slug: seed.kind for seed, _ in walk()}


@dataclass(frozen=True)
class Households:
    train: tuple[DemoHousehold, ...]
    held_out: tuple[DemoHousehold, ...]


def is_held_out(index: int) -> bool:
    return index % HELD_OUT_EVERY == HELD_OUT_EVERY - 1


def split(households: Sequence[DemoHousehold]) -> Households:
    return Households(
        train=tuple(h for h in households if not is_held_out(h.index)),
        held_out=tuple(h for h in households if is_held_out(h.index)),
    )


def households(count: int, months: int, *, seed: int = 42, end: date | None = None) -> Households:
    return split(generate_households(count, months, seed=seed, end=end))


def lines_of(household: DemoHousehold) -> list[Line]:
    """The household's statement as the models read it (ids are the lines' external ids)."""
    kinds = {account.key: account.kind for account in household.accounts}
    return [
        Line(
            id=line.external_id,
            booked_on=line.booked_on,
            amount=line.amount,
            account_id=line.account_key,
            account_kind=kinds.get(line.account_key, "checking"),
            description=line.description,
            merchant=line.merchant or None,
            category=line.category_slug or None,
            kind=_KIND.get(line.category_slug, "uncategorised"),
        )
        for line in household.transactions
    ]
