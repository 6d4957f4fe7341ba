"""What the plan page and the day list offer a nurse: Give only on a dose that may be recorded
now, "planned" for doses not yet due, and Correct beside what was recorded today."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from plans.models import Administration
from tests.plans.recording_helpers import at, give, new_plan, open_doses


@pytest.mark.django_db
def test_give_is_offered_only_within_the_on_time_window(client, patient, clinician, nurse, clinic):
    plan = new_plan(patient, clinician, "uk_standard")
    loading = open_doses(plan)
    for dose in loading[:6]:
        give(dose, nurse)
    next_dose = open_doses(plan)[0]
    url = reverse("monitoring:plan_detail", args=[plan.pk])
    client.force_login(nurse)
    window = clinic.on_time_window_days
    with time_machine.travel(at(next_dose.due_date - timedelta(days=window + 1)), tick=False):
        early = client.get(url).content.decode()
    assert reverse("plans:dose_give", args=[next_dose.pk]) not in early
    assert ">planned</span>" in early
    with time_machine.travel(at(next_dose.due_date - timedelta(days=window)), tick=False):
        near = client.get(url).content.decode()
    assert reverse("plans:dose_give", args=[next_dose.pk]) in near


@pytest.mark.django_db
def test_what_was_given_today_can_be_corrected_from_the_day_list(client, patient, clinician, nurse):
    plan = new_plan(patient, clinician, "uk_standard")
    dose = open_doses(plan)[0]
    given = give(dose, nurse, batch="WRONG1")
    client.force_login(nurse)
    with time_machine.travel(at(dose.due_date, 15), tick=False):
        day = client.get(reverse("plans:today")).content.decode()
        correct = reverse("plans:administration_correct", args=[given.pk])
        assert f'href="{correct}?next=' in day
        link = day.split(f'href="{correct}?next=', 1)[1].split('"', 1)[0]
        response = client.post(
            f"{correct}?next={link}",
            {
                "given_at": f"{dose.due_date:%Y-%m-%d}T10:00",
                "site": given.site,
                "side": given.side,
                "batch": "HX4417B",
                "expiry": given.expiry.isoformat(),
                "outcome": "none",
                "reason": "Batch misread from the box",
            },
        )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("plans:today"))
    assert Administration.objects.get(replaces=given).batch == "HX4417B"


@pytest.mark.django_db
def test_the_plan_page_runs_the_same_queries_for_one_record_and_twelve(
    client, patient, clinician, nurse
):
    """Each dose row shows its record, corrections and check-ins: read per plan, not per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from plans.recording.corrections import administration_amend

    plan = new_plan(patient, clinician, "uk_standard")
    url = reverse("monitoring:plan_detail", args=[plan.pk])

    def page_queries(day):
        with time_machine.travel(at(day, 15), tick=False):
            client.force_login(clinician)
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                page = client.get(url)
        assert page.status_code == 200
        return page.content.decode(), queries

    first = give(open_doses(plan)[0], nurse)
    _, one = page_queries(first.given_on)
    for dose in open_doses(plan)[:11]:
        last = give(dose, nurse)
    administration_amend(
        administration=last,
        by=nurse,
        reason="Batch misread",
        now=at(last.given_on, 12),
        batch="HX4417C",
    )
    page, twelve = page_queries(last.given_on)

    assert "HX4417C" in page
    assert len(twelve) == len(one), [q["sql"][:100] for q in twelve.captured_queries]
