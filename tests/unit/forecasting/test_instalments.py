"""Instalments from a statement's columns or a line's wording: the parts of a purchase, never a
date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from shared.anomalies.detector import is_instalment, purchase_size
from shared.forecasting.instalments import instalment_of
from shared.forecasting.lines import InvalidLine, Line


def _line(description: str, booked_on: date = date(2026, 10, 5)) -> Line:
    return Line(
        id="1",
        booked_on=booked_on,
        amount=Decimal("-100.00"),
        account_id="card",
        account_kind="credit_card",
        description=description,
    )


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("PARCELA 3/10 MAGAZINE LUIZA", (3, 10)),
        ("PARC 03/12 CASAS BAHIA", (3, 12)),
        ("PARC.2 DE 6 FAST SHOP", (2, 6)),
        ("LOJA X 03/10", None),  # the purchase's date, two days before the booking
        ("LOJA X 04/08", (4, 8)),
        ("COMPRA CARTAO 25/12 LOJA X", None),
        ("COMPRA 05/10 UBER", None),
        ("PARC 11/10 LOJA", None),  # a part after the last is no instalment
        ("NETFLIX.COM", None),
    ],
)
def test_the_parts_of_a_purchase_and_not_a_date(
    description: str, expected: tuple[int, int] | None
) -> None:
    assert instalment_of(_line(description)) == expected


def test_an_instalment_is_judged_as_the_whole_purchase_and_a_dated_line_as_itself() -> None:
    assert purchase_size(_line("PARC 03/12 CASAS BAHIA")) == 1200.0
    assert purchase_size(_line("COMPRA CARTAO 25/12 LOJA X")) == 100.0
    assert not is_instalment(_line("COMPRA CARTAO 25/12 LOJA X"))


def test_the_statements_columns_win_over_the_wording() -> None:
    assert instalment_of(replace(_line("MAGAZINE LUIZA"), instalment=(2, 5))) == (2, 5)
    # "03/10" two days before the booking reads as a date; the columns say it is part 5 of 10.
    assert instalment_of(replace(_line("LOJA X 03/10"), instalment=(5, 10))) == (5, 10)


def test_instalment_columns_travel_in_the_payload_and_bad_ones_are_refused_where_they_are() -> None:
    planned = replace(_line("MAGAZINE LUIZA"), instalment=(2, 5))
    document = planned.to_json()
    assert (document["instalment_number"], document["instalment_total"]) == (2, 5)
    assert Line.from_json(document) == planned
    assert "instalment_number" not in _line("NETFLIX.COM").to_json()
    for number, total in ((3, None), (0, 5), (6, 5), (1, 1), ("2", 5), (True, 5)):
        with pytest.raises(InvalidLine) as raised:
            Line.from_json({**document, "instalment_number": number, "instalment_total": total})
        assert raised.value.where == "lines[0].instalment_number"
