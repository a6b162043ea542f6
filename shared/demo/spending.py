"""Everyday spending drawn from the merchant tables, PIX between people, big tickets and the
seasons (Black Friday, Christmas) that make a Brazilian year uneven."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from shared.demo.book import CARD, CARTAO, CHECKING, PIX, TARIFA, Book, cents_of
from shared.demo.catalog import (
    BAKERIES,
    BARS,
    BIG_TICKETS,
    BLACK_FRIDAY,
    CAR_EXTRAS,
    CHRISTMAS,
    COFFEE,
    CONTACT_FIRST_NAMES,
    DELIVERY,
    DOCTORS,
    FUEL,
    INTERNATIONAL,
    LEISURE,
    MARKETS,
    PHARMACIES,
    RESTAURANTS,
    RIDES,
    SHOPPING,
    SUPERMARKETS,
    SURNAMES,
    Merchant,
)
from shared.demo.dates import black_friday
from shared.demo.documents import make_cpf
from shared.forecasting.calendar import add_months, day_in_month

# Relative chance of each weekday, Monday first: people eat out on Friday to Sunday, stock up
# on Saturday, and buy coffee on the way to work.
DAY_WEIGHTS: dict[str, tuple[int, ...]] = {
    "any": (1, 1, 1, 1, 1, 1, 1),
    "weekday": (6, 6, 6, 6, 5, 1, 1),
    "weekend": (2, 2, 2, 3, 6, 7, 5),
    "saturday": (3, 2, 3, 3, 4, 7, 3),
}

# (first name, surname initial) as PIX receipts abbreviate people.
PEOPLE: tuple[tuple[str, str], ...] = tuple(
    sorted({(first, surname[0]) for first in CONTACT_FIRST_NAMES for surname in SURNAMES})
)

# IOF on card purchases abroad since June 2025 (Decree 12.499).
FOREIGN_IOF_PER_MILLE = 35


@dataclass(frozen=True, slots=True)
class Habit:
    pool: tuple[Merchant, ...]
    visits: tuple[int, int]  # visits a month for a household of average taste and means
    days: str  # a key of DAY_WEIGHTS
    account: str = CARD
    favourites: int = 2  # how many of the pool's merchants one household frequents
    optional: bool = False  # some households never do this at all
    with_car: int = 100  # percent of the visits when the household has a car
    without_car: int = 100
    essential: bool = False  # bought whatever the income: tickets and visits vary less


HABITS: tuple[Habit, ...] = (
    Habit(SUPERMARKETS, (3, 6), "saturday", essential=True),
    Habit(BAKERIES, (4, 12), "any", account=CHECKING, favourites=1, essential=True),
    Habit(MARKETS, (1, 4), "weekend", account=CHECKING, optional=True, essential=True),
    Habit(RESTAURANTS, (2, 5), "weekend", favourites=4),
    Habit(BARS, (1, 4), "weekend", optional=True),
    Habit(COFFEE, (2, 8), "weekday", optional=True),
    Habit(DELIVERY, (3, 10), "weekend", favourites=4, optional=True),
    Habit(RIDES, (4, 12), "any", with_car=30),
    Habit(FUEL, (2, 3), "any", without_car=0, essential=True),
    Habit(CAR_EXTRAS, (1, 4), "weekday", favourites=3, without_car=0),
    Habit(PHARMACIES, (1, 3), "any", essential=True),
    Habit(SHOPPING, (1, 4), "saturday", favourites=6),
    Habit(LEISURE, (0, 2), "weekend", favourites=3),
    Habit(DOCTORS, (0, 1), "weekday"),
)


def habits(book: Book) -> None:
    calendars = {month: _month_calendar(book, *month) for month in book.window.months}
    for habit in HABITS:
        _practise(book, habit, calendars)


def _month_calendar(book: Book, year: int, month: int) -> tuple[list[date], dict[str, list[int]]]:
    days = book.window.days_of(year, month)
    cumulative = {
        name: list(accumulate(weights[day.weekday()] for day in days))
        for name, weights in DAY_WEIGHTS.items()
    }
    return days, cumulative


def _practise(
    book: Book,
    habit: Habit,
    calendars: dict[tuple[int, int], tuple[list[date], dict[str, list[int]]]],
) -> None:
    rng = book.rng
    share = habit.with_car if book.profile.has_car else habit.without_car
    if not share or (habit.optional and book.chance(20)):
        return
    # Means move how often people eat out or shop far more than how often they buy bread.
    scale = book.profile.scale
    means = 70 + scale * 3 // 10 if habit.essential else 10 + scale * 7 // 10
    ticket = 40 + scale * 6 // 10 if habit.essential else scale
    taste = rng.randint(40, 160) * share // 100 * means // 100
    favourites = _favourites(book, habit)
    preference = list(accumulate((len(favourites) - i) ** 2 for i in range(len(favourites))))
    for days, cumulative in calendars.values():
        # Rounded at random, so that a rare habit still shows up on average instead of never.
        scaled = rng.randint(*habit.visits) * taste * len(days)
        visits = (scaled + rng.randrange(3000)) // 3000
        when = rng.choices(days, cum_weights=cumulative[habit.days], k=visits)
        where = rng.choices(favourites, cum_weights=preference, k=visits)
        for day, spec in zip(when, where, strict=True):
            cents = max(100, book.between(spec.low, spec.high) * ticket // 100)
            book.spend(habit.account, day, spec, cents)


def _favourites(book: Book, habit: Habit) -> list[Merchant]:
    """People go where they can afford: the cheaper part of a pool for modest means, the
    dearer part for ample ones."""
    pool = sorted(habit.pool, key=lambda spec: spec.low + spec.high)
    keep = max(habit.favourites, len(pool) * 3 // 5)
    if book.profile.scale < 90:
        pool = pool[:keep]
    elif book.profile.scale > 140:
        pool = pool[-keep:]
    return book.rng.sample(pool, min(habit.favourites, len(pool)))


def public_transport(book: Book) -> None:
    text, name = book.profile.city.transit
    top_ups = (0, 1) if book.profile.has_car else (2, 5)
    for year, month in book.window.months:
        for _ in range(book.rng.randint(*top_ups)):
            day = day_in_month(year, month, book.rng.randint(1, 28))
            cents = book.rng.randint(2, 15) * 1000  # cards are topped up in round amounts
            book.add(CARD, day, -cents, text, name, "public_transport", CARTAO)


@dataclass(frozen=True, slots=True)
class Contact:
    text: str  # as the PIX receipt abbreviates the name
    name: str
    cpf: str


def _contacts(book: Book, count: int) -> list[Contact]:
    """People with distinct abbreviated names, so one statement text is always one person."""
    people = book.rng.sample(PEOPLE, count)
    return [Contact(f"{f} {i}", f"{f.title()} {i}", make_cpf(book.rng)) for f, i in people]


def pix(book: Book) -> None:
    *friends, parent, cleaner = _contacts(book, book.rng.randint(4, 8) + 2)
    for year, month in book.window.months:
        for _ in range(book.rng.randint(0, 4)):
            _pix_line(book, year, month, book.rng.choice(friends), -1, "transfer_sent")
        for _ in range(book.rng.randint(0, 3)):
            _pix_line(book, year, month, book.rng.choice(friends), 1, "transfer_received")
    _family_support(book, parent)
    _cleaner(book, cleaner)


def _pix_line(book: Book, year: int, month: int, who: Contact, sign: int, category: str) -> None:
    rng = book.rng
    day = day_in_month(year, month, rng.randint(1, 31))
    # Friends settle round sums, or split a bill to the centavo.
    cents = rng.randint(2, 50) * 500 if book.chance(60) else rng.randint(1_500, 25_000)
    verb = "ENVIADO" if sign < 0 else "RECEBIDO"
    text = f"PIX {verb} {who.text}"
    book.add(CHECKING, day, sign * cents, text, who.name, category, PIX, document=who.cpf)


def _family_support(book: Book, parent: Contact) -> None:
    if not book.chance(25):
        return
    cents = book.rng.randint(4, 20) * 5000 * book.profile.scale // 100 // 1000 * 1000
    day_of_month = book.rng.randint(8, 12)
    for year, month in book.window.months:
        day = day_in_month(year, month, day_of_month)
        text = f"PIX ENVIADO {parent.text}"
        book.add(
            CHECKING, day, -cents, text, parent.name, "transfer_sent", PIX, document=parent.cpf
        )


def _cleaner(book: Book, cleaner: Contact) -> None:
    # A diarista comes on the same weekday every week or fortnight and is paid by PIX that day.
    if book.profile.scale < 110 or not book.chance(60):
        return
    every = timedelta(days=book.rng.choice((7, 14)))
    cents = book.rng.randint(30, 50) * 500
    day = book.window.start + timedelta(days=book.rng.randint(0, 6))
    text = f"PIX ENVIADO {cleaner.text}"
    while day <= book.window.end:
        book.add(
            CHECKING, day, -cents, text, cleaner.name, "home_maintenance", PIX, document=cleaner.cpf
        )
        day += every


def big_purchases(book: Book) -> None:
    """A few big tickets a year, mostly split on the card; some started before the window, so
    the history opens on their later parts."""
    rng = book.rng
    start = book.window.start
    offsets = range(-9, len(book.window.months))
    for _ in range(rng.randint(0, 1 + book.profile.scale // 60) * len(offsets) // 12):
        year, month = add_months(start.year, start.month, rng.choice(offsets))
        spec = rng.choice(BIG_TICKETS)
        # Nobody finances much more than a month's pay on one purchase.
        cents = min(book.price(spec), book.profile.salary * rng.randint(40, 120) // 100)
        day = date(year, month, rng.randint(1, 28))
        _buy(book, day, spec, rng.choice((1, 3, 5, 6, 10, 12)), cents)


def _buy(book: Book, day: date, spec: Merchant, parts: int, cents: int = 0) -> None:
    total = cents or book.price(spec)
    if parts == 1:
        book.spend(CARD, day, spec, total)
        return
    text = book.descriptor(spec)
    book.instalments(CARD, day, total, parts, text, spec.name, spec.category)


def black_friday_deals(book: Book) -> None:
    rng = book.rng
    for year in book.window.years():
        friday = black_friday(year)
        # Deals open on Thursday night and run through the weekend, all inside November.
        days = [
            d for d in (friday + timedelta(days=k) for k in (-1, 0, 0, 0, 1, 2)) if d.month == 11
        ]
        budget = book.profile.salary * rng.randint(20, 45) // 100
        for number, spec in enumerate(rng.sample(BLACK_FRIDAY, rng.randint(2, 4))):
            cents = max(book.price(spec), budget if number == 0 else 0)
            # The first deal is paid at once; the rest are often split.
            parts = 1 if number == 0 or book.chance(40) else rng.randint(3, 10)
            _buy(book, rng.choice(days), spec, parts, cents)


def christmas(book: Book) -> None:
    rng = book.rng
    for year in book.window.years():
        for _ in range(rng.randint(3, 7)):
            # Gift shopping piles up towards the 24th.
            day = date(year, 12, max(rng.randint(1, 24), rng.randint(10, 24)))
            spec = rng.choice(CHRISTMAS)
            book.spend(CARD, day, spec, book.price(spec))
        supper = rng.choice(SUPERMARKETS[:4])  # the ceia is bought at a big hypermarket
        day = date(year, 12, rng.randint(21, 24))
        book.spend(CARD, day, supper, book.price(supper) * rng.randint(20, 30) // 10)


def international(book: Book) -> None:
    rng = book.rng
    count = max(1, rng.randint(1, 4) * len(book.window.months) // 12)
    for _ in range(count):
        year, month = rng.choice(book.window.months)
        day = rng.choice(book.window.days_of(year, month))
        spec = rng.choice(INTERNATIONAL)
        cents = book.price(spec)
        book.spend(CARD, day, spec, cents)
        iof = cents * FOREIGN_IOF_PER_MILLE // 1000
        book.add(CARD, day, -iof, f"IOF {spec.text[:18]}", "IOF", "iof", TARIFA)


def refunds(book: Book) -> None:
    """Now and then a store cancels a purchase and the card shows an ESTORNO a few days later."""
    rng = book.rng
    returnable = [
        line
        for line in book.lines
        if line.account_key == CARD
        and line.category_slug in {"clothing", "online_marketplaces"}
        and line.instalment_number is None
    ]
    count = min(len(returnable), rng.randint(0, 2) * len(book.window.months) // 12)
    for line in rng.sample(returnable, count):
        day = line.booked_on + timedelta(days=rng.randint(3, 20))
        text = f"ESTORNO {line.description}"
        book.add(CARD, day, -cents_of(line.amount), text, line.merchant, "refunds", CARTAO)
