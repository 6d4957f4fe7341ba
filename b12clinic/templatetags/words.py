"""Durations as people say them ("15 minutes"), not as ISO 8601 ("PT15M")."""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


def _unit(count: int, name: str) -> str:
    return f"{count} {name}" if count == 1 else f"{count} {name}s"


@register.filter
def in_words(duration: timedelta | None) -> str:
    if not isinstance(duration, timedelta):
        return "a few minutes"
    seconds = max(int(duration.total_seconds()), 0)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if not (days or hours or minutes):
        return _unit(seconds, "second") if seconds else "a moment"
    parts = [
        _unit(count, name)
        for count, name in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if count
    ]
    return " and ".join(parts) if len(parts) <= 2 else f"{', '.join(parts[:-1])} and {parts[-1]}"
