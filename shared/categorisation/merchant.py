"""From a raw statement line to a canonical merchant.

Card and bank descriptors wrap the merchant in noise: an acquirer or wallet prefix (``IFD*``,
``PAG*``, ``MP*``), an instalment marker (``PARCELA 3/10``), a date, a card suffix, the city and
country of the terminal (``SALVADOR BR``), transfer wording (``PIX ENVIADO``). What is left is the
merchant, shown in title case; its ``key`` (accents folded, lower case, single spaces) is what
matching compares. The raw description is never changed: this only reads it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Merchant", "fold", "normalise_merchant", "split_glued"]


@dataclass(frozen=True)
class Merchant:
    name: str
    """For people: ``"Padaria Bella Vista"``."""
    key: str
    """For matching: ``"padaria bella vista"``."""
    via: str | None = None
    """The wallet or acquirer the payment went through, when the descriptor names one
    (``"ifood"`` for ``IFD*PIZZARIA DOM PEPE``)."""
    transfer: str | None = None
    """``"pix_sent"``, ``"pix_received"``, ``"ted_sent"``… when the line is a transfer; the
    merchant is then the counterparty."""


def fold(text: str) -> str:
    """Accents removed, lower case, anything but letters and digits a single space."""
    if text.isascii():  # most descriptors: nothing to decompose
        return " ".join(_NOT_WORD.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", bare.casefold()).split())


def split_glued(text: str) -> str:
    """Words glued in camel case apart: ``PAG*BarDoTonho`` → ``PAG*Bar Do Tonho``."""
    return _CAMEL.sub(" ", text)


def normalise_merchant(description: str) -> Merchant:
    text = split_glued(description[:_MAX_LENGTH])
    text = " ".join(text.split()).upper()
    transfer, text = _transfer(text)
    via, text = _prefix(text)
    text = _ANY_NOISE.sub(" ", text)
    text = _DOMAIN.sub("", text)
    text = _TRAILING_JUNK.sub("", " ".join(text.split()))
    text = _TRAILING_JUNK.sub("", _city_tail(text)).strip(" -*/.,;:")
    if not text:
        text = via or transfer or description.strip()[:_MAX_LENGTH]
    key = fold(text)
    return Merchant(_display(text), key, via, transfer)


_MAX_LENGTH = 300
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")

_PIX = r"^(?:PIX|TRANSF(?:ERENCIA)? PIX)"
_TRANSFERS = (
    (re.compile(_PIX + r" (?:ENVIAD[OA]|ENVIO|PAGAMENTO|QRS?)\b"), "pix_sent"),
    (re.compile(_PIX + r" (?:RECEBID[OA]|RECEB(?:IMENTO)?)\b"), "pix_received"),
    (re.compile(r"^(?:TED|DOC|TEF) (?:ENVIAD[OA]|EMITID[OA]|PARA)\b"), "ted_sent"),
    (re.compile(r"^(?:TED|DOC|TEF) (?:RECEBID[OA]|CREDITO|DE)\b"), "ted_received"),
    (re.compile(r"^TRANSF(?:ERENCIA)? (?:ENVIADA|PARA|P/)\b"), "transfer_sent"),
    (re.compile(r"^TRANSF(?:ERENCIA)? (?:RECEBIDA|DE)\b"), "transfer_received"),
    (re.compile(r"^TRANSFER[EÊ]NCIA (?:ENVIADA|RECEBIDA)\b"), "transfer"),
)

# Wallets and acquirers that put their name before the merchant's.
_ACQUIRERS = {
    "IFD": "ifood",
    "IFOOD": "ifood",
    "PAG": None,
    "PG": None,
    "PAGSEGURO": "pagseguro",
    "MP": "mercado pago",
    "MERCADOPAGO": "mercado pago",
    "MERCPAGO": "mercado pago",
    "PP": "paypal",
    "PAYPAL": "paypal",
    "EC": None,
    "PICPAY": "picpay",
    "SUMUP": "sumup",
    "STONE": "stone",
    "CIELO": "cielo",
    "GETNET": "getnet",
    "ZP": None,
    "SQ": None,
    "EBN": None,
    "EBANX": "ebanx",
    "DL": None,
    "HNA": None,
}
_STAR = re.compile(r"^([A-Z0-9.]{1,14}) ?\* ?(.*)$")

_NOISE = (
    re.compile(r"\bPARC(?:ELA)?\.? ?\d{1,2} ?(?:/|DE) ?\d{1,2}\b"),  # PARCELA 3/10
    re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"),  # 03/12 (a date or an instalment)
    re.compile(r"\b\d{2}[.-]\d{2}(?:[.-]\d{2,4})?\b"),
    re.compile(r"\b(?:FINAL|CARTAO|CART|CARD)\s*\*{0,4}\s*\d{4}\b"),  # card suffixes
    re.compile(r"\*{2,}\d{4}\b"),
    re.compile(r"\b(?:COMPRA(?: CARTAO)?(?: DEB(?:ITO)?| CRED(?:ITO)?)?|DEB AUT|DEBITO AUT)\b"),
    re.compile(r"\b(?:PAG(?:TO|AMENTO)? (?:DE )?BOLETO|PAG BOLETO|BOLETO)\b"),
    re.compile(r"\bWWW\."),
)
_ANY_NOISE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern in _NOISE))
"""One pass for all of them, tried in that order at each position."""
_DOMAIN = re.compile(r"\.COM(?:\.BR)?\b")
"""``NETFLIX.COM`` is Netflix."""
_TRAILING_JUNK = re.compile(r"(?:\s+(?:BR|BRA|BRASIL|LTDA|S/?A|ME|EIRELI))+$")


@lru_cache(maxsize=1)
def _places() -> tuple[frozenset[str], int, frozenset[str]]:
    """The cities (whole and cut to 13 characters), their most words, the states."""
    data = json.loads(Path(__file__).with_name("places.json").read_text(encoding="utf-8"))
    # Terminals write the city in 13 characters: "RIO DE JANEIR", "BELO HORIZONT".
    cities = set(data["cities"]) | {city[:13].rstrip() for city in data["cities"]}
    longest = max(len(city.split()) for city in cities)
    return frozenset(cities), longest, frozenset(data["states"])


def _transfer(text: str) -> tuple[str | None, str]:
    for pattern, kind in _TRANSFERS:
        match = pattern.match(text)
        if match:
            rest = text[match.end() :].lstrip(" -:")
            return kind, rest
    return None, text


def _prefix(text: str) -> tuple[str | None, str]:
    match = _STAR.match(text)
    if match is None:
        return None, text
    head, rest = match.group(1), match.group(2).strip()
    if head in _ACQUIRERS:
        return _ACQUIRERS[head], rest or head
    # BRAND*DETAIL (MERCADOLIVRE*VENDEDOR, UBER *TRIP): the brand is the merchant.
    return None, head


def _city_tail(text: str) -> str:
    """Without the terminal's city and state at the end, when the rest still names something."""
    cities, longest, states = _places()
    words = text.split(" ")
    for size in range(min(longest, len(words) - 1), 0, -1):
        if " ".join(words[-size:]) in cities:
            words = words[:-size]
            break
    if len(words) > 2 and words[-1] in states:
        words = words[:-1]
    return " ".join(words)


_SMALL_WORDS = frozenset({"de", "da", "do", "das", "dos", "e", "di", "del"})


def _display(text: str) -> str:
    words = text.lower().split()
    return " ".join(
        word if (index and word in _SMALL_WORDS) else word[:1].upper() + word[1:]
        for index, word in enumerate(words)
    )
