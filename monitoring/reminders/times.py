"""When a reminder goes out. Pure: no Django.

Dates are the clinic's calendar; send times are aware datetimes built in the clinic's zone, so
"09:00 the day before" stays 09:00 on either side of a daylight-saving change.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def send_time(*, due: date, lead_days: int, hour: int, zone: ZoneInfo) -> datetime:
    day = due - timedelta(days=lead_days)
    return datetime.combine(day, time(hour), tzinfo=zone)


def in_quiet_hours(at: datetime, *, zone: ZoneInfo, start: time, end: time) -> bool:
    local = at.astimezone(zone).time()
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # quiet across midnight, e.g. 21:00–08:00


def after_quiet_hours(at: datetime, *, zone: ZoneInfo, start: time, end: time) -> datetime:
    """`at`, or the end of the quiet hours it falls in."""
    if not in_quiet_hours(at, zone=zone, start=start, end=end):
        return at
    local = at.astimezone(zone)
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone)


def backoff(attempt: int, *, base_seconds: int, cap_seconds: int = 6 * 3600) -> timedelta:
    """Wait before attempt `attempt + 1`: base, 2×base, 4×base, ... up to the cap."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempt - 1)))
