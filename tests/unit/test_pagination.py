"""Cursors of keyset pagination: round trips, tampering and sort mismatches."""

from __future__ import annotations

import base64
import json
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.errors import InvalidInput
from shared.domain.pagination import Cursor, TransactionSort

sorts = st.sampled_from([sort.value for sort in TransactionSort])
uuids = st.uuids()
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))
amounts = st.decimals(
    min_value=Decimal("-999999999999.9999"),
    max_value=Decimal("999999999999.9999"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)


SOME_ID = "0b5e7c2a-4f1d-4c8e-9a3b-2d6f8e1c7a90"


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _issued(sort: TransactionSort, value: object) -> Cursor:
    return Cursor(sort=sort.value, value=str(value), id=uuid4())


# -- round trips -------------------------------------------------------------------------------


@given(sort=sorts, value=st.text(max_size=50), id_=uuids)
def test_given_any_cursor_when_encoded_and_decoded_then_it_is_the_same(sort, value, id_):
    cursor = Cursor(sort=sort, value=value, id=id_)
    assert Cursor.decode(cursor.encode(), expected_sort=sort) == cursor


@given(sort=sorts, value=st.text(max_size=50), id_=uuids)
def test_when_encoded_then_the_token_is_url_safe_without_padding(sort, value, id_):
    token = Cursor(sort=sort, value=value, id=id_).encode()
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@given(day=dates, id_=uuids, descending=st.booleans())
def test_given_a_date_cursor_then_its_sort_value_is_the_date(day, id_, descending):
    sort = TransactionSort.DATE_DESC if descending else TransactionSort.DATE_ASC
    token = Cursor(sort=sort.value, value=str(day), id=id_).encode()
    assert Cursor.decode(token, expected_sort=sort.value).sort_value() == day


@given(amount=amounts, id_=uuids, descending=st.booleans())
def test_given_an_amount_cursor_then_its_sort_value_is_the_exact_amount(amount, id_, descending):
    sort = TransactionSort.AMOUNT_DESC if descending else TransactionSort.AMOUNT_ASC
    token = Cursor(sort=sort.value, value=str(amount), id=id_).encode()
    value = Cursor.decode(token, expected_sort=sort.value).sort_value()
    assert isinstance(value, Decimal)
    assert value == amount


# -- sort order --------------------------------------------------------------------------------


@given(issued=sorts, expected=sorts, id_=uuids)
def test_given_a_cursor_of_one_sort_when_decoded_for_another_then_it_is_refused(
    issued, expected, id_
):
    token = Cursor(sort=issued, value="2026-01-01", id=id_).encode()
    if issued == expected:
        assert Cursor.decode(token, expected_sort=expected).sort == issued
    else:
        with pytest.raises(InvalidInput) as refused:
            Cursor.decode(token, expected_sort=expected)
        assert [issue.location for issue in refused.value.issues] == [("query", "cursor")]
        assert "sort" in refused.value.detail


def test_sort_fields_and_directions():
    assert [(sort.field, sort.descending) for sort in TransactionSort] == [
        ("booked_on", True),
        ("booked_on", False),
        ("amount", True),
        ("amount", False),
    ]


# -- tampering ---------------------------------------------------------------------------------


def _decode_or_refusal(token: str, expected_sort: str) -> Cursor | InvalidInput:
    """Decodes, and reads the sort value too: the two steps a request goes through."""
    try:
        cursor = Cursor.decode(token, expected_sort=expected_sort)
        cursor.sort_value()
    except InvalidInput as refused:
        return refused
    return cursor


def _is_cursor_or_refusal(outcome: Cursor | InvalidInput, expected_sort: str) -> bool:
    if isinstance(outcome, InvalidInput):
        return [issue.location for issue in outcome.issues] == [("query", "cursor")]
    return outcome.sort == expected_sort and isinstance(outcome.id, UUID)


@given(token=st.text(max_size=200), sort=sorts)
def test_given_any_text_when_decoded_then_it_is_a_cursor_or_invalid_input(token, sort):
    """Whatever a client sends, the answer is a cursor or InvalidInput, never another error."""
    assert _is_cursor_or_refusal(_decode_or_refusal(token, sort), sort)


@given(data=st.binary(max_size=200), sort=sorts)
def test_given_any_bytes_behind_base64_when_decoded_then_cursor_or_invalid_input(data, sort):
    token = base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert _is_cursor_or_refusal(_decode_or_refusal(token, sort), sort)


@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=10,
    ),
    sort=sorts,
)
def test_given_any_json_payload_when_decoded_then_cursor_or_invalid_input(payload, sort):
    assert _is_cursor_or_refusal(_decode_or_refusal(_token(payload), sort), sort)


@given(
    sort=sorts,
    value=st.text(max_size=20),
    id_=uuids,
    field=st.sampled_from(["s", "v", "id"]),
    replacement=st.none()
    | st.integers()
    | st.floats()
    | st.text(max_size=40)
    | st.lists(st.integers()),
)
def test_given_an_issued_cursor_with_one_field_replaced_then_cursor_or_invalid_input(
    sort, value, id_, field, replacement
):
    payload = {"s": sort, "v": value, "id": str(id_), field: replacement}
    assert _is_cursor_or_refusal(_decode_or_refusal(_token(payload), sort), sort)


@given(sort=sorts, value=st.text(max_size=20), id_=uuids, position=st.integers(min_value=0))
def test_given_a_token_with_one_character_changed_then_it_decodes_or_is_refused(
    sort, value, id_, position
):
    token = Cursor(sort=sort, value=value, id=id_).encode()
    index = position % len(token)
    replacement = "A" if token[index] != "A" else "B"
    tampered = token[:index] + replacement + token[index + 1 :]
    assert _is_cursor_or_refusal(_decode_or_refusal(tampered, sort), sort)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not a cursor",
        "!!!!",
        _token([1, 2, 3]),
        _token("a string"),
        _token({"s": "amount", "v": "1"}),
        _token({"s": "amount", "id": SOME_ID}),
        _token({"v": "1", "id": SOME_ID}),
        _token({"s": "amount", "v": "1", "id": "not-a-uuid"}),
        _token({"s": "amount", "v": "1", "id": 42}),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    ],
)
def test_given_a_malformed_cursor_when_decoded_then_invalid_input_at_cursor(token):
    with pytest.raises(InvalidInput) as refused:
        Cursor.decode(token, expected_sort="amount")
    assert [issue.location for issue in refused.value.issues] == [("query", "cursor")]


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        (TransactionSort.AMOUNT_ASC, "not-a-number"),
        (TransactionSort.AMOUNT_ASC, "NaN"),
        (TransactionSort.AMOUNT_DESC, "-Infinity"),
        (TransactionSort.AMOUNT_DESC, "1E+999999"),
        (TransactionSort.AMOUNT_ASC, "1000000000000"),
        (TransactionSort.AMOUNT_ASC, "0.00001"),
        (TransactionSort.DATE_DESC, "yesterday"),
        (TransactionSort.DATE_ASC, "2026-02-30"),
        (TransactionSort.DATE_ASC, ""),
    ],
)
def test_given_a_tampered_sort_value_then_sort_value_is_refused(sort, value):
    cursor = Cursor.decode(_issued(sort, value).encode(), expected_sort=sort.value)
    with pytest.raises(InvalidInput) as refused:
        cursor.sort_value()
    assert [issue.location for issue in refused.value.issues] == [("query", "cursor")]


@pytest.mark.parametrize(
    ("sort", "value", "expected"),
    [
        (TransactionSort.AMOUNT_ASC, "-42.5000", Decimal("-42.5")),
        (TransactionSort.AMOUNT_DESC, "999999999999.9999", Decimal("999999999999.9999")),
        (TransactionSort.AMOUNT_DESC, "0", Decimal(0)),
        (TransactionSort.DATE_ASC, "2026-03-31", date(2026, 3, 31)),
    ],
)
def test_given_issued_sort_values_then_they_parse_to_the_column_type(sort, value, expected):
    assert _issued(sort, value).sort_value() == expected
