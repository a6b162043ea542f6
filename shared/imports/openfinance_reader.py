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

Also reads what people export from Nubank's private API with tools such as pynubank:

* the card-events feed (``{"events": [...]}``, centavos, with Nubank's own category label);
* one card transaction's detail (``{"transaction": {...}}``, centavos);
* the NuConta (checking account) feed: the GraphQL answer
  ``{"data": {"viewer": {"savingsAccount": {"feed": [...]}}}}``, its paginated form (``feedItems``
  with ``edges[].node``, or one saved page ``{"pageInfo", "edges"}``), or the bare list of items.
  Items carry no sign: the direction comes from ``__typename`` (TransferOutEvent,
  BillPaymentEvent…), else the ``money-in``/``money-out`` tag, else the title ("Transferência
  enviada"…); the amount from ``amount`` (reais), else the "R$ 1.234,56" in ``detail`` or
  ``footer``. Failed and scheduled transfers moved no money and notices (welcome…) state none:
  they are not lines, and count only in ``rows_read``. An item with money but no known direction
  is a ``RowError``.

JSON numbers are parsed as ``Decimal``, never ``float``. An item that cannot be read becomes a
``RowError`` located by its 1-based item number and field; a payload that is not JSON or carries
no transactions array raises ``FileRejected``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
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
from .profiles import normalise_name

__all__ = ["read_open_finance"]

MAX_BYTES = 50 * 1024 * 1024
"""A transactions payload is paginated by the API; anything larger is not one."""

PROFILE_ACCOUNTS_V1 = "open_finance_accounts_v1"
PROFILE_ACCOUNTS_V2 = "open_finance_accounts_v2"
PROFILE_CREDIT_CARD = "open_finance_credit_card"
PROFILE_NUBANK_CARD_EVENTS = "nubank_card_events"
PROFILE_NUBANK_CARD_TRANSACTION = "nubank_card_transaction"
PROFILE_NUBANK_ACCOUNT_FEED = "nubank_account_feed"

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
    """Read an Open Finance Brasil transactions payload or a Nubank export (see above)."""
    payload = _load(data)
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        return _read_nubank_events(payload["events"])
    feed = _nubank_feed(payload)
    if feed is not None:
        return _read_nubank_feed(*feed)
    if isinstance(payload, dict) and "data" not in payload:
        transaction = payload.get("transaction")
        if isinstance(transaction, dict):
            return _read_nubank_card_transaction(transaction)
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


def _mcc(item: Mapping[str, Any], column: str = "payeeMCC") -> str | None:
    value = item.get(column)
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, int | str) else ""
    if isinstance(value, bool) or not text.isdigit() or len(text) > 4:
        raise _ItemError(column, value, "expected a merchant category code of up to 4 digits")
    return text.zfill(4)


# -- Nubank private API card events -------------------------------------------------------------


# Purchases are money out of the card account; bill payments are money in.
_NUBANK_SIGN = {"transaction": -1, "payment": 1}


def _read_each(
    statement: ParsedStatement,
    items: Sequence[object],
    read: Callable[[int, object], StatementLine | None],
) -> ParsedStatement:
    """Every item through ``read``; an item it refuses is a located error, one it passes over
    (None) is not a transaction."""
    for number, item in enumerate(items, start=1):
        try:
            line = read(number, item)
        except _ItemError as exc:
            statement.errors.append(_row_error(number, exc))
            continue
        if line is not None:
            statement.lines.append(line)
    return statement


def _read_nubank_events(events: list[Any]) -> ParsedStatement:
    statement = ParsedStatement(
        format=StatementFormat.OPEN_FINANCE,
        profile=PROFILE_NUBANK_CARD_EVENTS,
        account_hint=AccountHint.CREDIT_CARD,
        currency="BRL",
        rows_read=len(events),
    )
    return _read_each(statement, events, _read_nubank_event)


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
    reais = _centavos("amount", event.get("amount"))
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
        amount=sign * reais,
        currency="BRL",
        description=description or title or "",
        external_id=_optional_text(event, "id"),
        type="CARTAO" if category == "transaction" else "PAGAMENTO",
        status=status,
        category_hint=title if category == "transaction" else None,
    )


def _centavos(column: str, value: object) -> Decimal:
    """Nubank's card API counts whole centavos; the amount in reais."""
    centavos = _decimal(column, value)
    if centavos < 0 or centavos != centavos.to_integral_value():
        raise _ItemError(column, str(centavos), "expected a whole, unsigned number of centavos")
    return centavos.scaleb(-2)


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# -- Nubank private API: one card transaction's detail --------------------------------------------


def _read_nubank_card_transaction(transaction: dict[str, Any]) -> ParsedStatement:
    statement = ParsedStatement(
        format=StatementFormat.OPEN_FINANCE,
        profile=PROFILE_NUBANK_CARD_TRANSACTION,
        account_hint=AccountHint.CREDIT_CARD,
        currency="BRL",
        rows_read=1,
    )
    try:
        statement.lines.append(_read_card_transaction(transaction))
    except _ItemError as exc:
        statement.errors.append(_row_error(1, exc))
    return statement


def _read_card_transaction(transaction: Mapping[str, Any]) -> StatementLine:
    booked_on, booked_at = _parse_when("time", transaction.get("time"))
    reais = _centavos("amount", transaction.get("amount"))
    # As in the events feed, the purchase is one line with its whole amount: the id is the same
    # as the purchase event's, so importing both files does not count the purchase twice.
    _count("charges", transaction.get("charges"))
    description = next(
        (
            text
            for column in ("merchant_name", "original_merchant_name", "description")
            if (text := _optional_text(transaction, column))
        ),
        "",
    )
    return StatementLine(
        line=1,
        booked_on=booked_on,
        booked_at=booked_at,
        amount=-reais,
        currency="BRL",
        description=description,
        external_id=_optional_text(transaction, "id"),
        type="CARTAO",
        status="pending" if transaction.get("status") == "unsettled" else "booked",
        mcc=_mcc(transaction, "mcc"),
        category_hint=_optional_text(transaction, "category"),
    )


# -- Nubank private API: NuConta (checking account) feed ------------------------------------------

# Directions by GraphQL type, from the types pynubank queries and the importers built on it. A
# reversal gives back money that had gone out.
_FEED_SIGN = {
    "TransferInEvent": 1,
    "PixTransferInEvent": 1,
    "TransferOutReversalEvent": 1,
    "DebitPurchaseReversalEvent": 1,
    "RemoveFromReserveEvent": 1,
    "TransferOutEvent": -1,
    "PixTransferOutEvent": -1,
    "BarcodePaymentEvent": -1,
    "BillPaymentEvent": -1,
    "DebitPurchaseEvent": -1,
    "DebitWithdrawalEvent": -1,
    "DebitWithdrawalFeeEvent": -1,
    "AddToReserveEvent": -1,
}
_FEED_TYPE = {
    "PixTransferInEvent": "PIX",
    "PixTransferOutEvent": "PIX",
    "PixTransferOutReversalEvent": "PIX",
    "BarcodePaymentEvent": "BOLETO",
    "DebitPurchaseEvent": "CARTAO",
    "DebitPurchaseReversalEvent": "CARTAO",
    "DebitWithdrawalEvent": "SAQUE",
    "DebitWithdrawalFeeEvent": "TARIFA_SERVICOS_AVULSOS",
}
# Nubank moved Pix and other events to GenericFeedEvent, whose only clue is the title (compared
# without case or accents, by prefix). "Reembolso enviado" is a Pix sent back to its payer.
_FEED_TITLES: tuple[tuple[str, int, str | None], ...] = (
    ("transferencia enviada", -1, "PIX"),
    ("transferencia recebida", 1, "PIX"),
    ("reembolso enviado", -1, "PIX"),
    ("pagamento da fatura", -1, None),
    ("pagamento efetuado", -1, None),
    ("compra no debito", -1, "CARTAO"),
)
# The feed lists these with an amount, but the balance did not move (or has not moved yet).
_FEED_NO_MONEY_TYPES = frozenset({"PixTransferFailedEvent", "PixTransferScheduledEvent"})
_FEED_NO_MONEY_TITLES = ("transferencia falhou", "transferencia agendada")
_REAIS = re.compile(r"R\$\s*(\d{1,3}(?:\.\d{3})+|\d+),(\d{2})(?!\d)")
_CENT = Decimal("0.01")


def _nubank_feed(payload: Any) -> tuple[list[object], str | None] | None:
    """The items of a NuConta feed and the account id, or None when ``payload`` is not a feed."""
    if isinstance(payload, list):
        objects = [item for item in payload if isinstance(item, dict)]
        if objects and all("__typename" in o and "postDate" in o for o in objects):
            return list(payload), None
        return None
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("edges"), list) and "pageInfo" in payload:
        return _nodes(payload["edges"]), None
    viewer = _object(_object(payload.get("data")).get("viewer"))
    account = viewer.get("savingsAccount")
    if not isinstance(account, dict):
        return None
    account_id = account.get("id") if isinstance(account.get("id"), str) else None
    if isinstance(account.get("feed"), list):
        return list(account["feed"]), account_id
    edges = _object(account.get("feedItems")).get("edges")
    if isinstance(edges, list):
        return _nodes(edges), account_id
    raise FileRejected("the NuConta answer has no feed: no savingsAccount.feed or feedItems.edges")


def _nodes(edges: list[Any]) -> list[object]:
    """The items of a paginated feed; an edge without a node stays as its located error."""
    return [
        edge["node"]
        if isinstance(edge, dict) and isinstance(edge.get("node"), dict)
        else _ItemError("node", edge, "feed edge has no node object")
        for edge in edges
    ]


def _read_nubank_feed(items: list[object], account_id: str | None) -> ParsedStatement:
    statement = ParsedStatement(
        format=StatementFormat.OPEN_FINANCE,
        profile=PROFILE_NUBANK_ACCOUNT_FEED,
        account_hint=AccountHint.CHECKING,
        currency="BRL",
        account_id=account_id,
        rows_read=len(items),
    )
    return _read_each(statement, items, _read_feed_item)


def _read_feed_item(number: int, item: object) -> StatementLine | None:
    if isinstance(item, _ItemError):
        raise item
    if not isinstance(item, dict):
        raise _ItemError(None, item, "feed item is not a JSON object")
    typename = _optional_text(item, "__typename")
    title = _optional_text(item, "title")
    detail = _optional_text(item, "detail")
    key = normalise_name(title or "")
    if typename in _FEED_NO_MONEY_TYPES or key.startswith(_FEED_NO_MONEY_TITLES):
        return None
    sign, kind = _feed_direction(item, typename, key)
    amount = _feed_amount(item, detail)
    if sign is None:
        if amount is None:
            return None  # a notice (welcome, account news…): the feed states no money for it
        raise _ItemError(
            "__typename",
            typename or title,
            "a Nubank feed event with an amount but no known direction (money in or out?)",
        )
    if amount is None:
        raise _ItemError("amount", None, "no amount: neither 'amount' nor an R$ value in 'detail'")
    booked_on, _ = _parse_when("postDate", item.get("postDate"))
    rest = _without_amount(detail)
    who = _account_name(item) or rest
    return StatementLine(
        line=number,
        booked_on=booked_on,
        amount=sign * amount,
        currency="BRL",
        description=" - ".join(dict.fromkeys(part for part in (title, rest or who) if part)),
        external_id=_optional_text(item, "id"),
        type=kind,
        counterparty_name=who,
    )


def _feed_direction(
    item: Mapping[str, Any], typename: str | None, title_key: str
) -> tuple[int | None, str | None]:
    """Money in (1) or out (-1), and the Open Finance style type, as far as the item says."""
    if typename in _FEED_SIGN:
        # The title of a typed event says nothing more: a TransferOutEvent may be a TED.
        return _FEED_SIGN[typename], _FEED_TYPE.get(typename)
    title_sign, title_kind = next(
        ((sign, kind) for prefix, sign, kind in _FEED_TITLES if title_key.startswith(prefix)),
        (None, None),
    )
    kind = _FEED_TYPE.get(typename or "") or title_kind
    tags = item.get("tags")
    if isinstance(tags, list) and ("money-in" in tags) != ("money-out" in tags):
        return (1 if "money-in" in tags else -1), kind
    return title_sign, kind


def _feed_amount(item: Mapping[str, Any], detail: str | None) -> Decimal | None:
    """Reais, unsigned, from ``amount`` or else the one "R$ x,yy" in ``detail`` or ``footer``."""
    value = item.get("amount")
    column = "amount"
    if value is not None:
        amount = _decimal(column, value)
    else:
        for column, text in (("detail", detail), ("footer", _optional_text(item, "footer"))):
            found = _REAIS.findall(text or "")
            if len(found) > 1:
                raise _ItemError(column, text, "more than one R$ value: which is the amount?")
            if found:
                whole, cents = found[0]
                amount = Decimal(f"{whole.replace('.', '')}.{cents}")
                break
        else:
            return None
    if amount < 0:
        raise _ItemError(column, str(amount), "expected an unsigned amount")
    if amount != amount.quantize(_CENT):
        raise _ItemError(column, str(amount), "more than two decimal places for reais")
    return amount.quantize(_CENT)


def _without_amount(detail: str | None) -> str | None:
    """The detail without its "R$ x,yy": the counterparty, the payee or the bill it paid."""
    if detail is None:
        return None
    parts = (part.strip(" -–\t") for part in _REAIS.sub("", detail).splitlines())
    text = " - ".join(part for part in parts if part)
    return text or None


def _account_name(item: Mapping[str, Any]) -> str | None:
    for column in ("destinationAccount", "originAccount"):
        account = item.get(column)
        if account is None:
            continue
        name = account.get("name") if isinstance(account, dict) else account
        if not isinstance(name, str):
            raise _ItemError(f"{column}.name", name, "expected the account holder's name")
        if name.strip():
            return name.strip()
    return None
