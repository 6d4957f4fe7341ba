"""`{% load clinic_dates %}`: dates with the year wherever it is not obvious
(plans/rules/dates.py)."""

from datetime import date, datetime

from django import template

from plans.rules import dates

register = template.Library()


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


@register.filter
def day(value: object, today: object) -> str:
    """{{ recheck.closes|day:today }}: '15 Jan', or '15 Jan 2025' outside today's year."""
    found, reference = _as_date(value), _as_date(today)
    if found is None:
        return ""
    return dates.short_date(found, today=reference or date.min)


@register.filter
def weekday(value: object, today: object) -> str:
    """{{ dose.due_date|weekday:today }}: 'Thu 19 Nov', with the year outside today's year."""
    found, reference = _as_date(value), _as_date(today)
    if found is None:
        return ""
    return dates.short_date(found, today=reference or date.min, weekday=True)


@register.filter
def until(value: object, end: object) -> str:
    """{{ lab.opens|until:lab.closes }}: '5 Nov 2026 – 4 Jan 2027'."""
    start, finish = _as_date(value), _as_date(end)
    if start is None or finish is None:
        return ""
    return dates.date_range(start, finish)


@register.filter
def long_weekday(value: object, today: object) -> str:
    """{{ dose.due_date|long_weekday:today }}: 'Thursday 19 November', with the year outside
    today's year."""
    found, reference = _as_date(value), _as_date(today)
    if found is None:
        return ""
    if reference is not None and found.year == reference.year:
        return f"{found:%A %-d %B}"
    return f"{found:%A %-d %B %Y}"
