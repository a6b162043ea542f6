"""Labelled anomalies: the ground truth the anomaly detector is measured against.

Each household gets two to five injected ones a year, each kind at least once when there is
room. Only the anomalous lines carry the label: for a duplicate that is the second copy, for a
card spike every purchase of the burst. Price rises are not injected: the recurring step labels
the first charge of a plan, rent, school or health plan at its new price.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from shared.demo.book import CARD, CARTAO, CHECKING, Book, cents_of, money
from shared.demo.catalog import UNSEEN_MERCHANTS
from shared.demo.models import AnomalyKind, DemoTransaction

# Where people shop often enough for a single odd amount to stand out.
EVERYDAY = frozenset(
    {"supermarket", "bakery", "pharmacy", "food_delivery", "ride_hailing", "fuel", "dining_out"}
)

# Lines a merchant needs before an odd amount there counts as an outlier and not as a first visit.
KNOWN_AFTER = 3

# A burst of card purchases in one day: a cloned card being drained at shops it already knows,
# or a spree; either way several times the household's usual day.
SPIKE_PURCHASES = (6, 10)
SETTLED_DAYS = 45
# Where a spree (or a stolen card) shops: not the subscriptions that charge the card each month.
SPREE = EVERYDAY | {
    "coffee",
    "bars",
    "butcher_market",
    "clothing",
    "online_marketplaces",
    "personal_care",
    "electronics",
    "home_goods",
    "gifts",
    "books",
    "cinema_shows",
    "outings",
}

Month = tuple[int, int]


def anomalies(book: Book) -> None:
    rng = book.rng
    months = book.window.months
    years, rest = divmod(len(months), 12)
    count = sum(rng.randint(2, 5) for _ in range(years)) + rng.randint(2, 5) * rest // 12
    injected = list(MAKERS)
    kinds = rng.sample(injected, 3)
    kinds += [rng.choice(injected) for _ in range(count - 3)]
    when = rng.sample(months, count) if count <= len(months) else rng.choices(months, k=count)
    plain = [p for p, line in enumerate(book.lines) if _is_plain_purchase(line)]
    # Outliers rewrite existing lines, so they go first: a duplicate must copy a normal line.
    for kind, month in sorted(zip(kinds[:count], when, strict=True), key=lambda p: ORDER[p[0]]):
        MAKERS[kind](book, month, plain)


def _is_plain_purchase(line: DemoTransaction) -> bool:
    return (
        line.type == CARTAO
        and line.instalment_number is None
        and line.amount < 0
        and line.category_slug != "refunds"
    )


def _in_month(line: DemoTransaction, month: Month) -> bool:
    return (line.booked_on.year, line.booked_on.month) == month


def _outlier(book: Book, month: Month, plain: list[int]) -> None:
    by_merchant: dict[str, list[int]] = defaultdict(list)
    for position in plain:
        if book.lines[position].category_slug in EVERYDAY:
            by_merchant[book.lines[position].merchant].append(position)
    candidates: list[tuple[str, int]] = []
    for merchant, positions in by_merchant.items():
        positions.sort(key=lambda p: book.lines[p].booked_on)
        candidates.extend((merchant, p) for p in positions[KNOWN_AFTER:])
    candidates = [c for c in candidates if book.lines[c[1]].anomaly is None]
    if not candidates:
        return
    chosen = [c for c in candidates if _in_month(book.lines[c[1]], month)] or candidates
    merchant, position = book.rng.choice(chosen)
    usual = statistics.median(-book.lines[p].amount for p in by_merchant[merchant])
    cents = int(usual.scaleb(2)) * book.rng.randint(6, 12)
    line = book.lines[position]
    book.lines[position] = replace(line, amount=money(-cents), anomaly=AnomalyKind.OUTLIER)


def _duplicate(book: Book, month: Month, plain: list[int]) -> None:
    last = book.window.end - timedelta(days=1)
    candidates = [
        line
        for line in (book.lines[p] for p in plain)
        if line.anomaly is None
        and line.account_key in (CARD, CHECKING)
        and line.booked_on <= last
        and line.external_id not in book.doubled
    ]
    if not candidates:
        return
    chosen = [line for line in candidates if _in_month(line, month)] or candidates
    original = book.rng.choice(chosen)
    # A terminal that retries, or a card charged again at settlement the next day.
    later = original.booked_on + timedelta(days=book.rng.choice((0, 0, 1)))
    copy = replace(
        original, booked_on=later, external_id=book.mint(), anomaly=AnomalyKind.DUPLICATE
    )
    book.lines.append(copy)
    book.doubled.add(original.external_id)


def _new_merchant_large(book: Book, month: Month, _plain: list[int]) -> None:
    seen = {line.merchant for line in book.lines}
    fresh = [spec for spec in UNSEEN_MERCHANTS if spec.name not in seen]
    if not fresh:
        return
    spec = book.rng.choice(fresh)
    day = book.rng.choice(book.window.days_of(*month))
    # Large for this household, whatever the shop: a third of a month's pay or more.
    cents = book.profile.salary * book.rng.randint(30, 80) // 100
    book.add(
        CARD,
        day,
        -cents,
        book.descriptor(spec),
        spec.name,
        spec.category,
        CARTAO,
        anomaly=AnomalyKind.NEW_MERCHANT_LARGE,
    )


def _card_spike(book: Book, month: Month, plain: list[int]) -> None:
    # A burst needs a usual to stand out against: not in the history's first weeks.
    settled = book.window.start + timedelta(days=SETTLED_DAYS)
    days = [d for d in book.window.days_of(*month) if settled <= d < book.window.end]
    if not days:
        days = [
            d
            for m in book.window.months
            for d in book.window.days_of(*m)
            if settled <= d < book.window.end
        ]
        if not days:
            return
    day = book.rng.choice(days)
    usual: dict[str, list[int]] = defaultdict(list)
    sample: dict[str, DemoTransaction] = {}
    for position in plain:
        line = book.lines[position]
        if (
            line.account_key == CARD
            and line.anomaly is None
            and line.booked_on < day
            and line.category_slug in SPREE
        ):
            usual[line.merchant].append(-cents_of(line.amount))
            sample.setdefault(line.merchant, line)
    low, high = SPIKE_PURCHASES
    if len(usual) < low:
        return
    count = min(len(usual), book.rng.randint(low, high))
    for merchant in book.rng.sample(sorted(usual), count):
        line = sample[merchant]
        cents = int(statistics.median(usual[merchant])) * book.rng.randint(80, 130) // 100
        book.add(
            CARD,
            day,
            -max(cents, 100),
            line.description,
            merchant,
            line.category_slug,
            CARTAO,
            anomaly=AnomalyKind.CARD_SPIKE,
        )


ORDER: dict[AnomalyKind, int] = {
    AnomalyKind.OUTLIER: 0,
    AnomalyKind.DUPLICATE: 1,
    AnomalyKind.NEW_MERCHANT_LARGE: 2,
    AnomalyKind.CARD_SPIKE: 3,
}

MAKERS: dict[AnomalyKind, Callable[[Book, Month, list[int]], None]] = {
    AnomalyKind.OUTLIER: _outlier,
    AnomalyKind.DUPLICATE: _duplicate,
    AnomalyKind.NEW_MERCHANT_LARGE: _new_merchant_large,
    AnomalyKind.CARD_SPIKE: _card_spike,
}
