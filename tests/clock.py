"""The suite's clock. Every test runs at one fixed instant: 10:30 in London on the day named by
the TODAY environment variable (YYYY-MM-DD), or on DEFAULT_TODAY. Nothing in the suite reads
the machine's clock, so a run passes or fails the same way whatever day it is run on:
`make test TODAY=2028-02-29` runs the whole suite on a leap day.

The clock starts at that instant when pytest starts and then runs on (tick=True), so timeouts,
session ages and retries behave; a test that needs an exact instant travels again, inside this.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

DEFAULT_TODAY = date(2026, 11, 29)  # a Sunday
ZONE = ZoneInfo("Europe/London")
TIME_OF_DAY = time(10, 30)
# Days the suite is known to pass on, beyond the default: a leap day, and the day the clocks
# go forward in the UK and the EU. `make test-dates` runs the suite on each.
OTHER_DAYS = ("2028-02-29", "2027-03-28")


def pinned_today() -> date:
    text = os.environ.get("TODAY", "").strip()
    if not text:
        return DEFAULT_TODAY
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise SystemExit(f"TODAY={text!r} is not a date: use YYYY-MM-DD.") from exc


def pinned_now() -> datetime:
    return datetime.combine(pinned_today(), TIME_OF_DAY, tzinfo=ZONE)
