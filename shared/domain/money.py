"""Money: a signed ``Decimal`` amount in one ISO 4217 currency, and the parsing of written amounts.

Amounts are never floats. Credits are positive, debits negative (README.md, "Money"). Arithmetic
keeps full precision; ``quantized()`` rounds to the currency's minor unit right before storage or
display, so that rounding happens once, in one place, with banker's rounding.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, Inexact, InvalidOperation, localcontext
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies

from shared.domain.errors import InvalidInput

__all__ = [
    "CurrencyMismatch",
    "Money",
    "currency_exponent",
    "is_currency",
    "parse_amount",
    "sum_money",
    "zero",
]


class CurrencyMismatch(InvalidInput):
    title = "Currency mismatch"


# --------------------------------------------------------------------------------------------------
# Currencies
# --------------------------------------------------------------------------------------------------

# CLDR (what babel knows) records the digits people *display*, ISO 4217 the minor unit banks
# *book*. They disagree for the codes below (checked against babel 2.19); a statement in COP or
# HUF carries cents even if shops round them away, so ISO wins. Codes where both agree (CLP 0,
# ISK 0, JPY 0, KRW 0, BHD/JOD/KWD/LYD/OMR/TND 3, CLF/UYW 4) are deliberately not listed.
_ISO_MINOR_UNITS: dict[str, int] = {
    "AFN": 2,
    "ALL": 2,
    "COP": 2,
    "HUF": 2,
    "IDR": 2,
    "IQD": 3,
    "IRR": 2,
    "KPW": 2,
    "LAK": 2,
    "LBP": 2,
    "MGA": 2,
    "MMK": 2,
    "SLL": 2,
    "SOS": 2,
    "SYP": 2,
    "YER": 2,
}

# ISO gives these no minor unit ("N.A."): metals, bond-market units, SDR, test and "no currency".
# babel calls them 2-digit currencies; bank transactions are never denominated in them, so a money
# amount in one is almost certainly a mistake worth rejecting.
_NOT_MONEY = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"}
)

_CODE = re.compile(r"[A-Z]{3}")


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    # Lazy: the CLDR lookup costs a few ms, which a Lambda that never touches money should not pay.
    return frozenset(list_currencies()) - _NOT_MONEY


def is_currency(code: str) -> bool:
    """True for an upper-case ISO 4217 code that babel knows and that denotes money."""
    return isinstance(code, str) and _CODE.fullmatch(code) is not None and code in _known_codes()


@lru_cache(maxsize=512)
def currency_exponent(code: str) -> int:
    """Number of decimals of the currency's minor unit (BRL 2, JPY 0, KWD 3), ISO 4217 first."""
    if not is_currency(code):
        raise InvalidInput(f"{code!r} is not an ISO 4217 currency code", code="currency")
    return _ISO_MINOR_UNITS.get(code, get_currency_precision(code))


@lru_cache(maxsize=512)
def _minor_unit(code: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(code))


# --------------------------------------------------------------------------------------------------
# Parsing what statements and people write
# --------------------------------------------------------------------------------------------------

_MAX_TEXT = 100  # longer than any real amount; bounds the work done on hostile input

# A currency marker: a sign such as "$", "R$", "US$", "€", or an ISO code such as "BRL".
_CURRENCY = r"[A-Z]{0,3}[^\w\s.,'()+\-]|[A-Z]{3}"
_AMOUNT = re.compile(
    rf"""
    (?P<open>\()?\ ?
    (?P<sign1>[+-])?\ ?
    (?P<cur1>{_CURRENCY})?\ ?
    (?P<sign2>[+-])?\ ?
    (?P<number>[0-9.,']+(?:\ [0-9.,']+)*)\ ?
    (?P<cur2>{_CURRENCY})?\ ?
    (?P<trail>-)?\ ?
    (?P<close>\))?
    """,
    re.VERBOSE,
)
_EXPONENT = re.compile(r"\d\s*[eE]\s*[+-]?\s*\d")
_NOT_FINITE = re.compile(r"nan|inf", re.IGNORECASE)
_GROUP_CHARS = " '"
_DECIMAL_SEPARATORS = (".", ",")


def parse_amount(text: str, *, decimal_separator: str | None = None) -> Decimal:
    """Parse an amount as banks and people write it ("R$ 1.234,56", "(123.45)", "123,45-").

    ``decimal_separator`` ("." or ",") makes the reading exact. Without it, "1.234" and "1,234" are
    ambiguous and rejected: the caller should decide from the whole file, not from one cell.
    """
    if decimal_separator is not None and decimal_separator not in _DECIMAL_SEPARATORS:
        raise ValueError(f"decimal_separator must be '.' or ',', not {decimal_separator!r}")
    cleaned = _normalise_text(text)
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise _unparseable(text, cleaned)
    negative = _sign(match, text)
    _check_currency(match.group("cur1"), match.group("cur2"), text)
    amount = _parse_number(match.group("number"), decimal_separator, text)
    return -amount if negative and amount else amount


def _normalise_text(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"parse_amount expects str, got {type(text).__name__}")
    if len(text) > _MAX_TEXT:
        raise InvalidInput(f"amount is too long ({len(text)} characters)", code="amount")
    # Unicode minus and typographic apostrophe turn up in copied statements; NBSP and narrow NBSP
    # are what CLDR locales (pt-BR, fr-FR) use to group thousands; \s covers all of them.
    cleaned = text.replace("\u2212", "-").replace("\u2019", "'")
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if not cleaned:
        raise InvalidInput("amount is empty", code="amount")
    return cleaned


def _unparseable(text: str, cleaned: str) -> InvalidInput:
    if _NOT_FINITE.search(cleaned):
        return InvalidInput(f"{text!r} is not a finite amount", code="amount")
    if _EXPONENT.search(cleaned):
        return InvalidInput(f"{text!r} uses exponent notation, write the digits", code="amount")
    if not any(ch.isdigit() for ch in cleaned):
        return InvalidInput(f"{text!r} has no digits", code="amount")
    return InvalidInput(f"{text!r} is not an amount", code="amount")


def _sign(match: re.Match[str], text: str) -> bool:
    """True when negative; exactly one way of writing the sign is allowed."""
    if bool(match.group("open")) != bool(match.group("close")):
        raise InvalidInput(f"{text!r} has an unbalanced parenthesis", code="amount")
    signs = [match.group(name) for name in ("sign1", "sign2", "trail") if match.group(name)]
    if match.group("open"):
        signs.append("(")
    if len(signs) > 1:
        raise InvalidInput(f"{text!r} has more than one sign", code="amount")
    return bool(signs) and signs[0] in "-("


def _check_currency(first: str | None, second: str | None, text: str) -> None:
    if first and second:
        raise InvalidInput(f"{text!r} has two currency markers", code="amount")
    marker = first or second
    if marker is None:
        return
    if _CODE.fullmatch(marker):
        if not is_currency(marker):
            raise InvalidInput(f"{text!r}: {marker!r} is not a currency", code="amount")
    elif unicodedata.category(marker[-1]) != "Sc":
        raise InvalidInput(f"{text!r}: unexpected character {marker[-1]!r}", code="amount")


def _parse_number(number: str, hint: str | None, text: str) -> Decimal:
    decimal_sep = hint or _guess_decimal_separator(number, text)
    integer, fraction = number, ""
    if decimal_sep and decimal_sep in number:
        integer, _, fraction = number.partition(decimal_sep)
        if not fraction.isdigit():
            raise InvalidInput(f"{text!r} has a malformed decimal part", code="amount")
    group_chars = _GROUP_CHARS + "".join(s for s in _DECIMAL_SEPARATORS if s != decimal_sep)
    digits = _ungroup(integer, group_chars, text) if integer else "0"
    return Decimal(f"{digits}.{fraction}" if fraction else digits)


def _guess_decimal_separator(number: str, text: str) -> str | None:
    """Which of "." and "," is the decimal separator, or None when the number has no decimals."""
    dots, commas = number.count("."), number.count(",")
    if dots and commas:
        # The later one is the decimal separator: "1.234,56", "1,234.56", "6000.000,00".
        return "." if number.rfind(".") > number.rfind(",") else ","
    if not dots and not commas:
        return None
    sep = "." if dots else ","
    if dots + commas > 1:
        return None  # repeated, so grouping: "1.234.567"
    integer, _, fraction = number.partition(sep)
    if len(fraction) != 3 or integer.strip("0") == "" or any(c in integer for c in _GROUP_CHARS):
        # Only "ddd" after the separator could be a thousands group, and not after "0" or when
        # spaces/apostrophes already group the thousands.
        return sep
    raise InvalidInput(
        f"{text!r} is ambiguous: {sep!r} could separate thousands or decimals; "
        "pass decimal_separator",
        code="ambiguous_amount",
    )


def _ungroup(integer: str, group_chars: str, text: str) -> str:
    """Strip thousands separators, checking that every group after the first has three digits."""
    used = {c for c in integer if c in group_chars}
    if len(used) > 1:
        raise InvalidInput(f"{text!r} mixes thousands separators", code="amount")
    if not used:
        if not integer.isdigit():
            raise InvalidInput(f"{text!r} is not an amount", code="amount")
        return integer
    head, *groups = integer.split(used.pop())
    if not head.isdigit() or not _well_grouped([len(g) if g.isdigit() else 0 for g in groups]):
        raise InvalidInput(f"{text!r} has misplaced thousands separators", code="amount")
    return head + "".join(groups)


def _well_grouped(sizes: list[int]) -> bool:
    # Groups after the first have three digits, or two then three for Indian lakh/crore grouping
    # ("1,00,000.00"). The first group may be longer: statements print "6000.000,00".
    *inner, last = sizes
    return last == 3 and (all(n == 3 for n in inner) or all(n == 2 for n in inner))


# --------------------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------------------

_CANONICAL = re.compile(r"[+-]?\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Positive is a credit, negative a debit.

    Equality is by value and currency (``Money.of("1.0", "BRL") == Money.of("1.00", "BRL")``);
    ordering and arithmetic across currencies raise ``CurrencyMismatch``.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _as_decimal(self.amount))
        currency_exponent(self.currency)  # raises InvalidInput for an unknown code

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build from a Decimal, an int, or a canonical string such as "-1234.56" (as in JSON).

        Strings must be canonical because this is the API edge; statement text goes through
        ``parse_amount`` with the file's decimal separator instead.
        """
        if isinstance(amount, str):
            if not _CANONICAL.fullmatch(amount):
                raise InvalidInput(
                    f"{amount!r} is not a plain decimal number such as '-1234.56'", code="amount"
                )
            return cls(Decimal(amount), currency)
        return cls(_as_decimal(amount), currency)

    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)

    @property
    def is_credit(self) -> bool:
        return self.amount > 0

    @property
    def is_debit(self) -> bool:
        return self.amount < 0

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def quantized(self) -> Money:
        """Rounded half-even to the currency's minor unit, the form to store or show."""
        try:
            amount = self.amount.quantize(_minor_unit(self.currency), rounding=ROUND_HALF_EVEN)
        except InvalidOperation as exc:
            raise InvalidInput(f"{self.amount} is too large to store", code="amount") from exc
        return Money(amount, self.currency)

    def check_precision(self) -> Money:
        """Reject amounts finer than the minor unit (BRL 1.005); else return it quantized."""
        quantized = self.quantized()
        if quantized.amount != self.amount:
            raise InvalidInput(
                f"{self.amount} has more decimals than {self.currency} allows ({self.exponent})",
                code="precision",
            )
        return quantized

    def allocate(self, parts: Sequence[int]) -> list[Money]:
        """Split by integer weights to the minor unit, losing no cent (largest remainder method).

        Each share is within one minor unit of its exact ratio; leftover units go to the largest
        remainders, earlier parts first on ties, so the result is deterministic.
        """
        weights = _check_weights(parts)
        exponent = self.exponent
        units = int(self.check_precision().amount.scaleb(exponent))
        total_weight = sum(weights)
        shares = [abs(units) * w // total_weight for w in weights]
        remainders = [abs(units) * w % total_weight for w in weights]
        leftover = abs(units) - sum(shares)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
        for i in by_remainder[:leftover]:
            shares[i] += 1
        sign = -1 if units < 0 else 1
        return [Money(Decimal(sign * s).scaleb(-exponent), self.currency) for s in shares]

    def format(self, locale: str) -> str:
        """Localised text, e.g. pt_BR → "R$ 1.234,56" (NBSP), en_US → "$1,234.56"."""
        babel_locale = _locale(locale)
        return format_currency(
            self.quantized().amount,
            self.currency,
            format=_currency_pattern(babel_locale, self.exponent),
            locale=babel_locale,
            currency_digits=False,
        )

    # -- arithmetic: same currency only, exact ---------------------------------------------------

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(_exact_sum(self.amount, self._same(other).amount), self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(_exact_sum(self.amount, -self._same(other).amount), self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, float):
            raise TypeError("Money cannot be multiplied by a float; use Decimal")
        if isinstance(factor, bool) or not isinstance(factor, Decimal | int):
            return NotImplemented
        if isinstance(factor, Decimal) and not factor.is_finite():
            raise InvalidInput(f"cannot multiply money by {factor}", code="amount")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def _same(self, other: Money) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot compare Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} with {other.currency}", code="currency"
            )
        return other


def zero(currency: str) -> Money:
    """Zero in ``currency``, written with the currency's decimals (0.00 BRL, 0 JPY)."""
    return Money(_minor_unit(currency) * 0, currency)


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Sum that is well defined for an empty iterable and refuses to mix currencies."""
    total = zero(currency)
    for item in items:
        total += item
    return total


def _as_decimal(amount: object) -> Decimal:
    # bool is an int subclass, and floats carry binary rounding error: both are bugs, not money.
    if isinstance(amount, bool | float):
        raise TypeError(f"Money amount must be Decimal or int, not {type(amount).__name__}")
    if isinstance(amount, int):
        return Decimal(amount)
    if not isinstance(amount, Decimal):
        raise TypeError(f"Money amount must be Decimal or int, not {type(amount).__name__}")
    if not amount.is_finite():
        raise InvalidInput(f"{amount} is not a finite amount", code="amount")
    return amount


def _exact_sum(a: Decimal, b: Decimal) -> Decimal:
    # The default context rounds beyond 28 digits; money must fail loudly rather than lose a cent.
    with localcontext() as ctx:
        ctx.traps[Inexact] = True
        try:
            return a + b
        except Inexact as exc:
            raise InvalidInput("sum exceeds the supported precision", code="amount") from exc


def _check_weights(parts: Sequence[int]) -> list[int]:
    if not parts:
        raise InvalidInput("allocate needs at least one part", code="parts")
    if any(isinstance(p, bool) or not isinstance(p, int) or p < 0 for p in parts):
        raise InvalidInput("allocation parts must be non-negative integers", code="parts")
    if sum(parts) == 0:
        raise InvalidInput("allocation parts must not all be zero", code="parts")
    return list(parts)


def _locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise InvalidInput(f"{tag!r} is not a known locale", code="locale") from exc


@lru_cache(maxsize=256)
def _currency_pattern(locale: Locale, exponent: int) -> str:
    """The locale's currency pattern with ISO's decimals, not CLDR's (see _ISO_MINOR_UNITS)."""
    pattern: str = locale.currency_formats["standard"].pattern
    fraction = "0." + "0" * exponent if exponent else "0"
    return re.sub(r"0(?:\.0+)?", fraction, pattern)
