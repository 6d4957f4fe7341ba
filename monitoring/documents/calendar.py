"""The written schedule as a calendar file: one event per dose and per planned test."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings

from plans.models import DoseStatus
from plans.rules.dates import date_range

from .schedule import ScheduleDoc, dose_line
from .zones import vtimezone_for

EVENT_TIME = time(9, 0)


def schedule_ics(doc: ScheduleDoc, *, now: datetime) -> bytes:
    """One event per dose and per planned blood test, at 09:00 in the clinic's zone, each with
    an alarm the day before. UIDs are stable, so importing again updates rather than duplicates;
    a dose cancelled since (re-planned, plan stopped) is sent as CANCELLED. The zone goes in as
    a VTIMEZONE with RRULEs (monitoring/documents/zones.py), or every time in UTC where that data is
    out of date."""
    from icalendar import Alarm, Calendar, Event

    zone = doc.clinic.zone
    calendar = Calendar()
    calendar.add("prodid", "-//B12 Clinic//Injection schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"B12 injections – {doc.clinic.name}")
    domain = settings.REMINDER_MESSAGE_DOMAIN
    product = f"{doc.version.product.generic_name} {doc.version.dose_display}"
    where = doc.clinic.name if not doc.version.self_administered else "At home"

    cancelled = list(
        doc.plan.doses.filter(status=DoseStatus.CANCELLED, due_date__gte=doc.today).select_related(
            "phase"
        )
    )
    doses = [(d, d.status) for d in doc.loading + doc.maintenance] + [
        (dose_line(d), "cancelled") for d in cancelled
    ]
    moments = [datetime.combine(line.due, EVENT_TIME, tzinfo=zone) for line, _ in doses] + [
        datetime.combine(lab.due, EVENT_TIME, tzinfo=zone) for lab in doc.labs
    ]
    vtimezone = vtimezone_for(zone, moments)
    if vtimezone is not None:
        calendar.add_component(vtimezone)

    def at_nine(day: date) -> datetime:
        start = datetime.combine(day, EVENT_TIME, tzinfo=zone)
        return start if vtimezone is not None else start.astimezone(UTC)

    for line, status in doses:
        event = Event()
        event.add("uid", f"dose-{line.id}@{domain}")
        event.add("dtstamp", now)
        event.add("sequence", int(line.updated.timestamp()) // 60 % 2_000_000_000)
        start = at_nine(line.due)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=15))
        label = "loading" if line.kind == "loading" else "maintenance"
        if status == DoseStatus.GIVEN:
            summary = f"B12 injection given ({label})"
        elif status == DoseStatus.NOT_GIVEN:
            summary = f"B12 injection not given ({label})"
        else:
            summary = f"B12 injection ({label})"
        event.add("summary", summary)
        event.add("location", where)
        event.add(
            "description",
            f"{product}, {doc.version.get_route_display()}. If you cannot make it, call "
            f"{doc.clinic.phone or 'the clinic'}.",
        )
        if status == "cancelled":
            event.add("status", "CANCELLED")
        else:
            event.add("status", "CONFIRMED")
            if status == DoseStatus.DUE and line.due >= doc.today:
                event.add_component(_alarm(Alarm, "B12 injection tomorrow"))
        calendar.add_component(event)
    for lab in doc.labs:
        event = Event()
        event.add("uid", f"recheck-{lab.id}@{domain}")
        event.add("dtstamp", now)
        start = at_nine(lab.due)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=15))
        event.add("summary", f"Blood test or review: {lab.title}")
        event.add(
            "description",
            f"{lab.purpose} Any day in {date_range(lab.opens, lab.closes)}.",
        )
        event.add("status", "CONFIRMED")
        if lab.status == "pending" and lab.due >= doc.today:
            event.add_component(_alarm(Alarm, f"{lab.title} due tomorrow"))
        calendar.add_component(event)
    return calendar.to_ical()


def _alarm(alarm_class: Any, text: str) -> Any:
    alarm = alarm_class()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", timedelta(days=-1))
    return alarm
