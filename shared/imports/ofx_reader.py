"""OFX/QFX reader: SGML 1.x and XML 2.x statements as banks really send them.

A small tolerant tokenizer of our own rather than a library (docs/decisions.md): ofxtools is
GPL-3.0 and validates strictly (it rejects a BANKID longer than nine characters and blank lines
before the header), ofxparse pulls in BeautifulSoup and lxml for what is, here, a tag scanner.

What it copes with: a CHARSET header that lies (the bytes decide: valid UTF-8 is UTF-8, anything
else cp1252, then Latin-1), blank lines before the header, XML-style closing tags in SGML and
unclosed SGML leaves, empty tags, raw ``&`` and ``"`` in text, XML entities, dates with seconds,
milliseconds (``.XXX`` or ``:XXX``), time zones (``[-3:GMT]``, ``[-03:EST]``) and ``DDMMYY`` /
``DDMMYYYY`` oddities, comma decimals and padded amounts, and several statements (STMTRS and
CCSTMTRS) in one file.

``read_ofx_statements`` returns one ParsedStatement per statement in the file. ``read_ofx``
returns them merged into one: all lines and errors, with account id, account hint and currency
kept only when every statement agrees (else None/UNKNOWN; each line keeps its own currency), so
that nothing is dropped when a caller wants a single result.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal

from shared.domain.errors import InvalidInput
from shared.domain.money import is_currency, parse_amount
from shared.imports.model import (
    AccountHint,
    FileRejected,
    ParsedStatement,
    RowError,
    StatementFormat,
    StatementLine,
)

__all__ = ["read_ofx", "read_ofx_statements"]

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9_.\-]*)[^<>]*>")
_OFX_START = re.compile(r"<OFX\s*>", re.IGNORECASE)
_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|nbsp|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'", "nbsp": " "}
_SPACES = re.compile(r"\s+")
_DATE = re.compile(
    r"(?P<digits>\d{6,14})(?:[.:](?P<frac>\d{1,6}))?\s*"
    r"(?:\[\s*(?P<tz>[+-]?\d{1,2}(?:\.\d+)?)?\s*(?::\s*[A-Za-z]*)?\s*\])?"
)
_INSTALMENT = re.compile(r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})\s*$")
_TEXT_FIELDS = ("NAME", "MEMO")

# OFX TRNTYPE → Open Finance Brasil style. Generic types carry nothing the sign does not; types
# not listed are kept as the file wrote them.
_TYPES: dict[str, str | None] = {
    "CREDIT": None,
    "DEBIT": None,
    "OTHER": None,
    "DEP": "DEPOSITO",
    "DIRECTDEP": "DEPOSITO",
    "ATM": "SAQUE",
    "CASH": "SAQUE",
    "POS": "CARTAO",
    "FEE": "TARIFA_SERVICOS_AVULSOS",
    "SRVCHG": "TARIFA_SERVICOS_AVULSOS",
}

# Brazilian bank codes (COMPE) as OFX BANKID, for the profile when the file names no FI/ORG.
_BANKS = {
    "1": "Banco do Brasil",
    "33": "Santander",
    "77": "Banco Inter",
    "104": "Caixa",
    "237": "Bradesco",
    "260": "Nubank",
    "336": "C6 Bank",
    "341": "Itaú",
}

_ACCOUNT_TYPES = {
    "CHECKING": AccountHint.CHECKING,
    "SAVINGS": AccountHint.SAVINGS,
    "MONEYMRKT": AccountHint.SAVINGS,
    "CREDITLINE": AccountHint.CREDIT_CARD,
}


@dataclass(eq=False)
class _Element:
    name: str
    line: int
    text: str = ""
    children: list[_Element] = field(default_factory=list)

    def iter(self, name: str) -> Iterator[_Element]:
        """Descendants named ``name`` in document order, not descending into matches."""
        stack = list(reversed(self.children))
        while stack:
            node = stack.pop()
            if node.name == name:
                yield node
            else:
                stack.extend(reversed(node.children))

    def first(self, name: str) -> _Element | None:
        return next(self.iter(name), None)

    def value(self, name: str) -> str:
        node = self.first(name)
        return node.text if node is not None else ""


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def read_ofx_statements(data: bytes) -> list[ParsedStatement]:
    """Every bank and credit-card statement in an OFX/QFX file, in file order.

    Raises FileRejected when the file is not OFX or holds no statement at all.
    """
    text = _decode(data)
    start = _OFX_START.search(text)
    if start is None:
        raise FileRejected("not an OFX file: no <OFX> element")
    root = _parse(text, start.start())
    statements: list[tuple[_Element, bool]] = []
    for node in _walk(root):
        if node.name in ("STMTRS", "CCSTMTRS"):
            statements.append((node, node.name == "CCSTMTRS"))
    claimed = {id(t) for node, _ in statements for t in node.iter("STMTTRN")}
    orphans = [t for t in root.iter("STMTTRN") if id(t) not in claimed]
    if not statements:
        if not orphans:
            raise FileRejected("the OFX file holds no bank or credit-card statement")
        statements.append((root, False))
        orphans = []
    profile = _profile(root)
    results = []
    for index, (node, credit_card) in enumerate(statements):
        trns = list(node.iter("STMTTRN"))
        # Transactions that broken nesting left outside every statement go to the statement just
        # before them (or the first), never nowhere.
        next_line = statements[index + 1][0].line if index + 1 < len(statements) else None
        trns += [
            t
            for t in orphans
            if (t.line >= node.line or index == 0) and (next_line is None or t.line < next_line)
        ]
        trns.sort(key=lambda t: t.line)
        results.append(_statement(node, credit_card, trns, profile))
    return results


def read_ofx(data: bytes) -> ParsedStatement:
    """The file's statements merged into one ParsedStatement (see the module docstring)."""
    statements = read_ofx_statements(data)
    if len(statements) == 1:
        return statements[0]
    profiles = {s.profile for s in statements}
    hints = {s.account_hint for s in statements}
    currencies = {s.currency for s in statements}
    accounts = {s.account_id for s in statements}
    return ParsedStatement(
        format=StatementFormat.OFX,
        profile=profiles.pop() if len(profiles) == 1 else None,
        lines=sorted((line for s in statements for line in s.lines), key=lambda x: x.line),
        errors=sorted((e for s in statements for e in s.errors), key=lambda e: e.line),
        account_hint=hints.pop() if len(hints) == 1 else AccountHint.UNKNOWN,
        currency=currencies.pop() if len(currencies) == 1 else None,
        account_id=accounts.pop() if len(accounts) == 1 else None,
        rows_read=sum(s.rows_read for s in statements),
    )


# --------------------------------------------------------------------------------------------------
# Bytes → text → tree
# --------------------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise FileRejected("expected the file's bytes")
    raw = bytes(data)
    if not raw.strip():
        raise FileRejected("the file is empty")
    if b"\x00" in raw[:4096]:
        raise FileRejected("binary file (NUL bytes), not OFX")
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    # The CHARSET header is often wrong; the bytes decide.
    for encoding in ("utf-8", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _parse(text: str, start: int) -> _Element:
    """Build a tree, closing SGML leaves and tolerating missing or stray end tags."""
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]

    def line_of(pos: int) -> int:
        return bisect.bisect_right(newlines, pos - 1) + 1

    root = _Element("#document", line_of(start))
    stack: list[_Element] = [root]
    matches = list(_TAG.finditer(text, start))
    for i, match in enumerate(matches):
        closing, name = match.group(1) == "/", match.group(2).upper()
        if closing:
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].name == name:
                    del stack[depth:]
                    break
            continue
        # An aggregate never contains itself in OFX: a second <STMTTRN> closes the first.
        for depth in range(len(stack) - 1, 0, -1):
            if stack[depth].name == name:
                del stack[depth:]
                break
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = _clean(text[match.end() : end])
        element = _Element(name, line_of(match.start()), value)
        stack[-1].children.append(element)
        if not value:
            stack.append(element)  # an aggregate, or an empty leaf that its end tag will close
    return root


def _clean(raw: str) -> str:
    raw = raw.replace("<![CDATA[", "").replace("]]>", "")
    return _ENTITY.sub(_entity, raw).strip()


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if not name.startswith("#"):
        return _ENTITIES[name]
    code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
    return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code <= 0xDFFF else match.group(0)


def _walk(root: _Element) -> Iterator[_Element]:
    stack = list(reversed(root.children))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


# --------------------------------------------------------------------------------------------------
# Tree → statements
# --------------------------------------------------------------------------------------------------


def _profile(root: _Element) -> str | None:
    org = _collapse(root.value("ORG"))
    if org:
        return org
    bank_id = root.value("BANKID").strip().lstrip("0")
    return _BANKS.get(bank_id)


def _statement(
    node: _Element, credit_card: bool, trns: list[_Element], profile: str | None
) -> ParsedStatement:
    currency_text = node.value("CURDEF").strip().upper()
    currency = currency_text if is_currency(currency_text) else None
    account = node.first("CCACCTFROM" if credit_card else "BANKACCTFROM") or node
    account_id = account.value("ACCTID") or None
    if credit_card:
        hint = AccountHint.CREDIT_CARD
    else:
        hint = _ACCOUNT_TYPES.get(account.value("ACCTTYPE").strip().upper(), AccountHint.UNKNOWN)
    result = ParsedStatement(
        format=StatementFormat.OFX,
        profile=profile,
        account_hint=hint,
        currency=currency,
        account_id=account_id,
        rows_read=len(trns),
    )
    for trn in trns:
        outcome = _line(trn, currency)
        if isinstance(outcome, RowError):
            result.errors.append(outcome)
        else:
            result.lines.append(outcome)
    return result


def _line(trn: _Element, currency: str | None) -> StatementLine | RowError:
    raw_amount = trn.value("TRNAMT")
    if not raw_amount:
        return RowError(trn.line, "the transaction has no amount", column="TRNAMT")
    try:
        amount = _amount(raw_amount)
    except InvalidInput as exc:
        return RowError(trn.line, f"unreadable amount: {exc}", column="TRNAMT", raw=raw_amount)

    column = "DTPOSTED" if trn.value("DTPOSTED") else "DTUSER"
    raw_date = trn.value(column)
    if not raw_date:
        return RowError(trn.line, "the transaction has no date", column="DTPOSTED")
    parsed = _date(raw_date)
    if parsed is None:
        return RowError(trn.line, "unreadable date", column=column, raw=raw_date)
    booked_on, booked_at = parsed
    value_on = _date(trn.value("DTAVAIL")) if trn.value("DTAVAIL") else None

    name, memo = _collapse(trn.value("NAME")), _collapse(trn.value("MEMO"))
    raw_type = trn.value("TRNTYPE").strip()
    description = _describe(name, memo) or _collapse(trn.value("CHECKNUM")) or raw_type
    number, total = _instalment(memo or name)
    line_currency = trn.first("CURRENCY")
    if line_currency is not None and is_currency(line_currency.value("CURSYM").strip().upper()):
        currency = line_currency.value("CURSYM").strip().upper()
    return StatementLine(
        line=trn.line,
        booked_on=booked_on,
        booked_at=booked_at,
        value_on=value_on[0] if value_on else None,
        amount=amount,
        description=description,
        currency=currency,
        external_id=trn.value("FITID").strip() or None,
        type=_TYPES.get(raw_type.upper(), raw_type or None),
        counterparty_name=name or None,
        instalment_number=number,
        instalment_total=total,
    )


def _amount(raw: str) -> Decimal:
    text = raw.strip()
    # A single separator in an OFX amount is always the decimal one ("-25,00", "-9.9").
    separator = None
    if "," in text and "." not in text:
        separator = ","
    elif "." in text and "," not in text:
        separator = "."
    return parse_amount(text, decimal_separator=separator)


def _date(raw: str) -> tuple[date, time | None] | None:
    match = _DATE.fullmatch(raw.strip())
    if match is None:
        return None
    digits = match.group("digits")
    candidates: list[tuple[int, int, int, str]] = []
    if len(digits) >= 8:
        candidates.append((int(digits[:4]), int(digits[4:6]), int(digits[6:8]), digits[8:]))
        if len(digits) == 8:  # DDMMYYYY
            candidates.append((int(digits[4:]), int(digits[2:4]), int(digits[:2]), ""))
    elif len(digits) == 6:  # DDMMYY, then YYMMDD
        candidates.append((2000 + int(digits[4:]), int(digits[2:4]), int(digits[:2]), ""))
        candidates.append((2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]), ""))
    for year, month, day, clock in candidates:
        if not 1900 <= year <= 2100:
            continue
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        return found, _time(clock)
    return None


def _time(clock: str) -> time | None:
    if len(clock) not in (4, 6):
        return None
    hour, minute = int(clock[:2]), int(clock[2:4])
    second = int(clock[4:6]) if len(clock) == 6 else 0
    if hour > 23 or minute > 59 or second > 59 or (hour, minute, second) == (0, 0, 0):
        return None
    return time(hour, minute, second)


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _describe(name: str, memo: str) -> str:
    if not name or not memo:
        return name or memo
    if memo.casefold() in name.casefold():
        return name
    if name.casefold() in memo.casefold():
        return memo
    return f"{name} - {memo}"


def _instalment(text: str) -> tuple[int | None, int | None]:
    match = _INSTALMENT.search(text)
    if match is None:
        return None, None
    number, total = int(match.group(1)), int(match.group(2))
    if 1 <= number <= total and total >= 2:
        return number, total
    return None, None
