"""The day list is kept rendered between changes (plans/day_cache.py): a second look reads
nothing, and every change to what it shows is on the next look, whichever way it was made."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from b12clinic.core import backends
from b12clinic.core.access import _CLINICS_OF_WORKER
from b12clinic.core.models import Patient, Product
from b12clinic.core.prepared import statement_name
from plans import day_cache
from plans.models import Dose
from plans.recording.not_given import dose_record_not_given
from plans.services.patients import patient_update
from plans.services.prescriptions import plan_stop
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import at, give_next, new_plan, open_doses

pytestmark = pytest.mark.django_db


@pytest.fixture
def travel():
    with time_machine.travel(at(TODAY, 9), tick=False):
        yield


@pytest.fixture
def day_url(clinic) -> str:
    return f"/today/?date={TODAY.isoformat()}&clinic={clinic.pk}"


@pytest.fixture
def look(client, nurse, day_url, travel):
    """The nurse's day list as she sees it now."""
    client.force_login(nurse)

    def looking(*, kept: bool = False) -> str:
        """`kept`: look twice, so that what the second look shows is the list kept rendered
        (the first look draws the clinic's token)."""
        for _ in range(2 if kept else 1):
            response = client.get(day_url)
            assert response.status_code == 200
        return response.content.decode()

    return looking


def make_patient(clinic, clinician, number: int) -> Patient:
    return Patient.objects.create(
        clinic=clinic,
        record_number=f"RC{number:04d}",
        given_name=f"Pat{number}",
        family_name=f"Family{number:04d}",
        date_of_birth=TODAY.replace(year=1950),
        created_by=clinician,
    )


@pytest.fixture
def due_today(clinic, clinician):
    """A patient whose first loading dose is due today."""
    patient = make_patient(clinic, clinician, 1)
    return new_plan(patient, clinician, "uk_standard", start=TODAY)


def test_a_second_look_reads_no_dose_and_shows_the_same_list(look, due_today):
    look()  # draws the clinic's token
    first = look()
    assert first.count('data-testid="day-row"') == 1
    with CaptureQueriesContext(connection) as second:
        again = look()
    lists = 'aria-labelledby="overdue-heading"'  # after the form with its one-time token
    assert again[again.index(lists) :] == first[first.index(lists) :]
    # Prepared statements name no table: the ones allowed are the signed-in user's row and
    # their clinic list.
    allowed = [
        statement_name(query._compile(connection.alias)[0])
        for query in (_CLINICS_OF_WORKER, backends._USER)
    ]
    tables = " ".join(q["sql"] for q in second.captured_queries)
    for name in allowed:
        tables = tables.replace(name, "")
    assert "plans_dose" not in tables and "b12_" not in tables, tables[:400]


def test_a_dose_given_leaves_the_due_list_and_shows_as_recorded(look, due_today, nurse):
    assert 'data-testid="done-row"' not in look(kept=True)
    give_next(due_today, nurse, on=TODAY)
    page = look()
    assert page.count('data-testid="day-row"') == 0
    assert page.count('data-testid="done-row"') == 1


def test_a_dose_not_given_shows_as_recorded(look, due_today, nurse):
    look(kept=True)
    dose_record_not_given(
        dose=open_doses(due_today)[0], by=nurse, reason="declined", now=at(TODAY, 9)
    )
    assert "Not given" in look()


def test_a_new_plan_due_today_is_listed(look, clinic, clinician):
    assert 'data-testid="day-row"' not in look(kept=True)
    new_plan(make_patient(clinic, clinician, 2), clinician, "uk_standard", start=TODAY)
    assert look().count('data-testid="day-row"') == 1


def test_a_stopped_plan_leaves_the_list(look, due_today, clinician):
    """Stopping cancels the open doses in one bulk update."""
    look(kept=True)
    plan_stop(plan=due_today, by=clinician, reason="Moved away", today=TODAY)
    assert 'data-testid="day-row"' not in look()


def test_an_allergy_added_shows_on_the_row(look, due_today, clinician):
    assert 'data-testid="allergy-badge"' not in look(kept=True)
    patient_update(patient=due_today.patient, by=clinician, today=TODAY, allergies="Latex")
    assert "Allergy: Latex" in look()


def test_a_clinic_alert_threshold_lowered_raises_the_alert(look, clinic, clinician, nurse):
    patient = make_patient(clinic, clinician, 3)
    new_plan(patient, clinician, "uk_standard", start=TODAY - timedelta(days=10))
    clinic.overdue_alert_days = 30
    clinic.save()
    assert 'data-testid="overdue-alert"' not in look(kept=True)
    clinic.overdue_alert_days = 2
    clinic.save()
    assert 'data-testid="overdue-alert"' in look()


def test_a_product_renamed_shows_in_every_clinic(look, due_today):
    product = Product.objects.get(pk=due_today.current.product_id)
    look(kept=True)
    product.generic_name = "hydroxocobalamin (renamed)"
    product.save()
    assert "Hydroxocobalamin (renamed)" in look()


def test_a_change_made_while_the_list_was_built_is_on_the_next_look(
    due_today, clinic, nurse, monkeypatch, travel
):
    """The token is read before the doses: a list built from before a write is kept under the
    token the write replaced, so the next look builds again."""
    real = day_cache.day_list

    def built_then_given(**kwargs):
        listing = real(**kwargs)
        give_next(due_today, nurse, on=TODAY)
        return listing

    def due_count() -> int:
        return day_cache.rendered_day_list(
            clinic=clinic, day=TODAY, today=TODAY, next_query="", this_url=""
        ).due_count

    assert due_count() == 1
    day_cache.clinic_changed(clinic.pk)  # so that the next look builds the list
    monkeypatch.setattr(day_cache, "day_list", built_then_given)
    assert due_count() == 1  # as it was when it was read
    monkeypatch.setattr(day_cache, "day_list", real)
    assert due_count() == 0


def test_a_cleared_cache_never_brings_back_an_older_list(look, due_today, clinic):
    """A change that sent no signal, after the tokens were lost: nothing kept matches a new
    token, so the list is built again."""
    assert look(kept=True).count('data-testid="day-row"') == 1
    cache.delete_many([day_cache._CLINIC_TOKEN.format(clinic.pk), day_cache._EVERY_TOKEN])
    Dose.objects.filter(plan=due_today).update(status="cancelled", cancelled_reason="test")
    assert 'data-testid="day-row"' not in look()


@pytest.mark.django_db(transaction=True)
def test_the_token_moves_again_when_the_change_commits(clinic):
    """A list built inside the writing transaction, from its snapshot, is not served after it
    commits."""
    key = day_cache._CLINIC_TOKEN.format(clinic.pk)
    with transaction.atomic():
        day_cache.clinic_changed(clinic.pk)
        during = cache.get(key)
        assert during is not None
    assert cache.get(key) not in (None, during)
