"""The VTIMEZONE block of a calendar file, and the check that it tells the truth.

The block comes from the ics-vtimezones data (vzic's output, a DAYLIGHT and a STANDARD
rule each with an RRULE, as calendar servers write them): the one-RDATE-per-change block
icalendar builds is read by ical.js and vobject as summer time all year. The data dates
from 2020, so before a calendar uses it, every time in that calendar is checked against the
zone rules Python has (zoneinfo); where a zone has changed its rules since, the calendar is
written in UTC instead, which every client shows at the right moment.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone


@functools.cache
def _vtimezone(key: str) -> Timezone | None:
    from ics_vtimezones import find_vtimezone_ics_file

    found = find_vtimezone_ics_file(key)
    if found is None:
        return None
    for component in Calendar.from_ical(found.read_text(encoding="utf-8")).walk("VTIMEZONE"):
        # Its own TZID carries the package's prefix; clients know the zone by its IANA name.
        component["TZID"] = key
        if isinstance(component, Timezone):
            return component
    return None


def vtimezone_for(zone: ZoneInfo, moments: Iterable[datetime]) -> Timezone | None:
    """The zone's VTIMEZONE if it gives every one of these local times the offset zoneinfo
    gives it; None if the data is missing or out of date for them."""
    component = _vtimezone(zone.key)
    if component is None:
        return None
    rules = _rules(zone.key)
    for moment in moments:
        wall = moment.astimezone(zone).replace(tzinfo=None)
        if wall.replace(tzinfo=rules).utcoffset() != wall.replace(tzinfo=zone).utcoffset():
            return None
    return component


@functools.cache
def _rules(key: str):  # noqa: ANN202 - icalendar's own tzinfo class
    component = _vtimezone(key)
    assert component is not None
    # Built from the block's own rules, not looked up by name: that is what is checked.
    return component.to_tz(lookup_tzid=False)
