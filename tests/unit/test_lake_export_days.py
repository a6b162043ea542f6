"""Which days the lake export writes, and where: the schedule's last seven complete days, a
re-run's range, and keys the Glue table's projection finds."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.analytics.lake_export import _range
from shared.analytics.lake_export import DAILY_AGGREGATIONS, day_key, days, recent
from stacks.constructs.lake import DAILY_AGGREGATIONS as LAKE_PREFIX

SCHEDULED = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events"}


def test_the_schedule_exports_the_seven_days_up_to_yesterday():
    assert _range(SCHEDULED, date(2026, 12, 5)) == (date(2026, 11, 28), date(2026, 12, 4))


def test_a_rerun_names_its_days():
    assert _range({"since": "2026-11-01", "until": "2026-11-30"}, date(2026, 12, 5)) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    assert _range({"since": "2026-11-01"}, date(2026, 12, 5)) == (
        date(2026, 11, 1),
        date(2026, 11, 1),
    )


@given(st.dates(min_value=date(2000, 1, 8)), st.integers(min_value=1, max_value=60))
def test_recent_days_are_complete_and_end_yesterday(today, count):
    since, until = recent(today, count)
    chosen = days(since, until)
    assert len(chosen) == count
    assert chosen[-1] < today
    assert (today - chosen[-1]).days == 1


def test_a_backwards_range_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        days(date(2026, 11, 2), date(2026, 11, 1))


def test_a_days_key_is_a_hive_partition_under_the_prefix_the_stacks_grant():
    assert DAILY_AGGREGATIONS == LAKE_PREFIX
    assert day_key(date(2026, 1, 9)) == (
        "processed/daily_aggregations/date=2026-01-09/part-00000.parquet"
    )
