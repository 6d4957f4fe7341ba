"""Dates as a person reads them. Pure: no Django.

The year is left out only where it is obvious: a date in the reader's current year. A range
names the year at its end, and at its start too when the two years differ.
"""

from __future__ import annotations

from datetime import date


def short_date(day: date, *, today: date, weekday: bool = False) -> str:
    """'29 Nov' in the current year, '29 Nov 2025' in any other; 'Thu 19 Nov' with weekday."""
    text = f"{day:%-d %b}" if day.year == today.year else f"{day:%-d %b %Y}"
    return f"{day:%a} {text}" if weekday else text


def date_range(start: date, end: date) -> str:
    """'5 – 12 Nov 2026', '5 Nov – 4 Dec 2026', '5 Nov 2026 – 4 Jan 2027'."""
    if start == end:
        return f"{end:%-d %b %Y}"
    if start.year != end.year:
        return f"{start:%-d %b %Y} – {end:%-d %b %Y}"
    if start.month != end.month:
        return f"{start:%-d %b} – {end:%-d %b %Y}"
    return f"{start:%-d} – {end:%-d %b %Y}"
