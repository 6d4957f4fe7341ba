"""The written schedule as a calendar: one event per dose, per planned test and for the review.

The same events go into a downloaded `.ics` file and into the private subscription a calendar
app polls (monitoring/services/feeds.py), so both stay true as the plan changes:
- UIDs are stable and SEQUENCE is the record's last change, so a new copy updates the old one;
- a given dose moves to the day it was given and says so;
- a cancelled dose or test, and everything still to come when a plan ends, is sent as
  CANCELLED, so the calendar drops it;
- an open-ended loading phase is listed up to its review, then one review event, not a year
  of alternate days;
- 90 days after the last plan ended there is nothing left to tell the calendar: `Gone`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from b12clinic.core.models import Clinic, Patient
from plans.models import DoseStatus, Plan, PlanStatus
from plans.rules.dates import date_range
from plans.rules.schedule import EndRule

from ..models import RecheckStatus
from . import zones
from .schedule import MAINTENANCE_MONTHS_SHOWN, ScheduleDoc, schedule_stamp
from .words import TITLE_FOR_THE_PATIENT
from .zones import vtimezone_for

EVENT_TIME = time(9, 0)
KEPT_AFTER_THE_END = timedelta(days=90)
# A dose cancelled in the last 30 days (or due in them) may still sit in a calendar that last
# read us before; older cancellations have reached it. Everything else stays: a subscribed
# calendar deletes what the feed no longer holds, and a lifelong plan makes a few events a year.
CANCELLED_LOOKBACK = timedelta(days=30)
# While a review is overdue, loading goes on: the coming week is shown.
OVERDUE_REVIEW_SHOWS = timedelta(days=7)
# SEQUENCE is a 32-bit integer: seconds since 2020 last until 2088.
SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# How often a subscribed calendar app should look again (a hint: Apple and Outlook read it).
REFRESH = timedelta(hours=6)
CALENDAR_CACHE_SECONDS = 7 * 24 * 3600


class Gone(Exception):
    """The plan ended more than 90 days ago: every cancellation has long been sent."""


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    day: date
    sequence: int
    summary: str
    description: str
    location: str = ""
    cancelled: bool = False
    alarm: str = ""  # the reminder the day before; "" for none


def _sequence(moment: datetime) -> int:
    return max(0, int((moment - SEQUENCE_EPOCH).total_seconds()))


def _day(day: date) -> str:
    return f"{day:%A %-d %B %Y}"


def plan_events(plan: Plan, *, today: date) -> list[CalendarEvent]:
    """Every event the calendar should hold for one plan, as of `today`. Four queries."""
    plan = Plan.objects.select_related("patient__clinic", "current__product").get(pk=plan.pk)
    version = plan.version
    clinic = plan.patient.clinic
    domain = settings.REMINDER_MESSAGE_DOMAIN
    active = plan.status == PlanStatus.ACTIVE
    ended_on = None if active else timezone.localdate(plan.ended_at or timezone.now(), clinic.zone)
    ended_seq = _sequence(plan.ended_at) if plan.ended_at else 0
    until = today + timedelta(days=round(365.25 * MAINTENANCE_MONTHS_SHOWN / 12))
    review = version.review_date
    loading_until = max(review, today + OVERDUE_REVIEW_SHOWS) if review else until
    product = f"{version.product.generic_name} {version.dose_display}"
    where = "At home" if version.self_administered else clinic.name
    call = f"If you cannot make it, call {clinic.phone or 'the clinic'}."

    def ends_it(day: date, done: bool) -> bool:
        return ended_on is not None and not done and day >= ended_on

    events: list[CalendarEvent] = []
    doses = (
        plan.doses.filter(due_date__lte=until)
        .select_related("phase")
        .order_by("due_date", "sequence")
    )
    for dose in doses:
        open_ended = dose.phase.kind == "loading" and dose.phase.end_rule == EndRule.AT_REVIEW
        if open_ended and dose.due_date > loading_until and dose.status != DoseStatus.GIVEN:
            continue
        label = "loading" if dose.phase.kind == "loading" else "maintenance"
        sequence = _sequence(dose.updated_at)
        given = dose.status == DoseStatus.GIVEN
        day = dose.given_on if given and dose.given_on else dose.due_date
        cancelled = dose.status == DoseStatus.CANCELLED
        if (
            cancelled
            and dose.due_date < today - CANCELLED_LOOKBACK
            and timezone.localdate(dose.updated_at, clinic.zone) < today - CANCELLED_LOOKBACK
        ):
            continue
        if ends_it(day, given or dose.status == DoseStatus.NOT_GIVEN):
            cancelled, sequence = True, max(sequence, ended_seq)
        if given:
            moved = f", due {dose.due_date:%-d %b}" if day != dose.due_date else ""
            summary = f"B12 injection given ({label}{moved})"
            description = f"Given on {_day(day)}" + (
                f"; it was due on {_day(dose.due_date)}." if moved else "."
            )
        elif dose.status == DoseStatus.NOT_GIVEN:
            summary = f"B12 injection not given ({label})"
            description = f"Not given. Call {clinic.phone or 'the clinic'} if you have questions."
        elif cancelled:
            summary = f"Cancelled: B12 injection ({label})"
            description = "No longer planned on this day: see your new schedule."
        else:
            summary = f"B12 injection ({label})"
            description = f"{product}, {version.get_route_display()}. {call}"
        alarm = (
            "B12 injection tomorrow"
            if active and dose.status == DoseStatus.DUE and day >= today
            else ""
        )
        events.append(
            CalendarEvent(
                uid=f"dose-{dose.pk}@{domain}",
                day=day,
                sequence=sequence,
                summary=summary,
                description=description,
                location=where,
                cancelled=cancelled,
                alarm="" if cancelled else alarm,
            )
        )
    rechecks = plan.rechecks.order_by("due_date")
    for recheck in rechecks:
        title = TITLE_FOR_THE_PATIENT.get(recheck.kind, recheck.title)
        sequence = _sequence(recheck.updated_at)
        done = recheck.status == RecheckStatus.DONE
        day = recheck.done_on if done and recheck.done_on else recheck.due_date
        cancelled = recheck.status in (RecheckStatus.CANCELLED, RecheckStatus.LAPSED) or (
            recheck.status == RecheckStatus.PENDING
            and recheck.lapses_on is not None
            and recheck.lapses_on < today
        )
        if ends_it(day, done):
            cancelled, sequence = True, max(sequence, ended_seq)
        if done:
            summary, description = f"Done: {title}", f"Done on {_day(day)}."
        elif cancelled:
            summary = f"Cancelled: {title}"
            description = "No longer planned: your clinic will tell you if you need it."
        else:
            summary = f"Blood test or review: {title}"
            description = (
                f"{recheck.purpose} Any day in {date_range(recheck.opens, recheck.closes)}."
            ).strip()
        events.append(
            CalendarEvent(
                uid=f"recheck-{recheck.pk}@{domain}",
                day=day,
                sequence=sequence,
                summary=summary,
                description=description,
                cancelled=cancelled,
                alarm=f"{title} due tomorrow"
                if active and not cancelled and not done and day >= today
                else "",
            )
        )
    if review is not None and review >= today - CANCELLED_LOOKBACK:
        open_ended = version.phases.filter(kind="loading", end_rule=EndRule.AT_REVIEW).exists()
        cancelled = ends_it(review, False)
        events.append(
            CalendarEvent(
                uid=f"review-{plan.pk}@{domain}",
                day=review,
                sequence=max(_sequence(version.created_at), ended_seq if cancelled else 0),
                summary=(
                    "Cancelled: review"
                    if cancelled
                    else "Review: your clinician will set the next dates"
                    if open_ended
                    else "Review with your clinician"
                ),
                description=(
                    "Your clinician looks at how you are doing and sets the next injections. "
                    f"{call}"
                ),
                location=clinic.name,
                cancelled=cancelled,
                alarm="Review tomorrow" if active and review >= today else "",
            )
        )
    return events


def plan_gone(plan: Plan, *, now: datetime) -> bool:
    return (
        plan.status != PlanStatus.ACTIVE
        and plan.ended_at is not None
        and now >= plan.ended_at + KEPT_AFTER_THE_END
    )


def patient_calendar(patient: Patient, *, now: datetime) -> bytes:
    """The patient's calendar file across their plans, as of `now`; raises `Gone`. Written
    once for what it shows: each kept plan's stamp (the written schedule's, one query each:
    its doses, rechecks, status, version, the patient and the clinic), the clinic's zone and
    the day. A download or a feed poll with nothing changed is those and a cache read, not
    four queries a plan and the icalendar library (13 ms a download, and what every
    subscribed calendar app asks for every few hours)."""
    clinic = patient.clinic
    today = timezone.localdate(now, timezone=clinic.zone)
    plans = list(patient.plans.order_by("created_at"))
    kept = [plan for plan in plans if not plan_gone(plan, now=now)]
    if plans and not kept:
        raise Gone
    material = [_writer_digest(), clinic.time_zone, today.isoformat()]
    for plan in kept:
        stamp = schedule_stamp(plan_id=plan.pk)
        assert stamp is not None  # the plan was read just above, and plans are never deleted
        material.append(stamp.key)
    key = f"calendar:{hashlib.sha256(json.dumps(material).encode()).hexdigest()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    events = [event for plan in kept for event in plan_events(plan, today=today)]
    ics = write_ics(events, clinic=clinic, now=now)
    cache.set(key, ics, CALENDAR_CACHE_SECONDS)
    return ics


@functools.cache
def _writer_digest() -> str:
    """A new release of this code, of the zone writer or of icalendar writes new files rather
    than serving the old ones."""
    import icalendar

    sources = [Path(__file__).read_bytes(), Path(zones.__file__).read_bytes()]
    parts = [*sources, icalendar.__version__.encode(), settings.REMINDER_MESSAGE_DOMAIN.encode()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


def write_ics(
    events: list[CalendarEvent], *, clinic: Clinic, now: datetime, name: str = ""
) -> bytes:
    """The events at 09:00 in the clinic's zone, each live one with an alarm the day before.
    The zone goes in as a VTIMEZONE with RRULEs (monitoring/documents/zones.py), or every time
    in UTC where that data is out of date."""
    from icalendar import Alarm, Calendar, Event

    zone = clinic.zone
    calendar = Calendar()
    calendar.add("prodid", "-//B12 Clinic//Injection schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name or f"B12 injections – {clinic.name}")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    moments = [datetime.combine(event.day, EVENT_TIME, tzinfo=zone) for event in events]
    vtimezone = vtimezone_for(zone, moments)
    if vtimezone is not None:
        calendar.add_component(vtimezone)
    for event in events:
        start = datetime.combine(event.day, EVENT_TIME, tzinfo=zone)
        if vtimezone is None:
            start = start.astimezone(UTC)
        entry = Event()
        entry.add("uid", event.uid)
        entry.add("dtstamp", now)
        entry.add("sequence", event.sequence)
        entry.add("dtstart", start)
        entry.add("dtend", start + timedelta(minutes=15))
        entry.add("summary", event.summary)
        if event.location:
            entry.add("location", event.location)
        entry.add("description", event.description)
        entry.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
        if event.alarm:
            entry.add_component(_alarm(Alarm, event.alarm))
        calendar.add_component(entry)
    return bytes(calendar.to_ical())


def schedule_ics(doc: ScheduleDoc, *, now: datetime) -> bytes:
    """One plan's calendar file, as of the document's day."""
    return write_ics(plan_events(doc.plan, today=doc.today), clinic=doc.clinic, now=now)


def _alarm(alarm_class: Any, text: str) -> Any:
    alarm = alarm_class()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", timedelta(days=-1))
    return alarm
