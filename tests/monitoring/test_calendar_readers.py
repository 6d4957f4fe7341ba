"""The calendar file read back by programs we did not write: Mozilla's ical.js (the parser
Thunderbird uses) and Python's vobject. An injection at 09:00 shows at 09:00 in the clinic's
zone, in winter and in summer, north and south of the equator."""

import json
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.conf import settings as django_settings

from monitoring.documents import zones as calendar_zone
from monitoring.documents.calendar import schedule_ics
from monitoring.documents.schedule import schedule_document
from tests.outside_readers import run_reader
from tests.plans.recording_helpers import new_plan

NINE = time(9, 0)


def ical_js(text: bytes) -> dict[str, datetime]:
    return {
        event["uid"]: datetime.fromisoformat(event["start"].replace("Z", "+00:00"))
        for event in ical_js_events(text)
    }


def ical_js_events(text: bytes) -> list[dict[str, str]]:
    """Each event as ical.js reads it: uid, status, and start as a UTC instant."""
    return json.loads(run_reader("read_ics.mjs", "ical.js", input=text))


def vobject_reader(text: bytes) -> dict[str, datetime]:
    calendar = vobject.readOne(text.decode())
    return {str(e.uid.value): e.dtstart.value.astimezone(UTC) for e in calendar.vevent_list}


def expected_starts(plan, zone: ZoneInfo) -> dict[str, datetime]:
    domain = django_settings.REMINDER_MESSAGE_DOMAIN
    starts = {
        f"dose-{pk}@{domain}": datetime.combine(due, NINE, tzinfo=zone).astimezone(UTC)
        for pk, due in plan.doses.values_list("pk", "due_date")
    }
    starts.update(
        {
            f"recheck-{pk}@{domain}": datetime.combine(due, NINE, tzinfo=zone).astimezone(UTC)
            for pk, due in plan.rechecks.values_list("pk", "due_date")
        }
    )
    return starts


def calendar_for(clinic, patient, clinician, zone: str):
    clinic.time_zone = zone
    clinic.open_weekdays = "0123456"
    clinic.save()
    start = date(2026, 10, 20)  # monthly maintenance: a year of events over both clock changes
    plan = new_plan(patient, clinician, "us_common", start=start)
    doc = schedule_document(plan=plan, today=start)
    moment = datetime.combine(start, NINE, tzinfo=ZoneInfo(zone))
    return plan, schedule_ics(doc, now=moment)


@pytest.mark.parametrize(
    "zone", ["Europe/London", "America/New_York", "Pacific/Auckland", "America/Toronto"]
)
@pytest.mark.parametrize("reader", [ical_js, vobject_reader], ids=["ical.js", "vobject"])
def test_every_event_is_at_nine_in_the_clinics_zone(zone, reader, clinic, patient, clinician):
    """Defect: ical.js and vobject read the old VTIMEZONE (every change on one RDATE line) as
    summer time all year, so 09:00 GMT on 30 Nov 2026 showed as 08:00."""
    plan, text = calendar_for(clinic, patient, clinician, zone)
    read = reader(text)
    expected = expected_starts(plan, ZoneInfo(zone))
    assert set(read) <= set(expected) and len(read) > 12
    wrong = {uid: (read[uid], expected[uid]) for uid in read if read[uid] != expected[uid]}
    assert not wrong
    assert b"RRULE:FREQ=YEARLY" in text
    offsets = {read[uid].astimezone(ZoneInfo(zone)).utcoffset() for uid in read}
    assert len(offsets) == 2, "the calendar has events in both winter and summer time"


@pytest.mark.parametrize("reader", [ical_js, vobject_reader], ids=["ical.js", "vobject"])
def test_zone_data_that_disagrees_with_zoneinfo_gives_times_in_utc(
    reader, clinic, patient, clinician, monkeypatch
):
    """The VTIMEZONE data dates from 2020: a zone whose rules changed since must not be
    written with stale rules. Here London's block is offered for Auckland."""
    london = calendar_zone._vtimezone.__wrapped__("Europe/London")
    london["TZID"] = "Pacific/Auckland"
    monkeypatch.setattr(calendar_zone, "_vtimezone", lambda key: london)
    monkeypatch.setattr(calendar_zone, "_rules", lambda key: london.to_tz(lookup_tzid=False))
    plan, text = calendar_for(clinic, patient, clinician, "Pacific/Auckland")
    assert b"BEGIN:VTIMEZONE" not in text
    read = reader(text)
    expected = expected_starts(plan, ZoneInfo("Pacific/Auckland"))
    assert all(read[uid] == expected[uid] for uid in read)


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York"])
@pytest.mark.parametrize("reader", [ical_js, vobject_reader], ids=["ical.js", "vobject"])
def test_two_years_of_events_across_every_clock_change(zone, reader, clinic, patient, clinician):
    """A year given and a year to come, as the subscription holds it a year into treatment:
    every event at 09:00 local, on both sides of four clock changes."""
    from monitoring.documents.calendar import plan_events, write_ics
    from plans.materialise import doses_extend

    clinic.time_zone = zone
    clinic.open_weekdays = "0123456"
    clinic.save()
    start = date(2026, 10, 20)
    plan = new_plan(patient, clinician, "us_common", start=start)
    a_year_on = date(2027, 10, 20)
    doses_extend(plan_ids=[plan.pk], today=a_year_on)
    moment = datetime.combine(a_year_on, NINE, tzinfo=ZoneInfo(zone))
    text = write_ics(plan_events(plan, today=a_year_on), clinic=clinic, now=moment)
    read = reader(text)
    expected = expected_starts(plan, ZoneInfo(zone))
    days = sorted(read[uid].date() for uid in read if uid.startswith("dose-"))
    assert days[0] <= date(2026, 11, 1) and days[-1] >= date(2028, 9, 1)
    wrong = {uid: (read[uid], expected[uid]) for uid in read if read[uid] != expected[uid]}
    assert not wrong
