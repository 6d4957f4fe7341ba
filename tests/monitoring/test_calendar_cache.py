"""The patient's calendar file is written once for what it shows, and a new one as soon as any
of it changes: the download and the subscription a calendar app polls read the same file."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.models import Recheck
from monitoring.services.rechecks import recheck_cancel
from tests.monitoring.test_calendar_feed import (  # noqa: F401 - fixtures
    DOMAIN,
    clinic_details,
    events,
    later,
    make_feed,
    own_patient,
    today,
)
from tests.plans.recording_helpers import give, new_plan, open_doses


def reads_doses(captured: CaptureQueriesContext) -> bool:
    return any('FROM "plans_dose"' in q["sql"] for q in captured.captured_queries)


def test_the_calendar_is_written_once_and_again_for_any_change(
    client,
    own_patient,  # noqa: F811 - the fixture imported above
    clinician,
    nurse,
    clinic_details,  # noqa: F811
):
    plan = new_plan(own_patient, clinician, "uk_standard", start=today() - timedelta(days=6))
    give(open_doses(plan)[0], nurse)
    client.force_login(own_patient.user)
    url = reverse("monitoring:me_ics")
    with CaptureQueriesContext(connection) as built:
        first = client.get(url).content
    with CaptureQueriesContext(connection) as cached:
        again = client.get(url).content
    assert again == first
    assert reads_doses(built) and not reads_doses(cached)
    feed = make_feed(client, own_patient)
    assert client.get(feed).content == first

    # What the stamp sees: a blood test cancelled.
    recheck = plan.rechecks.filter(status="pending").order_by("due_date").first()
    with later(0.05):
        recheck_cancel(recheck=Recheck.objects.get(pk=recheck.pk), by=clinician, reason="No")
        found = events(client.get(feed).content)
    assert str(found[f"recheck-{recheck.pk}@{DOMAIN}"]["status"]) == "CANCELLED"

    # The next dose given.
    second = open_doses(plan)[0]
    with later(0.1):
        give(second, nurse)
        found = events(client.get(feed).content)
    assert str(found[f"dose-{second.pk}@{DOMAIN}"]["summary"]).startswith("B12 injection given")

    # The clinic's zone, which the stamp does not carry: 09:00 is now Auckland's.
    clinic_details.time_zone = "Pacific/Auckland"
    clinic_details.save()
    with later(0.15):
        found = events(client.get(feed).content)
    assert str(found[f"dose-{second.pk}@{DOMAIN}"]["dtstart"].dt.tzinfo) == "Pacific/Auckland"

    # And the next day: what is shown is counted from today.
    with later(0.2):
        before = events(client.get(feed).content)
    with later(24.2):
        after = events(client.get(feed).content)
    uid = f"dose-{second.pk}@{DOMAIN}"
    assert after[uid]["dtstamp"].dt > before[uid]["dtstamp"].dt
