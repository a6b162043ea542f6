"""What every generation step shares: the household's profile and the book it writes lines into."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from shared.demo.catalog import Bank, City, Merchant
from shared.demo.dates import Window, business_day_on_or_after
from shared.demo.documents import cnpj_for
from shared.demo.models import AnomalyKind, DemoTransaction
from shared.forecasting.calendar import add_months, day_in_month

# Open Finance Brasil transaction types, as the statement APIs label them.
PIX = "PIX"
TED = "TED"
BOLETO = "BOLETO"
CARTAO = "CARTAO"
DEBITO = "DEBITO"
TARIFA = "TARIFA"
OUTROS = "OUTROS"

CHECKING = "checking"
CARD = "card"
SAVINGS = "savings"


def money(cents: int) -> Decimal:
    """Integer centavos to a Decimal with exactly two places; no float ever touches money."""
    return Decimal(cents).scaleb(-2)


def cents_of(amount: Decimal) -> int:
    return int(amount.scaleb(2))


@dataclass(frozen=True, slots=True)
class Profile:
    index: int
    first_name: str
    surname: str
    owner_name: str
    email: str
    city: City
    bank: Bank
    salary: int  # net monthly pay in centavos when the history starts
    scale: int  # spending level in percent of the catalogue's reference household
    has_car: bool
    has_kids: bool
    savings_rate: int  # percent of pay moved to savings each month; 0 = no savings account


@dataclass(slots=True)
class Book:
    """The lines of one household, with the means to add them consistently."""

    profile: Profile
    window: Window
    rng: random.Random
    prefix: str
    lines: list[DemoTransaction] = field(default_factory=list)
    # Originals that already have a labelled duplicate.
    doubled: set[str] = field(default_factory=set)
    # Net pay per (year, month), written by the income step for the steps that budget from it.
    pay: dict[tuple[int, int], int] = field(default_factory=dict)
    _seq: int = 0
    # Days already holding a line with this (account, text, centavos): see ``_distinct``.
    _taken: dict[tuple[str, str, int], list[int]] = field(default_factory=dict)

    def mint(self) -> str:
        self._seq += 1
        return f"{self.prefix}-{self._seq:05d}"

    def add(
        self,
        account: str,
        on: date,
        cents: int,
        text: str,
        merchant: str,
        category: str,
        kind: str,
        *,
        document: str | None = None,
        external_id: str | None = None,
        part: tuple[int, int] | None = None,
        anomaly: AnomalyKind | None = None,
    ) -> DemoTransaction | None:
        """Book ``cents`` (signed) on ``on``; lines outside the window are silently not booked."""
        if not self.window.start <= on <= self.window.end:
            return None
        cents = self._distinct(account, text, cents, on.toordinal())
        # Positional, in field order: this runs for every line of every household.
        line = DemoTransaction(
            account,
            on,
            money(cents),
            text,
            merchant,
            category,
            kind,
            external_id or self.mint(),
            document,
            part[0] if part else None,
            part[1] if part else None,
            anomaly,
        )
        self.lines.append(line)
        return line

    def _distinct(self, account: str, text: str, cents: int, day: int) -> int:
        """Random draws can give two identical lines a day apart; only labelled duplicates may
        look like that, or the anomaly labels would lie. Nudge such a line by a centavo."""
        step = -1 if cents < 0 else 1
        while True:
            days = self._taken.get((account, text, cents))
            if days is None:
                self._taken[account, text, cents] = [day]
                return cents
            for other in days:
                if -1 <= other - day <= 1:
                    break
            else:
                days.append(day)
                return cents
            cents += step

    def spend(self, account: str, on: date, spec: Merchant, cents: int) -> DemoTransaction | None:
        """A card (or debit card) purchase at a catalogue merchant."""
        return self.add(
            account, on, -cents, self.descriptor(spec), spec.name, spec.category, CARTAO
        )

    def boleto(
        self,
        on: date,
        cents: int,
        payee: str,
        merchant: str,
        category: str,
        text: str = "",
        *,
        anomaly: AnomalyKind | None = None,
    ) -> None:
        """Pay a bill slip from checking; a slip due on a weekend or holiday is paid the next
        business day without a fine, so that is when people pay it."""
        self.add(
            CHECKING,
            business_day_on_or_after(on),
            -cents,
            text or f"PAG BOLETO {payee}",
            merchant,
            category,
            BOLETO,
            document=cnpj_for(payee),
            anomaly=anomaly,
        )

    def descriptor(self, spec: Merchant) -> str:
        if not spec.tail:
            return spec.text
        # Card networks carry 22 characters of merchant name and 13 of city, then the country.
        return f"{spec.text[:22].rstrip()} {self.profile.city.name[:13].rstrip()} BR"

    def price(self, spec: Merchant) -> int:
        """A plausible ticket at ``spec`` for this household, in centavos."""
        return max(100, self.between(spec.low, spec.high) * self.profile.scale // 100)

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high], more often near the middle (the mean of two uniform
        draws). Integer bits only, and much cheaper than two ``randint`` on the hot path."""
        bits = self.rng.getrandbits(32) + self.rng.getrandbits(32)
        return low + ((bits * (high - low + 1)) >> 33)

    def split_text(self, text: str, number: int, total: int, style: str | None = None) -> str:
        if (style or self.profile.bank.split_style) == "prefix":
            return f"PARCELA {number}/{total} {text}"
        return f"{text} {number:02d}/{total:02d}"

    def instalments(
        self,
        account: str,
        first: date,
        total_cents: int,
        count: int,
        text: str,
        merchant: str,
        category: str,
        kind: str = CARTAO,
        *,
        document: str | None = None,
        style: str | None = None,
    ) -> None:
        """One purchase paid in ``count`` monthly parts; Brazilian stores put the odd centavos
        on the first part. Parts before or after the window are not booked. ``style`` overrides
        how the bank prints the part number (boletos from city halls print it after the name)."""
        stem = self.mint()
        part = total_cents // count
        for number in range(1, count + 1):
            year, month = add_months(first.year, first.month, number - 1)
            cents = part + (total_cents - part * count if number == 1 else 0)
            self.add(
                account,
                day_in_month(year, month, first.day),
                -cents,
                self.split_text(text, number, count, style),
                merchant,
                category,
                kind,
                document=document,
                external_id=f"{stem}-{number:02d}",
                part=(number, count),
            )

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent
