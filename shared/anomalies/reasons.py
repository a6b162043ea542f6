"""An anomaly's reason in pt-BR or English, rendered from its evidence alone, so a stored anomaly
can be shown in the reader's language whatever language it was detected in.

No babel here: the detector also runs in the model server's image, which carries only what
inference needs. Amounts are the workspace's currency (BRL unless told otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from shared.anomalies.model import LANGUAGES, AnomalyKind

SYMBOLS = {"BRL": "R$", "USD": "US$", "EUR": "€", "GBP": "£"}

_TEMPLATES: dict[tuple[AnomalyKind, str], str] = {
    (AnomalyKind.OUTLIER, "pt-BR"): (
        "{amount} em {counterparty} é {ratio}× o valor habitual ({median}, mediana de {count} "
        "compras{scope_pt})."
    ),
    (AnomalyKind.OUTLIER, "en"): (
        "{amount} at {counterparty} is {ratio}× the usual amount ({median}, the median of "
        "{count} purchases{scope_en})."
    ),
    (AnomalyKind.NEW_MERCHANT_LARGE, "pt-BR"): (
        "Primeira compra em {counterparty}, de {amount}: {share} da renda mensal habitual."
    ),
    (AnomalyKind.NEW_MERCHANT_LARGE, "en"): (
        "First purchase at {counterparty}, of {amount}: {share} of the usual monthly income."
    ),
    (AnomalyKind.DUPLICATE, "pt-BR"): (
        "Cobrança repetida: {amount} em {counterparty}, igual à de {original_date}."
    ),
    (AnomalyKind.DUPLICATE, "en"): (
        "Repeated charge: {amount} at {counterparty}, the same as on {original_date}."
    ),
    (AnomalyKind.CARD_SPIKE, "pt-BR"): (
        "{purchases} compras no cartão em {day}, somando {total}; um dia movimentado costuma ter "
        "{usual_purchases} ({usual_total})."
    ),
    (AnomalyKind.CARD_SPIKE, "en"): (
        "{purchases} card purchases on {day}, {total} in all; a busy day usually has "
        "{usual_purchases} ({usual_total})."
    ),
    (AnomalyKind.PRICE_RISE, "pt-BR"): (
        "{counterparty} subiu de {previous} para {amount} (+{rise})."
    ),
    (AnomalyKind.PRICE_RISE, "en"): (
        "{counterparty} went up from {previous} to {amount} (+{rise})."
    ),
}

_MONTHS_PT = (
    "janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
    "outubro", "novembro", "dezembro",
)  # fmt: skip
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def render(
    kind: AnomalyKind, evidence: Mapping[str, Any], language: str, currency: str = "BRL"
) -> str:
    """The reason of an anomaly of ``kind`` whose evidence is ``evidence``; ``ValueError`` for
    a language other than pt-BR or en."""
    if language not in LANGUAGES:
        raise ValueError(f"language is one of {', '.join(LANGUAGES)}, not {language!r}")

    def cash(key: str) -> str:
        return money(Decimal(str(evidence[key])), language, currency)

    values: dict[str, str] = {"counterparty": str(evidence.get("counterparty", ""))}
    if kind is AnomalyKind.OUTLIER:
        by_category = evidence.get("scope") == "category"
        values |= {
            "amount": cash("amount"),
            "median": cash("median"),
            "ratio": number(float(evidence["ratio"]), language, 1),
            "count": str(evidence["count"]),
            "scope_pt": f" em {evidence.get('category')}" if by_category else " ali",
            "scope_en": f" in {evidence.get('category')}" if by_category else " there",
        }
    elif kind is AnomalyKind.NEW_MERCHANT_LARGE:
        values |= {
            "amount": cash("amount"),
            "share": percent(float(evidence["income_share"]), language),
        }
    elif kind is AnomalyKind.DUPLICATE:
        values |= {
            "amount": cash("amount"),
            "original_date": day(date.fromisoformat(evidence["original_date"]), language),
        }
    elif kind is AnomalyKind.CARD_SPIKE:
        values |= {
            "purchases": str(evidence["purchases"]),
            "total": cash("total"),
            "usual_purchases": number(float(evidence["usual_purchases"]), language, 0),
            "usual_total": cash("usual_total"),
            "day": day(date.fromisoformat(evidence["day"]), language),
        }
    else:
        values |= {
            "amount": cash("amount"),
            "previous": cash("previous_amount"),
            "rise": percent(float(evidence["rise"]), language),
        }
    return _TEMPLATES[(kind, language)].format(**values)


def money(amount: Decimal, language: str, currency: str = "BRL") -> str:
    """``R$ 1.234,56`` in pt-BR, ``R$1,234.56`` in English; a debit is shown as its size."""
    symbol = SYMBOLS.get(currency, currency + " ")
    text = _grouped(abs(amount).quantize(Decimal("0.01"), ROUND_HALF_EVEN), 2, language)
    return f"{symbol} {text}" if language == "pt-BR" else f"{symbol}{text}"


def number(value: float, language: str, places: int) -> str:
    return _grouped(Decimal(str(round(value, places))), places, language)


def percent(share: float, language: str) -> str:
    """A share (0.12) as a percentage: ``12%``, or ``12,5%`` / ``12.5%``."""
    value = round(share * 100, 1)
    places = 0 if value == int(value) else 1
    return f"{number(value, language, places)}%"


def day(value: date, language: str) -> str:
    if language == "pt-BR":
        return f"{value.day} de {_MONTHS_PT[value.month - 1]} de {value.year}"
    return f"{_MONTHS_EN[value.month - 1]} {value.day}, {value.year}"


def _grouped(value: Decimal, places: int, language: str) -> str:
    whole, _, fraction = f"{value:,.{places}f}".partition(".")
    if language == "pt-BR":
        whole = whole.replace(",", ".")
        return f"{whole},{fraction}" if places else whole
    return f"{whole}.{fraction}" if places else whole
