"""What a person who asked for anomalies reads, in each language."""

from __future__ import annotations

from events.registry import payload
from events.samples import samples
from shared.domain.notification_templates import period_key, render
from shared.domain.notifications import PREFERENCE_EVENTS, Language


def test_an_anomaly_is_worded_from_its_evidence_in_portuguese_and_english() -> None:
    data = payload(samples()["AnomalyDetected"])

    portuguese = render("AnomalyDetected", data, Language.PT_BR)
    english = render("AnomalyDetected", data, Language.EN)

    assert portuguese.subject == "Transação incomum: iFood"
    assert portuguese.short == (
        "Fluxo: Cobrança repetida: R$ 42,50 em iFood, igual à de 3 de dezembro de 2026."
    )
    assert "3 de dezembro de 2026" in portuguese.text
    assert english.subject == "Unusual transaction: iFood"
    assert english.short == (
        "Fluxo: Repeated charge: R$42.50 at iFood, the same as on December 3, 2026."
    )


def test_an_anomaly_is_announced_once_per_transaction_and_kind() -> None:
    data = payload(samples()["AnomalyDetected"])
    assert period_key(data) == f"anomaly:{data.model_dump()['transaction_id']}:duplicate"
    assert "AnomalyDetected" in PREFERENCE_EVENTS
