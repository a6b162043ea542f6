"""The detector measured on held-out demo households, and how the measurement counts."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ml.anomalies.evaluate import Truth, evaluate_anomalies, score_blind, score_kinds
from ml.anomalies.train import train_anomalies
from ml.households import households
from shared.anomalies import Anomaly, AnomalyKind
from shared.anomalies.thresholds import Thresholds, load_thresholds
from shared.demo.generator import DemoHousehold
from shared.demo.models import AnomalyKind as DemoKind
from shared.demo.models import DemoTransaction


def test_the_demo_labels_and_the_detector_name_the_same_kinds() -> None:
    assert {str(kind) for kind in DemoKind} == {str(kind) for kind in AnomalyKind}


def test_on_held_out_households_the_detector_beats_the_zscore_baseline_on_every_kind() -> None:
    report = evaluate_anomalies(households(50, 24).held_out)
    assert report.households == 10
    assert all(report.labelled[kind] > 0 for kind in AnomalyKind)
    assert report.overall_f1 >= 0.9
    assert report.overall_f1 > report.zscore_f1 + 0.5
    for kind in AnomalyKind:
        assert report.detector.kinds[kind].f1 > report.zscore.kinds[kind].f1, kind
    table = report.table()
    assert table.count("\n") == len(AnomalyKind) + 2
    assert json.dumps(report.as_dict())


def _household(*lines: DemoTransaction) -> DemoHousehold:
    return DemoHousehold(0, "Família Teste", "Ana", "ana@example.com", (), tuple(lines))


def _line(ident: str, day: int, kind: DemoKind | None = None) -> DemoTransaction:
    return DemoTransaction(
        "card", date(2026, 5, day), Decimal("-10"), "X", "X", "supermarket", "CARTAO", ident,
        anomaly=kind,
    )  # fmt: skip


def _flag(kind: AnomalyKind, ident: str) -> Anomaly:
    return Anomaly(kind, ident, date(2026, 5, 1), 1.0, "")


def test_a_card_spike_counts_once_however_many_of_its_purchases_are_flagged() -> None:
    truth = Truth.of(
        _household(
            _line("s1", 3, DemoKind.CARD_SPIKE),
            _line("s2", 3, DemoKind.CARD_SPIKE),
            _line("usual", 3),
            _line("d", 9, DemoKind.DUPLICATE),
            _line("other", 12),
        )
    )
    scores = score_kinds(
        truth,
        [
            _flag(AnomalyKind.CARD_SPIKE, "usual"),  # the burst's day: right
            _flag(AnomalyKind.CARD_SPIKE, "s2"),  # the same burst again: not twice
            _flag(AnomalyKind.CARD_SPIKE, "other"),  # a day without a burst: wrong
            _flag(AnomalyKind.OUTLIER, "d"),  # the wrong kind: wrong, and the duplicate missed
        ],
    )
    spike, duplicate, outlier = (
        scores.kinds[AnomalyKind.CARD_SPIKE],
        scores.kinds[AnomalyKind.DUPLICATE],
        scores.kinds[AnomalyKind.OUTLIER],
    )
    assert (spike.tp, spike.fp, spike.fn) == (1, 1, 0)
    assert (duplicate.tp, duplicate.fn) == (0, 1)
    assert (outlier.tp, outlier.fp) == (0, 1)
    assert scores.overall.precision == pytest.approx(1 / 3)
    blind = score_blind(truth, [_flag(AnomalyKind.OUTLIER, "d")])
    assert blind.kinds[AnomalyKind.DUPLICATE].tp == 1
    assert blind.overall.fp == 0


def test_training_writes_thresholds_the_detector_reads(tmp_path: Path) -> None:
    train = households(10, 12).train[:3]
    document = train_anomalies(train, tmp_path)
    written = json.loads((tmp_path / "anomalies.json").read_text())
    assert written == document
    assert written["data"]["households"] == 3
    assert set(written["search"]) == {str(kind) for kind in AnomalyKind}
    loaded = load_thresholds(tmp_path / "anomalies.json")
    assert loaded == Thresholds.from_json(written["thresholds"])
