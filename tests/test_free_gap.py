"""The one answer to "is there a free lunch break in this inspector's day?" (models.free_gap),
shared by the checker, the greedy, the hint and the redundant cuts, against a minute-by-minute count."""
from __future__ import annotations

from datetime import date

from hypothesis import given, strategies as st

from models import Settings
from models.inspection import free_gap, minutes_covered

periods = st.lists(st.tuples(st.integers(0, 120), st.integers(1, 60)).map(lambda p: (p[0], p[0] + p[1])),
                   max_size=5)


def brute_force(busy, window_start, window_end, length):
    for start in range(window_start, window_end - length + 1):
        if all(e <= start or b >= start + length for b, e in busy):
            return start
    return None


@given(periods, st.integers(0, 60), st.integers(0, 120), st.integers(1, 40))
def test_free_gap_is_the_earliest_free_stretch(busy, window_start, width, length):
    window_end = window_start + width
    assert free_gap(busy, window_start, window_end, length) == brute_force(busy, window_start, window_end, length)


def test_lunch_break_in_minutes_of_the_day_and_of_the_week():
    s = Settings(week_start=date(2026, 3, 2))  # lunch 12:00-14:00, 30 minutes
    assert s.lunch_break([(12 * 60, 13 * 60 + 30)]) == 13 * 60 + 30
    assert s.lunch_break([(12 * 60, 13 * 60 + 31)]) is None
    assert s.lunch_break([(2 * 1440 + 11 * 60, 2 * 1440 + 12 * 60 + 10)], day=2) == 2 * 1440 + 12 * 60 + 10
    assert s.in_lunch_window(13 * 60 + 50, 15 * 60) and not s.in_lunch_window(14 * 60, 15 * 60)


@given(periods, st.integers(0, 60), st.integers(0, 120))
def test_minutes_covered_counts_overlaps_once(busy, window_start, width):
    window_end = window_start + width
    expected = sum(any(b <= m < e for b, e in busy) for m in range(window_start, window_end))
    assert minutes_covered(busy, window_start, window_end) == expected
