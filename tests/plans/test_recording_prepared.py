"""Recording a dose reads through queries compiled once and run as prepared statements on
PostgreSQL (the locks, the checks, re-planning, the reminder sync, the stock offered): each
reads exactly what the ORM's own query reads, for every dose of a plan with a history of
given, not-given, voided and corrected records; and a give or a void post runs in a bounded
number of queries."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from monitoring.models import Recheck
from monitoring.reminders import planning
from plans import materialise
from plans.models import Administration, Dose, DoseStatus
from plans.recording import reads
from plans.recording.corrections import administration_amend, administration_void
from plans.recording.not_given import dose_record_not_given
from plans.stock import selectors
from tests.conftest import fields_of, require_postgresql
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import at, give_next, new_plan, open_doses
from tests.plans.test_day_list import make_patient
from tests.plans.test_stock import add

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _needs_postgresql():
    require_postgresql("the prepared recording queries")


@pytest.fixture
def history(clinic, clinician, nurse):
    """A plan four doses in: given, corrected; given; not given; given, voided and given
    again. And a second plan, of another patient, that must never be read."""
    plan = new_plan(make_patient(clinic, clinician, 1), clinician, "uk_standard")
    first = give_next(plan, nurse)
    administration_amend(
        administration=first,
        by=clinician,
        reason="Wrong side",
        now=at(first.given_on, 13),
        side="right",
    )
    give_next(plan, nurse)
    dose = open_doses(plan)[0]
    dose_record_not_given(dose=dose, by=nurse, reason="did_not_attend", now=at(dose.due_date))
    voided = give_next(plan, nurse)
    administration_void(
        administration=voided, by=nurse, reason="Wrong patient", now=at(voided.given_on, 14)
    )
    give_next(plan, nurse)
    other = new_plan(make_patient(clinic, clinician, 2), clinician, "uk_standard")
    give_next(other, nurse)
    return plan


def same_objects(query, related, **values):
    expected = list(query.build(**values))
    got = query.objects(**values)
    assert [fields_of(o) for o in got] == [fields_of(o) for o in expected], values
    for mine, theirs in zip(got, expected, strict=True):
        for path in related:
            a, b = mine, theirs
            for name in path.split("__"):
                a, b = getattr(a, name), getattr(b, name)
            assert fields_of(a) == fields_of(b), (path, values)
    return got


def same_rows(query, **values):
    expected = [tuple(row) for row in query.build(**values)]
    got = [tuple(row) for row in query.rows(**values)]
    assert got == expected, values
    return got


def test_the_recording_reads_are_the_orms_for_every_dose_of_a_plan(history):
    doses = list(history.doses.order_by("due_date"))
    found = {"head": 0, "earlier": 0, "previous": 0, "later": 0, "other": 0}
    with transaction.atomic():  # the locking reads must run inside one, as the services do
        same_objects(reads.LOCK_PLAN, ["current__product", "patient__clinic"], plan=history.pk)
        for dose in doses:
            same_objects(reads.LOCK_DOSE, ["phase"], dose=dose.pk)
            found["head"] += len(
                same_objects(reads.HEAD, ["given_by", "recorded_by"], dose=dose.pk)
            )
            same_objects(reads.LOCK_HEAD, [], dose=dose.pk)
            found["earlier"] += len(
                same_objects(reads.EARLIER_OPEN, [], plan=history.pk, due=dose.due_date)
            )
            for query, key in ((reads.PREVIOUS_GIVEN_ON, "previous"), (reads.NEXT_DONE, "later")):
                found[key] += len(
                    same_rows(query, plan=history.pk, dose=dose.pk, due=dose.due_date)
                )
            found["other"] += len(same_rows(reads.OTHER_GIVEN, plan=history.pk, dose=dose.pk))
        same_rows(reads.NEXT_OPEN, plan=history.pk)
    # Each read found something for some dose, and nothing for others (three doses are given,
    # so every dose has another given).
    other = found.pop("other")
    assert all(0 < n < len(doses) for n in found.values()) and other == len(doses), found
    # The head of the voided-then-given dose is its third record, not the void or the first.
    given_again = Administration.objects.filter(replaces__is_void=True).get()
    assert reads.first(reads.HEAD, dose=given_again.dose_id).pk == given_again.pk
    assert len(doses) > 6


def test_replanning_and_the_reminder_sync_read_what_the_orm_reads(history):
    phases = same_objects(materialise._PHASES, [], version=history.current_id)
    assert len(phases) >= 2
    doses = same_objects(materialise._LIVE_DOSES, ["phase"], plan=history.pk)
    assert {d.status for d in doses} == {DoseStatus.GIVEN, DoseStatus.NOT_GIVEN, DoseStatus.DUE}
    patient = history.patient_id
    rechecks = Recheck.objects.filter(patient_id=patient)
    assert rechecks.exists()
    for days in (0, 20, 90, 400):
        until, since = TODAY + timedelta(days=days), TODAY + timedelta(days=days - 60)
        same_rows(planning._ONES_DOSES, patient=patient, until=until)
        same_rows(planning._ONES_RECHECKS, patient=patient, since=since, until=until)
    assert same_rows(planning._ONES_DOSES, patient=patient, until=TODAY + timedelta(days=400))
    assert same_rows(
        planning._ONES_RECHECKS,
        patient=patient,
        since=TODAY - timedelta(days=1),
        until=TODAY + timedelta(days=400),
    )


def test_the_stock_offered_and_the_batch_last_used_are_the_orms(
    history, clinic, other_clinic, nurse, hydroxo, cyano
):
    other_clinic.staff.add(nurse)
    add(clinic, nurse, hydroxo, "HX4417B")
    add(clinic, nurse, hydroxo, "HX9", expiry_days=10, received_days=-1)
    add(clinic, nurse, cyano, "CY1")
    add(other_clinic, nurse, hydroxo, "HX-ELSEWHERE")
    for product in (hydroxo, cyano):
        for day in (TODAY, TODAY + timedelta(days=20)):
            same_objects(
                selectors._GIVE_CHOICES, [], clinic=clinic.pk, product=product.pk, today=day
            )
        same_rows(selectors._LAST_BATCH, clinic=clinic.pk, product=product.pk)
    offered = selectors.give_choices(clinic=clinic, product=hydroxo, today=TODAY)
    assert [b.batch for b in offered] == ["HX9", "HX4417B"]  # the most recently received first
    later = selectors.give_choices(clinic=clinic, product=hydroxo, today=TODAY + timedelta(20))
    assert [b.batch for b in later] == ["HX4417B"]  # HX9 has expired by then
    assert selectors.last_used(clinic=clinic, product=hydroxo, among=offered).batch == "HX4417B"


def test_a_give_and_a_void_post_read_through_prepared_statements(
    clinic, clinician, nurse, time_machine
):
    time_machine.move_to(at(TODAY, 11))
    plan = new_plan(make_patient(clinic, clinician, 3), clinician, "uk_standard")
    dose = open_doses(plan)[0]
    client = Client()
    client.force_login(nurse)
    form = {
        "given_at": at(TODAY, 10).strftime("%Y-%m-%dT%H:%M"),
        "site": "deltoid",
        "side": "left",
        "stock_batch": "other",
        "batch": "HX4417B",
        "expiry": (TODAY + timedelta(days=200)).isoformat(),
        "identity_confirmed": "on",
        "allergies_checked": "on",
        "outcome": "none",
    }
    give_path = f"/doses/{dose.pk}/give/"

    def void_path():
        record = Administration.objects.get(dose=dose, replaced_by__isnull=True)
        return f"/administrations/{record.pk}/void/"

    reason = {"reason": "Recorded against the wrong patient"}

    # Once, so that this connection has prepared its statements, as a server's has.
    assert client.post(give_path, form).status_code == 302
    assert client.post(void_path(), reason).status_code == 302
    # Before the reads were compiled, 19 of a give post's 33 statements here were SELECTs the
    # ORM built for the request; now the session's user, the first dose's rechecks and the
    # reminders the sync locks (their keys vary in number) are left.
    with CaptureQueriesContext(connection) as given:
        response = client.post(give_path, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Dose.objects.get(pk=dose.pk).status == DoseStatus.GIVEN
    path = void_path()
    with CaptureQueriesContext(connection) as voided:
        response = client.post(path, reason)
    assert response.status_code == 302
    assert Dose.objects.get(pk=dose.pk).status == DoseStatus.DUE
    for captured, most, at_most_selects in ((given, 26, 3), (voided, 20, 2)):
        statements = [q["sql"] for q in captured.captured_queries]
        selects = [sql for sql in statements if sql.startswith("SELECT")]
        assert len(statements) <= most, statements
        assert len(selects) <= at_most_selects, selects
