"""Notification rules without a database: templates and locale formatting, quiet hours across
midnight and time zones, phone numbers, endpoints and the retry backoff."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.budgets import BudgetExceeded, BudgetThresholdReached
from shared.domain.notification_templates import TEMPLATES, money, period_key, render
from shared.domain.notifications import (
    NOTIFIED_EVENT_TYPES,
    Language,
    QuietHours,
    is_endpoint_arn,
    is_phone,
    language_for,
    retry_delay,
)


def _alert(model: type, **overrides: object) -> BudgetThresholdReached:
    values: dict[str, object] = {
        "budget_id": uuid4(),
        "name": "Mercado",
        "category_id": None,
        "currency": "BRL",
        "period_start": date(2026, 12, 1),
        "period_end": date(2026, 12, 31),
        "threshold": 80,
        "limit": Decimal("1500.00"),
        "spent": Decimal("1234.56"),
        "percentage": Decimal("82.3"),
        **overrides,
    }
    return model(**values)  # type: ignore[no-any-return]


def test_every_alert_has_a_template_in_both_languages():
    assert set(TEMPLATES) == {(e, lang) for e in NOTIFIED_EVENT_TYPES for lang in Language}


def test_money_follows_the_locale():
    assert money(Decimal("1234.56"), "BRL", Language.PT_BR) == "R$ 1.234,56"
    assert money(Decimal("1234.56"), "BRL", Language.EN) == "R$1,234.56"
    assert money(Decimal("-5"), "USD", Language.EN) == "-$5.00"


def test_a_threshold_in_portuguese():
    rendered = render("BudgetThresholdReached", _alert(BudgetThresholdReached), Language.PT_BR)
    assert rendered.subject == "Orçamento Mercado: 80% do limite atingido"
    assert rendered.text == (
        "Você já gastou R$ 1.234,56 de R$ 1.500,00 no orçamento Mercado no período de "
        "1 de dezembro de 2026 a 31 de dezembro de 2026 e atingiu o alerta de 80%."
    )
    assert rendered.short == "Fluxo: Mercado chegou a 80% do limite (R$ 1.234,56 de R$ 1.500,00)."


def test_an_excess_in_english():
    alert = _alert(BudgetExceeded, threshold=100, limit=Decimal("1000"), spent=Decimal("1234.56"))
    rendered = render("BudgetExceeded", alert, Language.EN)
    assert rendered.subject == "Budget Mercado exceeded"
    assert rendered.text == (
        "You have spent R$1,234.56 in the budget Mercado for December 1, 2026 to "
        "December 31, 2026, R$234.56 over the limit of R$1,000.00."
    )
    assert "\u00a0" not in rendered.text + rendered.short


def test_the_period_key_is_budget_period_and_threshold():
    alert = _alert(BudgetThresholdReached)
    assert period_key(alert) == f"budget:{alert.budget_id}:2026-12-01:80"


@pytest.mark.parametrize(
    ("locale", "language"),
    [("pt-BR", Language.PT_BR), ("pt-PT", Language.PT_BR), ("en-US", Language.EN), ("es", "en")],
)
def test_the_language_comes_from_the_profiles_locale(locale, language):
    assert language_for(locale) == language


NIGHT = QuietHours(time(22), time(7))


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (time(21, 59), False),
        (time(22), True),
        (time(23, 59), True),
        (time(0), True),
        (time(6, 59), True),
        (time(7), False),
        (time(12), False),
    ],
)
def test_quiet_hours_across_midnight(moment, quiet):
    assert NIGHT.contains(moment) is quiet


def test_quiet_hours_within_a_day():
    lunch = QuietHours(time(12), time(13, 30))
    assert lunch.contains(time(12, 15))
    assert not lunch.contains(time(13, 30))


def test_sending_resumes_at_the_end_of_the_night_in_the_persons_time_zone():
    # 02:00 UTC on 6 Dec is 23:00 on 5 Dec in São Paulo (UTC-3): resume at 07:00 local, 10:00 UTC.
    now = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    assert NIGHT.resume_at(now, "America/Sao_Paulo") == datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    # The same instant is 03:00 in Lisbon (UTC+0 in winter): quiet too, resume at 07:00 UTC.
    assert NIGHT.resume_at(now, "Europe/Lisbon") == datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
    # And 11:00 in Tokyo: not quiet.
    assert NIGHT.resume_at(now, "Asia/Tokyo") is None


def test_after_midnight_resumes_the_same_morning():
    now = datetime(2026, 12, 6, 4, 30, tzinfo=UTC)  # 01:30 in São Paulo
    assert NIGHT.resume_at(now, "America/Sao_Paulo") == datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def test_a_daylight_saving_change_overnight_is_followed():
    # New York leaves DST on 1 Nov 2026: 23:00 EDT (UTC-4) → 07:00 EST (UTC-5) is 9 hours.
    now = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)  # 23:00 EDT on 31 Oct
    assert NIGHT.resume_at(now, "America/New_York") == datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_resuming_is_always_after_now_and_outside_the_window(naive):
    now = naive.replace(tzinfo=UTC)
    resume = NIGHT.resume_at(now, "America/Sao_Paulo")
    if resume is not None:
        assert now < resume <= now + timedelta(hours=9)
        assert NIGHT.resume_at(resume, "America/Sao_Paulo") is None


def test_quiet_hours_need_a_window():
    with pytest.raises(ValueError, match="different"):
        QuietHours(time(7), time(7))


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("+5511987654321", True),
        ("+14155550123", True),
        ("5511987654321", False),
        ("+0511987654321", False),
        ("+55 11 98765-4321", False),
        ("+551", False),
        ("+5511987654321000", False),
    ],
)
def test_phone_numbers_are_e164(number, valid):
    assert is_phone(number) is valid


def test_only_platform_endpoints_are_push_targets():
    endpoint = "arn:aws:sns:sa-east-1:123456789012:endpoint/APNS/fluxo-ios/" + str(uuid4())
    assert is_endpoint_arn(endpoint)
    assert not is_endpoint_arn("arn:aws:sns:sa-east-1:123456789012:alarms")


def test_the_backoff_doubles_and_is_capped():
    assert [retry_delay(n, 60).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(30, 60) == timedelta(days=1)
