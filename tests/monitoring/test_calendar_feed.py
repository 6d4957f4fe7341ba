"""The calendar stays true as the plan changes: in a downloaded file and in the subscription a
calendar app polls. Given doses move to the day given, cancelled ones come back CANCELLED with a
higher SEQUENCE, an ended plan's future is cancelled for 90 days and then the feed is gone, and
open-ended loading stops at its review."""

import re
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from b12clinic.core.models import AuditEvent
from monitoring.documents.calendar import plan_events, write_ics
from monitoring.models import CalendarFeed, Recheck
from monitoring.services.feeds import feed_create
from monitoring.services.rechecks import recheck_cancel
from plans.models import DoseStatus, hash_secret
from plans.services.prescriptions import plan_stop
from tests.monitoring.test_calendar_readers import ical_js_events
from tests.plans.recording_helpers import LONDON, give, new_plan, open_doses

DOMAIN = "b12clinic.local"


@pytest.fixture
def clinic_details(clinic):
    clinic.phone = "01632 960 123"
    clinic.open_weekdays = "0123456"
    clinic.save()
    return clinic


@pytest.fixture
def own_patient(patient, patient_user):
    patient.user = patient_user
    patient.save()
    return patient


def events(ics: bytes) -> dict[str, object]:
    return {str(e["uid"]): e for e in Calendar.from_ical(ics).walk("VEVENT")}


def calendar_of(plan, day=None) -> dict[str, object]:
    day = day or today()
    return events(write_ics(plan_events(plan, today=day), clinic=plan.patient.clinic, now=now()))


def today():
    return timezone.localdate()


def now() -> datetime:
    return timezone.now()


def later(hours: float):
    return time_machine.travel(timezone.now() + timedelta(hours=hours), tick=False)


def test_a_late_dose_given_moves_to_the_day_it_was_given_and_says_so(
    patient, clinician, nurse, clinic_details
):
    """Defect: a maintenance dose given late dropped out of the file, and a loading dose given
    late stayed on the day it was due, so the patient's calendar never showed what happened."""
    plan = new_plan(patient, clinician, "uk_prophylaxis", start=today() - timedelta(days=10))
    first = open_doses(plan)[0]
    given_on = first.due_date + timedelta(days=3)
    give(first, nurse, on=given_on)
    event = calendar_of(plan)[f"dose-{first.pk}@{DOMAIN}"]
    assert event["dtstart"].dt.date() == given_on
    assert f"due {first.due_date:%-d %b}" in str(event["summary"])
    assert str(event["status"]) == "CONFIRMED" and not event.walk("VALARM")
    assert f"it was due on {first.due_date:%A %-d %B %Y}" in str(event["description"])


def test_a_cancelled_blood_test_comes_back_cancelled_with_a_higher_sequence(
    patient, clinician, clinic_details
):
    """Defect: a cancelled recheck was left out, so the calendar kept the old appointment."""
    plan = new_plan(patient, clinician, "uk_standard", start=today())
    recheck = plan.rechecks.filter(status="pending").order_by("due_date").first()
    uid = f"recheck-{recheck.pk}@{DOMAIN}"
    before = calendar_of(plan)[uid]
    assert str(before["status"]) == "CONFIRMED"
    with later(1):
        recheck_cancel(
            recheck=Recheck.objects.get(pk=recheck.pk), by=clinician, reason="Not needed"
        )
        after = calendar_of(plan)[uid]
    assert str(after["status"]) == "CANCELLED"
    assert after["sequence"] > before["sequence"]
    assert after["dtstart"].dt == before["dtstart"].dt
    assert not after.walk("VALARM")


def test_open_ended_loading_is_listed_up_to_the_review_then_one_review_event(
    patient, clinician, clinic_details
):
    """Defect: alternate-day loading 'until review' put about 183 events, each with an alarm,
    into the calendar for a year ahead."""
    plan = new_plan(patient, clinician, "uk_neurological", start=today())
    review = plan.version.review_date
    assert review is not None
    found = calendar_of(plan)
    doses = [e for uid, e in found.items() if uid.startswith("dose-")]
    assert doses and all(e["dtstart"].dt.date() <= review for e in doses)
    assert len(doses) <= (review - today()).days // 2 + 1
    reviews = [e for uid, e in found.items() if uid.startswith("review-")]
    assert len(reviews) == 1
    assert reviews[0]["dtstart"].dt.date() == review
    assert str(reviews[0]["summary"]) == "Review: your clinician will set the next dates"
    # The doses stored beyond the review (the plan still runs until someone ends it) stay out.
    assert plan.doses.filter(due_date__gt=review, status=DoseStatus.DUE).exists()


def test_an_ended_plan_is_cancelled_for_90_days_then_gone(
    client, own_patient, clinician, nurse, clinic_details
):
    """Defect: after a plan stopped, /me/schedule.ics answered 404, so the cancellations never
    reached the patient's calendar."""
    plan = new_plan(own_patient, clinician, "uk_standard", start=today() - timedelta(days=6))
    give(open_doses(plan)[0], nurse)
    client.force_login(own_patient.user)
    before = events(client.get(reverse("monitoring:me_ics")).content)
    future = {uid: e for uid, e in before.items() if e["dtstart"].dt.date() > today()}
    assert future
    with later(0.05):
        plan_stop(plan=plan, by=clinician, reason="Moved away", today=today())
        response = client.get(reverse("monitoring:me_ics"))
    assert response.status_code == 200
    after = events(response.content)
    for uid, old in future.items():
        assert str(after[uid]["status"]) == "CANCELLED", after[uid]["summary"]
        assert after[uid]["sequence"] > old["sequence"]
    given = [e for e in after.values() if str(e["summary"]).startswith("B12 injection given")]
    assert len(given) == 1 and str(given[0]["status"]) == "CONFIRMED"
    with later(24 * 89):
        client.force_login(own_patient.user)
        assert client.get(reverse("monitoring:me_ics")).status_code == 200
    with later(24 * 91):
        client.force_login(own_patient.user)
        assert client.get(reverse("monitoring:me_ics")).status_code == 410


def make_feed(client, patient) -> str:
    client.force_login(patient.user)
    page = client.post(reverse("monitoring:me_calendar_new"))
    assert page.status_code == 200
    html = page.content.decode()
    webcal = re.search(r'href="(webcal://[^"]+)"', html).group(1)
    assert 'data-testid="calendar-feed-qr"' in html and "<svg" in html
    client.logout()
    return "/" + webcal.split("://", 1)[1].split("/", 1)[1]


def test_the_subscription_is_private_audited_and_can_be_stopped(
    client, own_patient, clinician, outsider, clinic_details
):
    plan = new_plan(own_patient, clinician, "uk_standard", start=today())
    path = make_feed(client, own_patient)
    secret = path.split("/")[2]
    feed = CalendarFeed.objects.get()
    assert feed.secret_hash == hash_secret(secret) and secret not in feed.secret_hash
    assert not AuditEvent.objects.filter(summary__contains=secret).exists()

    response = client.get(path, HTTP_USER_AGENT="iOS/17.0 dataaccessd/1.0")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert f"dose-{open_doses(plan)[0].pk}@{DOMAIN}" in response.content.decode()
    client.get(path)
    reads = AuditEvent.objects.filter(object_id=str(feed.pk), summary__startswith="Calendar sub")
    assert reads.filter(summary__contains="read").count() == 2
    feed.refresh_from_db()
    assert feed.reads == 2 and feed.last_read_by == ""

    # The patient sees it on /me/, with when it was last read.
    client.force_login(own_patient.user)
    me = client.get(reverse("monitoring:me")).content.decode()
    assert 'data-testid="calendar-feed-state"' in me and "Last read" in me
    assert client.head(path).status_code == 200  # some apps look before they fetch

    # Staff of another clinic cannot stop it; the patient can.
    client.force_login(outsider)
    stop = reverse("monitoring:calendar_feed_revoke", args=[feed.pk])
    assert client.post(stop).status_code == 404
    client.force_login(own_patient.user)
    assert client.post(stop).status_code == 302
    client.logout()
    assert client.get(path).status_code == 404
    assert AuditEvent.objects.filter(summary__startswith="Calendar subscription refused").exists()


def test_a_new_address_stops_the_old_one(client, own_patient, clinician, clinic_details):
    new_plan(own_patient, clinician, "uk_standard", start=today())
    first = make_feed(client, own_patient)
    second = make_feed(client, own_patient)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1


def test_staff_can_set_it_up_with_the_patient_from_the_plan_page(
    client, patient, clinician, nurse, outsider, clinic_details
):
    plan = new_plan(patient, clinician, "uk_standard", start=today())
    client.force_login(outsider)
    made = reverse("monitoring:patient_calendar_new", args=[patient.pk])
    assert client.post(made).status_code == 404
    client.force_login(nurse)
    page = client.get(reverse("monitoring:plan_detail", args=[plan.pk])).content.decode()
    assert 'data-testid="calendar-feed-new"' in page
    html = client.post(made).content.decode()
    https = re.search(r'value="(https?://[^"]+)"', html).group(1)
    client.logout()
    assert client.get("/" + https.split("/", 3)[3]).status_code == 200


def test_bad_secrets_are_throttled(client, own_patient, clinician, clinic_details):
    new_plan(own_patient, clinician, "uk_standard", start=today())
    path = make_feed(client, own_patient)
    for attempt in range(10):
        assert client.get(f"/cal/guess{attempt}/schedule.ics").status_code == 404
    assert client.get(path).status_code == 429


def test_the_feed_follows_the_patient_into_a_new_plan(
    client, own_patient, clinician, clinic_details
):
    old = new_plan(own_patient, clinician, "uk_standard", start=today())
    path = make_feed(client, own_patient)
    old_future = [d.pk for d in open_doses(old)]
    with later(1):
        plan_stop(plan=old, by=clinician, reason="Changed product", today=today())
        new = new_plan(own_patient, clinician, "uk_standard", start=today() + timedelta(days=1))
        found = events(client.get(path).content)
    assert all(
        str(found[f"dose-{pk}@{DOMAIN}"]["status"]) == "CANCELLED"
        for pk in old_future
        if f"dose-{pk}@{DOMAIN}" in found
    )
    first_new = open_doses(new)[0]
    assert str(found[f"dose-{first_new.pk}@{DOMAIN}"]["status"]) == "CONFIRMED"


def test_ical_js_reads_the_cancellations_and_the_moved_dose(
    patient, clinician, nurse, clinic_details
):
    """Read by a program we did not write: the statuses and the moved day survive."""
    plan = new_plan(patient, clinician, "uk_standard", start=today() - timedelta(days=6))
    first = open_doses(plan)[0]
    give(first, nurse, on=first.due_date + timedelta(days=1))
    with later(1):
        plan_stop(plan=plan, by=clinician, reason="Moved away", today=today())
        read = {
            e["uid"]: e
            for e in ical_js_events(
                write_ics(plan_events(plan, today=today()), clinic=plan.patient.clinic, now=now())
            )
        }
    moved = read[f"dose-{first.pk}@{DOMAIN}"]
    nine = datetime.combine(first.due_date + timedelta(days=1), time(9), tzinfo=LONDON)
    assert datetime.fromisoformat(moved["start"].replace("Z", "+00:00")) == nine
    assert moved["status"] == "CONFIRMED"
    future = [
        e
        for e in read.values()
        if datetime.fromisoformat(e["start"].replace("Z", "+00:00")).date() > today()
    ]
    assert future and all(e["status"] == "CANCELLED" for e in future)


def test_only_the_patient_or_their_clinic_may_make_one(patient, clinician, outsider):
    new_plan(patient, clinician, "uk_standard", start=today())
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        feed_create(patient=patient, by=outsider, now=now())
    assert not CalendarFeed.objects.exists()


def test_history_stays_in_the_calendar_past_a_year(patient, clinician, nurse, clinic_details):
    """Found by the simulated clinic (seed 4, day 370): a blood test done over a year ago fell
    out of the calendar, and a subscribed calendar deletes what the feed no longer holds. A
    lifelong plan makes a few events a year, so the whole history stays."""
    plan = new_plan(patient, clinician, "uk_prophylaxis", start=today())
    first = open_doses(plan)[0]
    give(first, nurse)
    baseline = plan.rechecks.get(kind="baseline")
    Recheck.objects.filter(pk=baseline.pk).update(status="done", done_on=today())
    two_years_on = today() + timedelta(days=730)
    found = calendar_of(plan, two_years_on)
    assert f"dose-{first.pk}@{DOMAIN}" in found
    assert str(found[f"recheck-{baseline.pk}@{DOMAIN}"]["summary"]).startswith("Done:")


def test_a_dose_cancelled_long_after_its_date_is_still_sent_cancelled(
    patient, clinician, clinic_details
):
    plan = new_plan(patient, clinician, "uk_prophylaxis", start=today() - timedelta(days=60))
    overdue = open_doses(plan)[0]
    assert overdue.due_date < today() - timedelta(days=30)
    with later(0.05):
        plan_stop(plan=plan, by=clinician, reason="Moved away", today=today())
        event = calendar_of(plan)[f"dose-{overdue.pk}@{DOMAIN}"]
    assert str(event["status"]) == "CANCELLED"
