"""Dates with the year wherever it is not obvious."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from plans.rules.dates import date_range, short_date

TODAY = date(2026, 11, 29)


def test_the_year_is_left_out_only_within_the_current_year():
    """Defect: the dashboard showed "window closed 29 Nov" for a window of 2025."""
    assert short_date(date(2026, 1, 15), today=TODAY) == "15 Jan"
    assert short_date(date(2025, 11, 29), today=TODAY) == "29 Nov 2025"
    assert short_date(date(2027, 1, 4), today=TODAY) == "4 Jan 2027"
    assert short_date(date(2026, 11, 19), today=TODAY, weekday=True) == "Thu 19 Nov"


def test_a_range_across_new_year_names_both_years():
    """Defect: the PDF read "5 Nov – 4 Jan 2027" for a window from November 2026."""
    assert date_range(date(2026, 11, 5), date(2027, 1, 4)) == "5 Nov 2026 – 4 Jan 2027"
    assert date_range(date(2026, 11, 5), date(2026, 12, 4)) == "5 Nov – 4 Dec 2026"
    assert date_range(date(2026, 11, 5), date(2026, 11, 12)) == "5 – 12 Nov 2026"
    assert date_range(date(2026, 11, 5), date(2026, 11, 5)) == "5 Nov 2026"


@given(st.dates(), st.integers(0, 800))
def test_every_year_a_range_touches_is_written(start, length):
    end = start + timedelta(days=length) if start.year < 9000 else start
    text = date_range(start, end)
    assert str(end.year) in text
    assert str(start.year) in text
