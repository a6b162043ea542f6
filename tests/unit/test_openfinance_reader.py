"""Open Finance Brasil payloads: fixtures for each API shape, located errors, then fuzzing."""

from __future__ import annotations

import json
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.imports.model import (
    AccountHint,
    FileRejected,
    ParsedStatement,
    RowError,
    StatementFormat,
    StatementLine,
)
from shared.imports.openfinance_reader import read_open_finance

FIXTURES = Path(__file__).parent.parent / "fixtures" / "statements" / "openfinance"


def read(name: str) -> ParsedStatement:
    return read_open_finance((FIXTURES / name).read_bytes())


def by_id(statement: ParsedStatement) -> dict[str | None, StatementLine]:
    return {line.external_id: line for line in statement.lines}


def item(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "transactionId": "T1",
        "completedAuthorisedPaymentType": "TRANSACAO_EFETIVADA",
        "creditDebitType": "DEBITO",
        "transactionName": "PIX ENVIADO",
        "type": "PIX",
        "transactionAmount": {"amount": "10.00", "currency": "BRL"},
        "transactionDateTime": "2024-05-01T10:00:00.000Z",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def payload(*items: object) -> bytes:
    return json.dumps({"data": list(items), "links": {}, "meta": {}}).encode()


# -- accounts v2 ---------------------------------------------------------------------------------


def test_accounts_v2_envelope() -> None:
    statement = read("accounts_transactions_v2.json")
    assert statement.format is StatementFormat.OPEN_FINANCE
    assert statement.profile == "open_finance_accounts_v2"
    assert statement.account_hint is AccountHint.UNKNOWN
    assert statement.currency == "BRL"
    assert statement.rows_read == 5
    assert statement.errors == []
    assert [line.line for line in statement.lines] == [1, 2, 3, 4, 5]
    assert sum(line.amount for line in statement.lines) == Decimal("4972.17")
    assert all(isinstance(line.amount, Decimal) for line in statement.lines)

    pix = by_id(statement)["TXpRMU9UQTROMWhZV2xSU1FUazJSMDl"]
    assert pix.amount == Decimal("1500.00")
    assert pix.type == "PIX"
    assert pix.description == "PIX RECEBIDO MARIA LIMA"
    assert pix.counterparty_document == "43908445778"
    assert pix.booked_on == date(2024, 3, 1)
    assert pix.booked_at == time(12, 29, 3, 374000)
    assert pix.status == "booked"


def test_v2_datetime_is_read_in_its_own_offset() -> None:
    ted = by_id(read("accounts_transactions_v2.json"))["TED-2024-0002"]
    # 23:45 in São Paulo is already the 2nd in UTC; the statement shows the local day.
    assert ted.booked_on == date(2024, 3, 1)
    assert ted.booked_at == time(23, 45)
    assert ted.amount == Decimal("-2300.5000")
    assert ted.counterparty_document == "21128159000166"


def test_formatted_cnpj_is_reduced_to_digits() -> None:
    folha = by_id(read("accounts_transactions_v2.json"))["FOLHA-5"]
    assert folha.counterparty_document == "11222333000181"
    assert folha.type == "FOLHA_PAGAMENTO"


@pytest.mark.parametrize(
    ("transaction_id", "status"),
    [
        ("TXpRMU9UQTROMWhZV2xSU1FUazJSMDl", "booked"),
        ("BOLETO-FUT-3", "pending"),
        ("TARIFA-4", "pending"),
    ],
)
def test_future_and_processing_are_pending(transaction_id: str, status: str) -> None:
    assert by_id(read("accounts_transactions_v2.json"))[transaction_id].status == status


# -- accounts v1 ---------------------------------------------------------------------------------


def test_accounts_v1_amount_string_or_number_with_transaction_currency() -> None:
    statement = read("accounts_transactions_v1.json")
    assert statement.profile == "open_finance_accounts_v1"
    assert statement.errors == []
    lines = by_id(statement)
    assert lines["V1-0001"].amount == Decimal("-200.00")
    assert lines["V1-0001"].booked_on == date(2021, 1, 7)
    assert lines["V1-0001"].booked_at is None
    # A JSON number is read as Decimal, so 1000.04 stays exactly 1000.04.
    assert lines["V1-0002"].amount == Decimal("1000.04")
    assert lines["V1-0002"].currency == "BRL"
    assert lines["V1-0003"].status == "pending"
    assert lines["V1-0003"].type == "CONVENIO_ARRECADACAO"


def test_bare_list_is_accepted() -> None:
    statement = read_open_finance(json.dumps([item(), item(transactionId="T2")]).encode())
    assert [line.external_id for line in statement.lines] == ["T1", "T2"]


def test_utf8_bom_is_accepted() -> None:
    statement = read_open_finance(b"\xef\xbb\xbf" + payload(item()))
    assert len(statement.lines) == 1


def test_empty_data_is_an_empty_statement() -> None:
    statement = read_open_finance(payload())
    assert statement.lines == []
    assert statement.errors == []
    assert statement.rows_read == 0


def test_signed_debit_amount_is_not_negated_twice() -> None:
    statement = read_open_finance(
        payload(item(transactionAmount={"amount": "-10.00", "currency": "BRL"}))
    )
    assert statement.lines[0].amount == Decimal("-10.00")


# -- credit cards --------------------------------------------------------------------------------


def test_credit_card_transactions() -> None:
    statement = read("credit_card_transactions_v2.json")
    assert statement.account_hint is AccountHint.CREDIT_CARD
    assert statement.profile == "open_finance_credit_card"
    assert statement.errors == []
    lines = by_id(statement)

    furniture = lines["CC-0001"]
    assert furniture.amount == Decimal("-250.00")
    assert (furniture.instalment_number, furniture.instalment_total) == (3, 10)
    assert furniture.mcc == "5712"
    assert furniture.type == "OPERACOES_CREDITO_CONTRATADAS_CARTAO"

    # Bought in USD, billed in BRL: the bill's amount is the one that counts.
    foreign = lines["CC-0002"]
    assert foreign.amount == Decimal("-31.45")
    assert foreign.currency == "BRL"
    assert (foreign.instalment_number, foreign.instalment_total) == (None, None)

    payment = lines["CC-0003"]
    assert payment.amount == Decimal("1200.00")
    assert payment.type == "PAGAMENTO"

    pharmacy = lines["CC-0004"]
    assert (pharmacy.instalment_number, pharmacy.instalment_total) == (2, 3)
    assert pharmacy.mcc == "5912"


def test_instalment_beyond_total_is_a_located_error() -> None:
    card = item(chargeIdentificator="4", chargeNumber=3, billId="B1", transactionType="OUTROS")
    statement = read_open_finance(payload(card))
    assert statement.lines == []
    assert statement.errors == [
        RowError(line=1, column="chargeIdentificator", raw="4", reason="instalment 4 of 3")
    ]


# -- bad items -----------------------------------------------------------------------------------


def test_bad_items_are_located_and_good_ones_kept() -> None:
    statement = read("bad_items.json")
    assert statement.rows_read == 9
    assert [line.external_id for line in statement.lines] == ["OK-1", "OK-9"]
    located = [(e.line, e.column, e.raw) for e in statement.errors]
    assert located == [
        (2, "transactionDateTime", "2024-02-30T10:00:00.000Z"),
        (3, "transactionAmount.amount", "1.234,56"),
        (4, "creditDebitType", "C"),
        (5, None, "not an object"),
        (6, "completedAuthorisedPaymentType", "CANCELADA"),
        (7, "transactionAmount.currency", "REAIS"),
        (8, "transactionDateTime", None),
    ]
    assert all(e.reason for e in statement.errors)
    assert len(statement.lines) + len(statement.errors) == statement.rows_read


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"transactionAmount": {"amount": True, "currency": "BRL"}}, "transactionAmount.amount"),
        ({"transactionAmount": {"amount": "1e5", "currency": "BRL"}}, "transactionAmount.amount"),
        (
            {"transactionAmount": {"amount": "9" * 30, "currency": "BRL"}},
            "transactionAmount.amount",
        ),
        ({"transactionAmount": None}, "transactionAmount"),
        ({"transactionDateTime": 20240501}, "transactionDateTime"),
        ({"transactionDateTime": "01/05/2024"}, "transactionDateTime"),
        ({"creditDebitType": None}, "creditDebitType"),
        ({"partieCnpjCpf": "123"}, "partieCnpjCpf"),
        ({"transactionName": ["x"]}, "transactionName"),
        (
            {
                "transactionAmount": {"amount": "-1.00", "currency": "BRL"},
                "creditDebitType": "CREDITO",
            },
            "amount",
        ),
    ],
)
def test_each_bad_field_is_named(overrides: dict[str, Any], column: str) -> None:
    statement = read_open_finance(payload(item(**overrides)))
    assert statement.lines == []
    [error] = statement.errors
    assert (error.line, error.column) == (1, column)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"\x00\x01\x02binary junk\xff",
        b"PK\x03\x04\x14\x00\x00\x00",
        b"date,title,amount\n2024-01-01,x,1.00\n",
        b'{"data": {"viewer": {}}}',
        b'{"links": {}, "meta": {}}',
        b'"just a string"',
        b"42",
        b"null",
        b'{"data": [NaN]}',
        b"[" * 100_000,
        b'{"data": [' + b"9" * 5000 + b"]}",
    ],
)
def test_unreadable_files_are_rejected(data: bytes) -> None:
    with pytest.raises(FileRejected) as info:
        read_open_finance(data)
    assert info.value.reason


# -- Nubank private API card events ----------------------------------------------------------------


def test_nubank_card_events() -> None:
    statement = read("nubank_card_events.json")
    assert statement.profile == "nubank_card_events"
    assert statement.account_hint is AccountHint.CREDIT_CARD
    lines = by_id(statement)
    assert set(lines) == {"nu-ev-1", "nu-ev-2", "nu-ev-3"}  # the bill-closed notice is no money
    assert lines["nu-ev-1"].amount == Decimal("-18.50")
    assert lines["nu-ev-1"].category_hint == "restaurante"
    assert lines["nu-ev-2"].status == "pending"
    # The purchase in 4 charges is one event with the whole amount: not "n of 4".
    assert (lines["nu-ev-2"].instalment_number, lines["nu-ev-2"].instalment_total) == (None, None)
    assert lines["nu-ev-3"].amount == Decimal("500.00")
    assert statement.errors == [
        RowError(line=5, column="amount", raw=None, reason="amount is missing or not a number")
    ]


# -- Nubank private API: one card transaction's detail ---------------------------------------------


def card_transaction(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "tx-1",
        "category": "casa",
        "amount": 45990,
        "time": "2024-05-04T14:30:00Z",
        "charges": 3,
        "merchant_name": "Loja de Móveis",
        "original_merchant_name": "LOJA MOVEIS*SP",
        "mcc": "5712",
        "status": "settled",
        "charges_list": [{"amount": 15330, "index": 1, "post_date": "2024-06-10"}],
    }
    base.update(overrides)
    return {"transaction": {k: v for k, v in base.items() if v is not None}}


def test_nubank_card_transaction_detail_is_one_purchase() -> None:
    statement = read_open_finance(json.dumps(card_transaction()).encode())
    assert statement.profile == "nubank_card_transaction"
    assert statement.account_hint is AccountHint.CREDIT_CARD
    assert statement.rows_read == 1
    assert statement.errors == []
    [line] = statement.lines
    # Centavos; the whole purchase, like the card-events feed, under the same id.
    assert line.amount == Decimal("-459.90")
    assert (line.booked_on, line.booked_at) == (date(2024, 5, 4), time(14, 30))
    assert line.description == "Loja de Móveis"
    assert (line.external_id, line.mcc, line.category_hint) == ("tx-1", "5712", "casa")
    assert (line.instalment_number, line.instalment_total) == (None, None)
    assert line.status == "booked"


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"amount": 12.5}, "amount"),
        ({"amount": -100}, "amount"),
        ({"time": None}, "time"),
        ({"mcc": "12345"}, "mcc"),
        ({"charges": "muitas"}, "charges"),
    ],
)
def test_nubank_card_transaction_bad_field_is_named(overrides: dict[str, Any], column: str) -> None:
    statement = read_open_finance(json.dumps(card_transaction(**overrides)).encode())
    assert statement.lines == []
    [error] = statement.errors
    assert (error.line, error.column) == (1, column)


# -- Nubank private API: NuConta feed --------------------------------------------------------------


def test_nubank_account_feed() -> None:
    statement = read("nubank_account_feed.json")
    assert statement.format is StatementFormat.OPEN_FINANCE
    assert statement.profile == "nubank_account_feed"
    assert statement.account_hint is AccountHint.CHECKING
    assert statement.account_id == "5f3c2a10-nuconta-0001"
    assert statement.currency == "BRL"
    assert statement.errors == []
    assert statement.rows_read == 10
    # Item 1 is the welcome notice and item 4 a failed transfer: no money moved for either.
    assert [line.line for line in statement.lines] == [2, 3, 5, 6, 7, 8, 9, 10]
    lines = by_id(statement)
    assert "feed-07" not in lines
    assert "feed-10" not in lines

    sent = lines["feed-01"]
    assert sent.amount == Decimal("-1234.56")
    assert sent.booked_on == date(2024, 6, 3)
    assert sent.description == "Transferência enviada - Oficina Rápida"
    assert sent.counterparty_name == "Oficina Rápida"
    # A JSON number is read as Decimal: 2500 and 845.1 become exact reais.
    assert lines["feed-02"].amount == Decimal("2500.00")
    assert lines["feed-02"].description == "Transferência recebida - ACME Tecnologia Ltda"
    assert lines["feed-03"].amount == Decimal("-845.10")
    assert lines["feed-03"].description == "Pagamento da fatura - Cartão Nubank"
    assert (lines["feed-04"].amount, lines["feed-04"].type) == (Decimal("-189.90"), "BOLETO")
    # GenericFeedEvent: no amount field; the title gives the direction, the detail the value.
    assert (lines["feed-05"].amount, lines["feed-05"].type) == (Decimal("-150.00"), "PIX")
    assert lines["feed-05"].counterparty_name == "Maria Souza"
    assert lines["feed-06"].amount == Decimal("75.50")
    assert (lines["feed-08"].amount, lines["feed-08"].type) == (Decimal("-23.40"), "CARTAO")
    # A reversed transfer gives the money back.
    assert lines["feed-09"].amount == Decimal("300.00")
    assert all(line.status == "booked" and line.booked_at is None for line in statement.lines)
    assert sum(line.amount for line in statement.lines) == Decimal("432.54")


def test_nubank_account_feed_as_a_bare_list() -> None:
    payload = json.loads((FIXTURES / "nubank_account_feed.json").read_text())
    feed = payload["data"]["viewer"]["savingsAccount"]["feed"]
    statement = read_open_finance(json.dumps(feed).encode())
    assert statement.profile == "nubank_account_feed"
    assert statement.account_id is None
    assert [line.external_id for line in statement.lines] == [
        line.external_id for line in read("nubank_account_feed.json").lines
    ]


def test_nubank_account_feed_saved_page_uses_tags_and_footer() -> None:
    statement = read("nubank_account_feed_page.json")
    assert statement.profile == "nubank_account_feed"
    assert statement.rows_read == 3
    assert statement.errors == []
    lines = by_id(statement)
    assert set(lines) == {"page-1", "page-2"}  # page-3 is a failed transfer
    # No __typename and an unknown title: the money-in tag decides.
    assert lines["page-2"].amount == Decimal("1000.00")
    assert lines["page-2"].description == "Resgate RDB - Caixinha Viagem"
    assert lines["page-1"].amount == Decimal("-400.00")
    assert lines["page-1"].counterparty_name == "JOAO DA SILVA"


def test_nubank_account_feed_graphql_paginated_answer() -> None:
    node = {"id": "n1", "title": "Transferência recebida", "detail": "ANA\nR$ 12,00"}
    edges = [{"cursor": "c1", "node": {**node, "postDate": "2024-07-03"}}, {"cursor": "c2"}]
    answer = {"data": {"viewer": {"savingsAccount": {"id": "acc", "feedItems": {"edges": edges}}}}}
    statement = read_open_finance(json.dumps(answer).encode())
    assert statement.account_id == "acc"
    assert [(line.external_id, line.amount) for line in statement.lines] == [
        ("n1", Decimal("12.00"))
    ]
    assert [(e.line, e.column) for e in statement.errors] == [(2, "node")]


def feed(*items: object) -> bytes:
    return json.dumps({"data": {"viewer": {"savingsAccount": {"feed": list(items)}}}}).encode()


def feed_item(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "f1",
        "__typename": "TransferOutEvent",
        "title": "Transferência enviada",
        "detail": "Fulano - R$ 10,00",
        "postDate": "2024-06-01",
        "amount": 10.0,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        # Money, but neither the type nor the title says which way it went.
        ({"__typename": "MysteryEvent", "title": "Novidade"}, "__typename"),
        (
            {"__typename": "GenericFeedEvent", "title": "Pagamento recebido", "amount": None},
            "__typename",
        ),
        ({"amount": None, "detail": "Fulano"}, "amount"),
        ({"amount": None, "detail": "R$ 10,00 de R$ 20,00"}, "detail"),
        ({"amount": -10}, "amount"),
        ({"amount": 10.005}, "amount"),
        ({"amount": "R$ 10,00"}, "amount"),
        ({"postDate": "01/06/2024"}, "postDate"),
        ({"postDate": None}, "postDate"),
        ({"title": 7}, "title"),
        ({"destinationAccount": {"name": 5}}, "destinationAccount.name"),
    ],
)
def test_each_bad_feed_field_is_named(overrides: dict[str, Any], column: str) -> None:
    statement = read_open_finance(feed(feed_item(**overrides)))
    assert statement.lines == []
    [error] = statement.errors
    assert (error.line, error.column) == (1, column)
    assert error.reason


def test_feed_item_that_is_not_an_object_is_located() -> None:
    statement = read_open_finance(feed(feed_item(), "oops"))
    assert [line.line for line in statement.lines] == [1]
    assert [(e.line, e.column, e.raw) for e in statement.errors] == [(2, None, "oops")]


def test_feed_notice_without_money_is_not_a_line_nor_an_error() -> None:
    notice = {"id": "n", "__typename": "CardShippedEvent", "title": "Cartão enviado"}
    statement = read_open_finance(feed(notice, feed_item()))
    assert [line.external_id for line in statement.lines] == ["f1"]
    assert statement.errors == []
    assert statement.rows_read == 2


@pytest.mark.parametrize(
    "data",
    [
        b'{"data": {"viewer": {"savingsAccount": {"id": "acc"}}}}',
        b'{"data": {"viewer": {"savingsAccount": {"feed": null}}}}',
    ],
)
def test_nuconta_answer_without_a_feed_is_rejected(data: bytes) -> None:
    with pytest.raises(FileRejected, match="no feed"):
        read_open_finance(data)


# -- properties ----------------------------------------------------------------------------------


def assert_well_formed(statement: ParsedStatement) -> None:
    assert isinstance(statement, ParsedStatement)
    assert len(statement.lines) + len(statement.errors) <= statement.rows_read
    for line in statement.lines:
        assert isinstance(line.amount, Decimal)
        assert line.amount.is_finite()
        assert 1 <= line.line <= statement.rows_read
        assert line.status in {"booked", "pending"}
    for error in statement.errors:
        assert 1 <= error.line <= statement.rows_read
        assert error.reason


def outcome(data: bytes) -> None:
    try:
        statement = read_open_finance(data)
    except FileRejected as exc:
        reason = exc.reason
        assert reason
    else:
        assert_well_formed(statement)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
field_names = st.sampled_from(
    [
        *sorted(item()),
        "chargeNumber",
        "chargeIdentificator",
        "billId",
        "brazilianAmount",
        "payeeMCC",
        "amount",
        "transactionDate",
        "partieCnpjCpf",
    ]
)


@given(st.binary(max_size=2000))
def test_random_bytes_only_parse_or_reject(data: bytes) -> None:
    outcome(data)


@given(json_values)
def test_random_json_only_parse_or_reject(value: Any) -> None:
    outcome(json.dumps(value).encode())
    outcome(json.dumps({"data": value}).encode())
    outcome(json.dumps({"events": value}).encode())
    outcome(json.dumps({"transaction": value}).encode())
    outcome(json.dumps({"data": {"viewer": {"savingsAccount": {"feed": value}}}}).encode())
    outcome(json.dumps({"pageInfo": {}, "edges": value}).encode())


feed_field_names = st.sampled_from(
    [*sorted(feed_item()), "tags", "footer", "originAccount", "destinationAccount"]
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(feed_field_names, json_values, max_size=4), max_size=5))
def test_mutated_feed_items_only_parse_or_reject(mutations: list[dict[str, Any]]) -> None:
    outcome(feed(*({**feed_item(id=f"f{i}"), **m} for i, m in enumerate(mutations))))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(field_names, json_values, max_size=4), max_size=5))
def test_mutated_items_only_parse_or_reject(mutations: list[dict[str, Any]]) -> None:
    items = [{**item(transactionId=f"T{i}"), **m} for i, m in enumerate(mutations)]
    outcome(payload(*items))


@given(st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.json"))), st.data())
def test_mutated_fixture_bytes_only_parse_or_reject(name: str, data: st.DataObject) -> None:
    raw = bytearray((FIXTURES / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 5))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    outcome(bytes(raw))
