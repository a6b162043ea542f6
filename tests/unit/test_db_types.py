"""Column types that must behave the same on SQLite as on PostgreSQL (in-memory SQLite here)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.exc import StatementError

from shared.db.types import Money, UTCDateTime

metadata = MetaData()
ledger = Table(
    "ledger",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", Money()),
    Column("at", UTCDateTime()),
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    built = create_engine("sqlite://")
    metadata.create_all(built)
    yield built
    built.dispose()


@pytest.fixture(autouse=True)
def _empty(engine: Engine) -> Iterator[None]:
    yield
    with engine.begin() as connection:
        connection.execute(ledger.delete())


def _store(engine: Engine, **values: object) -> int:
    with engine.begin() as connection:
        key = connection.execute(insert(ledger).values(**values)).inserted_primary_key
    return int(key[0])


def _read(engine: Engine, column: str, key: int) -> object:
    with engine.connect() as connection:
        return connection.execute(select(ledger.c[column]).where(ledger.c.id == key)).scalar_one()


def _raw(engine: Engine, column: str, key: int) -> object:
    with engine.connect() as connection:
        return connection.execute(
            text(f"SELECT {column}, typeof({column}) FROM ledger WHERE id = :id"), {"id": key}
        ).one()


# -- Money -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "stored"),
    [
        (Decimal("-1234.56"), -12345600),
        (Decimal("0.10"), 1000),
        (Decimal("1.234"), 12340),
        (Decimal("0.0001"), 1),
        (Decimal("999999999999.9999"), 9999999999999999),
        (Decimal(0), 0),
        (7, 70000),
    ],
)
def test_given_money_on_sqlite_then_it_is_stored_as_an_integer_of_ten_thousandths(
    engine, amount, stored
):
    key = _store(engine, amount=amount)
    assert tuple(_raw(engine, "amount", key)) == (stored, "integer")


@given(
    amount=st.decimals(
        min_value=Decimal("-999999999999.9999"),
        max_value=Decimal("999999999999.9999"),
        places=4,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_given_any_amount_with_up_to_four_decimals_then_it_reads_back_exactly(engine, amount):
    key = _store(engine, amount=amount)
    read = _read(engine, "amount", key)
    assert isinstance(read, Decimal)
    assert read == amount


def test_given_stored_money_then_sql_compares_and_sums_it_as_the_amount(engine):
    for amount in ("-0.01", "0.10", "-1234.56", "2.5"):
        _store(engine, amount=Decimal(amount))
    with engine.connect() as connection:
        ordered = connection.execute(select(ledger.c.amount).order_by(ledger.c.amount)).scalars()
        assert list(ordered) == [Decimal(v) for v in ("-1234.56", "-0.01", "0.10", "2.5")]
        over = connection.execute(
            select(ledger.c.amount).where(ledger.c.amount > Decimal("0.09"))
        ).scalars()
        assert sorted(over) == [Decimal("0.10"), Decimal("2.5")]


def test_given_a_null_amount_then_it_reads_back_as_none(engine):
    assert _read(engine, "amount", _store(engine, amount=None)) is None


@pytest.mark.parametrize("amount", [0.1, 1.0, True, "1.00"])
def test_when_money_is_not_a_decimal_then_it_is_refused(engine, amount):
    with pytest.raises(StatementError) as refused:
        _store(engine, amount=amount)
    assert isinstance(refused.value.orig, TypeError)


@pytest.mark.parametrize("amount", ["0.00001", "-1.23456", "1E-5"])
def test_when_money_has_more_than_four_decimals_then_it_is_refused(engine, amount):
    with pytest.raises(StatementError) as refused:
        _store(engine, amount=Decimal(amount))
    assert isinstance(refused.value.orig, ValueError)


def test_when_a_refused_amount_is_written_then_nothing_is_stored(engine):
    with pytest.raises(StatementError):
        _store(engine, amount=0.1)
    with engine.connect() as connection:
        assert connection.execute(select(ledger.c.id)).all() == []


def test_given_trailing_zeros_beyond_four_places_then_the_amount_is_accepted(engine):
    key = _store(engine, amount=Decimal("1.230000"))
    assert _read(engine, "amount", key) == Decimal("1.23")


# -- UTCDateTime -------------------------------------------------------------------------------


def test_given_an_aware_utc_datetime_then_it_reads_back_equal_and_in_utc(engine):
    moment = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    read = _read(engine, "at", _store(engine, at=moment))
    assert read == moment
    assert read.tzinfo is not None  # type: ignore[union-attr]
    assert read.utcoffset() == timedelta(0)  # type: ignore[union-attr]


def test_given_another_offset_then_it_is_stored_as_the_same_instant_in_utc(engine):
    sao_paulo = timezone(timedelta(hours=-3))
    moment = datetime(2026, 3, 1, 21, 0, tzinfo=sao_paulo)
    read = _read(engine, "at", _store(engine, at=moment))
    assert read == moment
    assert read == datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    assert read.utcoffset() == timedelta(0)  # type: ignore[union-attr]


@given(
    moment=st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(2199, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=9))]
        ),
    )
)
def test_given_any_aware_datetime_then_the_instant_survives(engine, moment):
    read = _read(engine, "at", _store(engine, at=moment))
    assert read == moment
    assert read.utcoffset() == timedelta(0)  # type: ignore[union-attr]


def test_when_a_naive_datetime_is_written_then_it_is_refused(engine):
    with pytest.raises(StatementError) as refused:
        _store(engine, at=datetime(2026, 3, 1, 12, 0))
    assert isinstance(refused.value.orig, ValueError)
    assert "naive" in str(refused.value.orig)


def test_given_a_naive_value_in_the_database_then_it_is_read_as_utc(engine):
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO ledger (id, at) VALUES (99, '2026-03-01 12:00:00.000000')")
        )
    assert _read(engine, "at", 99) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_given_a_null_datetime_then_it_reads_back_as_none(engine):
    assert _read(engine, "at", _store(engine, at=None)) is None
