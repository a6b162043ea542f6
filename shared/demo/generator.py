"""Deterministic demo households whose statements look like a Brazilian family's.

``generate_household(index, months, seed=..., end=...)`` always returns the same household for
the same arguments: each household draws from its own ``random.Random(f"{seed}:{index}")`` and
nothing reads the clock or the global RNG. Money is built from integer centavos only.

The history covers ``months`` whole calendar months; the last is the month of ``end`` (cut at
``end`` when it is not a month end). Card bills whose cycle began before the history are
estimated from the household's typical bill, since their purchases are not in the data.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from datetime import date
from operator import attrgetter

from shared.demo import anomalies, recurring, spending
from shared.demo.book import CARD, CHECKING, SAVINGS, Book, Profile
from shared.demo.catalog import BANKS, CITIES, FIRST_NAMES, SURNAMES
from shared.demo.dates import Window
from shared.demo.models import AnomalyKind, DemoAccount, DemoHousehold, DemoTransaction

__all__ = [
    "DEFAULT_END",
    "AnomalyKind",
    "DemoAccount",
    "DemoHousehold",
    "DemoTransaction",
    "generate_household",
    "generate_households",
]

# The demo is pinned to a date so that it never changes with the day it is generated on.
DEFAULT_END = date(2026, 10, 31)

# (lowest, highest net monthly pay in reais, weight): most households earn in the lower bands.
SALARY_BANDS: tuple[tuple[int, int, int], ...] = (
    (3_000, 5_000, 4),
    (5_000, 9_000, 4),
    (9_000, 15_000, 3),
    (15_000, 23_000, 2),
)

Step = Callable[[Book], None]

# Order matters for determinism, and because the last steps read the lines before them:
# refunds need purchases, anomalies need habits, and card bills need every card line.
STEPS: tuple[Step, ...] = (
    recurring.income,
    recurring.housing,
    recurring.utilities,
    recurring.family,
    recurring.subscriptions,
    recurring.car,
    recurring.savings,
    recurring.bank_fees,
    spending.habits,
    spending.public_transport,
    spending.pix,
    spending.big_purchases,
    spending.black_friday_deals,
    spending.christmas,
    spending.international,
    spending.refunds,
    anomalies.anomalies,
    recurring.card_bills,
)


def generate_households(
    count: int, months: int, *, seed: int = 42, end: date | None = None
) -> list[DemoHousehold]:
    return [generate_household(index, months, seed=seed, end=end) for index in range(count)]


def generate_household(
    index: int, months: int, *, seed: int = 42, end: date | None = None
) -> DemoHousehold:
    window = Window.ending(end or DEFAULT_END, months)
    # A string seed is hashed with SHA-512, so households are independent and stable across
    # processes; this is demo data, not a secret.
    rng = random.Random(f"{seed}:{index}")  # noqa: S311
    profile = _draw_profile(index, rng)
    book = Book(profile, window, rng, prefix=f"demo-{seed}-{index}")
    for step in STEPS:
        step(book)
    lines = sorted(book.lines, key=attrgetter("booked_on", "external_id"))
    return DemoHousehold(
        index=index,
        name=f"Família {profile.surname}",
        owner_name=profile.owner_name,
        owner_email=profile.email,
        accounts=_accounts(profile),
        transactions=tuple(lines),
    )


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _draw_profile(index: int, rng: random.Random) -> Profile:
    first = rng.choice(FIRST_NAMES)
    middle, surname = rng.sample(SURNAMES, 2)
    low, high, _ = rng.choices(SALARY_BANDS, weights=[band[2] for band in SALARY_BANDS])[0]
    salary = rng.randint(low * 100, high * 100)
    return Profile(
        index=index,
        first_name=first,
        surname=surname,
        owner_name=f"{first} {middle} {surname}",
        email=f"{_ascii(first)}.{_ascii(surname)}+{index}@demo.fluxo.dev",
        city=rng.choice(CITIES),
        bank=rng.choice(BANKS),
        salary=salary,
        # Spending level: R$ 3k of pay is ~72 % of the catalogue's reference tickets, 23k ~190 %.
        scale=55 + salary // 17_000,
        has_car=rng.randrange(100) < 25 + salary // 40_000,
        has_kids=rng.randrange(100) < 45,
        savings_rate=0 if rng.randrange(100) < 30 else rng.randint(3, 8 + salary // 200_000),
    )


def _accounts(profile: Profile) -> tuple[DemoAccount, ...]:
    bank = profile.bank
    accounts = [
        DemoAccount(CHECKING, bank.checking, "checking", bank.institution),
        DemoAccount(CARD, bank.card, "credit_card", bank.institution),
    ]
    if profile.savings_rate:
        accounts.append(DemoAccount(SAVINGS, bank.savings, bank.savings_kind, bank.institution))
    return tuple(accounts)
