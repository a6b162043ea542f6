"""Recurring series against what the demo generator scheduled, on households no threshold was
tuned on (the held-out split every model is measured on)."""

from __future__ import annotations

from functools import lru_cache

from ml.households import households
from ml.recurring import RecurringReport, evaluate_recurring, next_occurrence_accuracy, true_series
from shared.demo.models import DemoHousehold


@lru_cache(maxsize=1)
def held_out() -> tuple[DemoHousehold, ...]:
    return households(15, 24).held_out


def test_the_truth_holds_what_a_household_pays_every_month() -> None:
    truth = true_series(held_out()[0])

    labels = " ".join(series.label for series in truth)
    assert len(truth) >= 12
    assert "salary" in labels
    assert "card_payment" in labels
    assert {series.cadence for series in truth} >= {"monthly", "yearly"}


def test_series_precision_and_recall_on_held_out_households() -> None:
    report: RecurringReport = evaluate_recurring(held_out())

    assert report.households == 3
    assert report.true >= 40
    assert report.precision >= 0.95, report.false_alarms
    assert report.recall >= 0.95, report.misses
    assert report.line_precision >= 0.95
    assert report.line_recall >= 0.95


def test_the_next_charge_comes_on_the_expected_day() -> None:
    exact_day, _, checked = next_occurrence_accuracy(held_out())

    assert checked >= 30
    assert exact_day >= 0.9


def test_missing_lines_and_late_card_postings_cost_little() -> None:
    report = evaluate_recurring(held_out(), perturbed=True)

    assert report.precision >= 0.95, report.false_alarms
    assert report.recall >= 0.9, report.misses
