"""Open Finance Brasil transaction payloads (accounts and credit cards) as a ParsedStatement.

Reads the JSON a bank returns from ``GET /accounts/{v1,v2}/accounts/{id}/transactions`` or
``GET /credit-cards-accounts/{v1,v2}/accounts/{id}/transactions``: the API envelope
``{"data": [...], "links": ..., "meta": ...}`` or a bare list of transactions. Field names follow
the official OpenAPI documents (accounts 2.4.2 for ``AccountTransactionsData``):

* date: v2 ``transactionDateTime`` (ISO date-time with ``Z`` or an offset; the date and wall-clock
  time are taken in that offset) or v1 ``transactionDate`` (a date);
* amount: v2 ``transactionAmount`` ``{"amount": "1000.0400", "currency": "BRL"}``; v1 ``amount``
  (string or number) with ``transactionCurrency``; cards: ``brazilianAmount`` (what the bill
  charges in BRL) before ``amount``, each an object (v2) or a plain value with ``currency`` (v1);
* sign: ``creditDebitType`` CREDITO > 0, DEBITO < 0; amounts are unsigned in the API;
* status: ``completedAuthorisedPaymentType`` TRANSACAO_EFETIVADA → booked, LANCAMENTO_FUTURO and
  TRANSACAO_PROCESSANDO → pending (their ``transactionId`` may still change);
* cards (recognised by ``transactionType``, ``billId``, ``chargeIdentificator``, ``chargeNumber``,
  ``brazilianAmount``…): instalment n of m from ``chargeIdentificator`` / ``chargeNumber``,
  ``payeeMCC`` as the MCC.

Also reads the card-events feed of Nubank's private API (``{"events": [...]}``, centavos, with
Nubank's own category label), which people export with tools such as pynubank.

JSON numbers are parsed as ``Decimal``, never ``float``. An item that cannot be read becomes a
``RowError`` located by its 1-based item number and field; a payload that is not JSON or carries
no transactions array raises ``FileRejected``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from shared.domain.money import is_currency

from .model import (
    AccountHint,
    FileRejected,
    ParsedStatement,
    RowError,
    StatementFormat,
    StatementLine,
)

__all__ = ["read_open_finance"]

MAX_BYTES = 50 * 1024 * 1024
"""A transactions payload is paginated by the API; anything larger is not one."""

PROFILE_ACCOUNTS_V1 = "open_finance_accounts_v1"
PROFILE_ACCOUNTS_V2 = "open_finance_accounts_v2"
PROFILE_CREDIT_CARD = "open_finance_credit_card"
PROFILE_NUBANK_CARD_EVENTS = "nubank_card_events"

_STATUS = {
    "TRANSACAO_EFETIVADA": "booked",
    "LANCAMENTO_FUTURO": "pending",
    "TRANSACAO_PROCESSANDO": "pending",
}
_SIGN = {"CREDITO": 1, "DEBITO": -1}
_CARD_FIELDS = frozenset(
    {
        "transactionType",
        "billId",
        "billPostDate",
        "chargeIdentificator",
        "chargeNumber",
        "brazilianAmount",
        "payeeMCC",
        "identificationNumber",
        "paymentType",
    }
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?"
)
_AMOUNT_TEXT = re.compile(r"[+-]?\d{1,15}(\.\d{1,8})?")
_MAX_DIGITS = 15
_MAX_TEXT = 500

# Nubank card-event categories that are notices, not money movements (a bill closing carries the
# bill total as "amount", which is not a transaction of its own).
_NUBANK_NOTICES = frozenset(
    {"welcome", "card_activated", "card_blocked", "rewards_signup", "customer_invitations"}
)


class _ItemError(Exception):
    def __init__(self, column: str | None, raw: object, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.raw = raw
        self.reason = reason


def read_open_finance(data: bytes) -> ParsedStatement:
    """Read an Open Finance Brasil transactions payload (or a Nubank card-events feed)."""
    payload = _load(data)
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        return _read_nubank_events(payload["events"])
    items = _transactions(payload)
    statement = ParsedStatement(format=StatementFormat.OPEN_FINANCE, profile=None)
    statement.rows_read = len(items)
    saw_card = saw_account = saw_v2 = False
    for number, item in enumerate(items, start=1):
        try:
            if not isinstance(item, dict):
                raise _ItemError(None, item, "item is not a JSON object")
            card = _is_card(item)
            statement.lines.append(_read_item(number, item, card=card))
        except _ItemError as exc:
            statement.errors.append(_row_error(number, exc))
            continue
        saw_card |= card
        saw_account |= not card
        saw_v2 |= "transactionDateTime" in item
    if saw_card and not saw_account:
        statement.account_hint = AccountHint.CREDIT_CARD
        statement.profile = PROFILE_CREDIT_CARD
    elif saw_account:
        statement.profile = PROFILE_ACCOUNTS_V2 if saw_v2 else PROFILE_ACCOUNTS_V1
    statement.currency = _single_currency(statement.lines)
    return statement


# -- file level ---------------------------------------------------------------------------------


def _load(data: bytes) -> Any:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise FileRejected("expected the file's bytes")
    raw = bytes(data)
    if len(raw) > MAX_BYTES:
        raise FileRejected(f"file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise FileRejected("file is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected(f"not UTF-8 JSON (invalid byte at offset {exc.start})") from exc
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FileRejected(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    except (ValueError, RecursionError) as exc:
        # ValueError: NaN/Infinity or an integer too long to convert; RecursionError: nesting.
        raise FileRejected(f"not a usable JSON document: {exc}") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _transactions(payload: Any) -> list[Any]:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        data = payload.get("data")
        if isinstance(data, list):
            return data
        if isinstance(data, dict) and isinstance(data.get("transactions"), list):
            transactions: list[Any] = data["transactions"]
            return transactions
        raise FileRejected("JSON object has no transactions array under 'data'")
    raise FileRejected("JSON document is neither a transactions array nor an API envelope")


def _single_currency(lines: list[StatementLine]) -> str | None:
    currencies = {line.currency for line in lines}
    return currencies.pop() if len(currencies) == 1 else None


def _row_error(number: int, exc: _ItemError) -> RowError:
    return RowError(line=number, column=exc.column, raw=_raw_text(exc.raw), reason=exc.reason)


def _raw_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except (ValueError, TypeError, RecursionError):
            text = repr(value)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


# -- one Open Finance item ----------------------------------------------------------------------


def _is_card(item: Mapping[str, Any]) -> bool:
    return any(name in item for name in _CARD_FIELDS)


def _read_item(number: int, item: Mapping[str, Any], *, card: bool) -> StatementLine:
    booked_on, booked_at = _when(item)
    sign = _credit_debit(item)
    amount, currency = _amount(item, card=card)
    if amount < 0:
        if sign > 0:
            raise _ItemError("amount", str(amount), "negative amount on a CREDITO transaction")
        amount = -amount  # a signed DEBITO amount says the same thing twice
    type_field = "transactionType" if card and "transactionType" in item else "type"
    instalment_number, instalment_total = _instalments(item) if card else (None, None)
    kind = _optional_text(item, type_field)
    return StatementLine(
        line=number,
        booked_on=booked_on,
        booked_at=booked_at,
        amount=sign * amount,
        currency=currency,
        description=_optional_text(item, "transactionName") or kind or "",
        external_id=_external_id(item),
        type=kind.upper() if kind else None,
        counterparty_document=_document(item),
        status=_status(item),
        instalment_number=instalment_number,
        instalment_total=instalment_total,
        mcc=_mcc(item) if card else None,
    )


def _when(item: Mapping[str, Any]) -> tuple[date, time | None]:
    for column in ("transactionDateTime", "transactionDate"):
        if column in item:
            return _parse_when(column, item[column])
    raise _ItemError("transactionDateTime", None, "missing transactionDateTime/transactionDate")


def _parse_when(column: str, value: object) -> tuple[date, time | None]:
    if not isinstance(value, str):
        raise _ItemError(column, value, "date is not a string")
    text = value.strip()
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text), None
        if _DATETIME.fullmatch(text):
            moment = datetime.fromisoformat(text)
            # The date and wall-clock time where the offset says the transaction happened.
            return moment.date(), moment.time()
    except ValueError as exc:
        raise _ItemError(column, value, f"not a valid date: {exc}") from exc
    raise _ItemError(column, value, "expected an ISO date (YYYY-MM-DD) or date-time")


def _credit_debit(item: Mapping[str, Any]) -> int:
    value = item.get("creditDebitType")
    if isinstance(value, str) and value.strip().upper() in _SIGN:
        return _SIGN[value.strip().upper()]
    reason = "missing" if value is None else "expected CREDITO or DEBITO"
    raise _ItemError("creditDebitType", value, f"creditDebitType {reason}")


def _amount(item: Mapping[str, Any], *, card: bool) -> tuple[Decimal, str]:
    if card and item.get("brazilianAmount") is not None:
        return _money("brazilianAmount", item["brazilianAmount"], "BRL", "brazilianAmount")
    for column in ("transactionAmount", "amount"):
        if item.get(column) is not None:
            currency_column = "transactionCurrency" if "transactionCurrency" in item else "currency"
            # Open Finance Brasil accounts are BRL accounts; the currency is stated when it is not.
            return _money(column, item[column], item.get(currency_column, "BRL"), currency_column)
    raise _ItemError("transactionAmount", None, "missing transactionAmount/amount")


def _money(
    column: str, value: object, currency: object, currency_column: str
) -> tuple[Decimal, str]:
    """An amount object ``{"amount", "currency"}`` or a plain value with a separate currency."""
    if isinstance(value, dict):
        currency = value.get("currency", currency)
        currency_column = f"{column}.currency"
        value = value.get("amount")
        column = f"{column}.amount"
    amount = _decimal(column, value)
    if not isinstance(currency, str) or not is_currency(currency.strip().upper()):
        raise _ItemError(currency_column, currency, "not an ISO 4217 currency code")
    return amount, currency.strip().upper()


def _decimal(column: str, value: object) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise _ItemError(column, value, "amount is missing or not a number")
    if isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _AMOUNT_TEXT.fullmatch(text):
            raise _ItemError(column, value, "amount is not a plain decimal such as '1000.04'")
        value = Decimal(text)
    if not isinstance(value, Decimal):
        raise _ItemError(column, value, "amount is not a number")
    if not value.is_finite() or value.adjusted() >= _MAX_DIGITS:
        raise _ItemError(column, str(value), "amount is out of range")
    return value


def _optional_text(item: Mapping[str, Any], column: str) -> str | None:
    value = item.get(column)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _ItemError(column, value, "expected text")
    return value.strip() or None


def _external_id(item: Mapping[str, Any]) -> str | None:
    value = item.get("transactionId")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _optional_text(item, "transactionId")


def _document(item: Mapping[str, Any]) -> str | None:
    text = _optional_text(item, "partieCnpjCpf")
    if text is None:
        return None
    digits = re.sub(r"[.\-/\s]", "", text)
    if not digits.isdigit() or len(digits) not in (11, 14):
        raise _ItemError("partieCnpjCpf", text, "expected a CPF (11 digits) or CNPJ (14 digits)")
    return digits


def _status(item: Mapping[str, Any]) -> str:
    value = item.get("completedAuthorisedPaymentType")
    if value is None:
        return "booked"
    if isinstance(value, str) and value.strip().upper() in _STATUS:
        return _STATUS[value.strip().upper()]
    raise _ItemError(
        "completedAuthorisedPaymentType",
        value,
        "expected TRANSACAO_EFETIVADA, LANCAMENTO_FUTURO or TRANSACAO_PROCESSANDO",
    )


def _count(column: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _ItemError(column, value, "expected a whole number")
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 4:
        value = int(value.strip())
    if not isinstance(value, int) or not 0 <= value <= 999:
        raise _ItemError(column, value, "expected a whole number of instalments")
    return value


def _instalments(item: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """``chargeIdentificator`` names the instalment ("3", "PARCELA_3", "3/10"), ``chargeNumber``
    the number of instalments."""
    total = _count("chargeNumber", item.get("chargeNumber"))
    raw = item.get("chargeIdentificator")
    number: int | None = None
    if isinstance(raw, str) and raw.strip():
        match = re.fullmatch(r"\D{0,20}?(\d{1,3})(?:\s*(?:/|de|of)\s*(\d{1,3}))?", raw.strip())
        if match is None:
            raise _ItemError("chargeIdentificator", raw, "expected the instalment number")
        number = int(match.group(1))
        if match.group(2) is not None and total is None:
            total = int(match.group(2))
    elif raw is not None and not isinstance(raw, str):
        number = _count("chargeIdentificator", raw)
    if total is not None and total <= 1 and number in (None, 1):
        return None, None  # paid in one go ("à vista")
    if number is not None and total is not None and not 1 <= number <= total:
        raise _ItemError("chargeIdentificator", raw, f"instalment {number} of {total}")
    return number, total


def _mcc(item: Mapping[str, Any]) -> str | None:
    value = item.get("payeeMCC")
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, int | str) else ""
    if isinstance(value, bool) or not text.isdigit() or len(text) > 4:
        raise _ItemError("payeeMCC", value, "expected a merchant category code of up to 4 digits")
    return text.zfill(4)


# -- Nubank private API card events -------------------------------------------------------------


# Purchases are money out of the card account; bill payments are money in.
_NUBANK_SIGN = {"transaction": -1, "payment": 1}


def _read_nubank_events(events: list[Any]) -> ParsedStatement:
    statement = ParsedStatement(
        format=StatementFormat.OPEN_FINANCE,
        profile=PROFILE_NUBANK_CARD_EVENTS,
        account_hint=AccountHint.CREDIT_CARD,
        currency="BRL",
        rows_read=len(events),
    )
    for number, event in enumerate(events, start=1):
        try:
            line = _read_nubank_event(number, event)
        except _ItemError as exc:
            statement.errors.append(_row_error(number, exc))
            continue
        if line is not None:
            statement.lines.append(line)
    return statement


def _read_nubank_event(number: int, event: object) -> StatementLine | None:
    if not isinstance(event, dict):
        raise _ItemError(None, event, "event is not a JSON object")
    category = event.get("category")
    if not isinstance(category, str):
        raise _ItemError("category", category, "missing event category")
    sign = _NUBANK_SIGN.get(category)
    if sign is None:
        if category.startswith("bill_flow") or category in _NUBANK_NOTICES:
            return None  # a notice about the bill or the card, not a money movement
        raise _ItemError("category", category, "unknown Nubank event category")
    booked_on, booked_at = _parse_when("time", event.get("time"))
    centavos = _decimal("amount", event.get("amount"))
    if centavos < 0 or centavos != centavos.to_integral_value():
        raise _ItemError("amount", str(centavos), "expected a whole, unsigned number of centavos")
    details = _object(event.get("details"))
    # A purchase event carries the whole amount and how many bills it is split over, not which
    # instalment it is: it is not "n of m", so no instalment is stated (the domain needs both).
    _count("details.charges.count", _object(details.get("charges")).get("count"))
    status = "pending" if details.get("status") == "unsettled" else "booked"
    title = event.get("title") if isinstance(event.get("title"), str) else None
    description = _optional_text(event, "description")
    return StatementLine(
        line=number,
        booked_on=booked_on,
        booked_at=booked_at,
        amount=sign * centavos.scaleb(-2),
        currency="BRL",
        description=description or title or "",
        external_id=_optional_text(event, "id"),
        type="CARTAO" if category == "transaction" else "PAGAMENTO",
        status=status,
        category_hint=title if category == "transaction" else None,
    )


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
