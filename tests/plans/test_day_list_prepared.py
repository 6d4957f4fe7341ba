"""The day list's queries, compiled once and run as prepared statements on PostgreSQL, read
exactly what the ORM reads, on every day and for every clinic, as the data changes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Value

from b12clinic.core.prepared import CompiledQuery, StandIn, statement_name
from plans import day_list
from plans.models import Dose, DoseStatus
from plans.recording.not_given import dose_record_not_given
from tests.conftest import require_postgresql
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import at
from tests.plans.test_day_list import seed_day

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _needs_postgresql():
    require_postgresql("the prepared day-list queries")


def unordered(rows):  # the queries leave the order to the day list, which sorts the rows
    return sorted(rows, key=repr)


def orm_rows(clinic, day):
    return (
        unordered(day_list._open_query(clinic_id=clinic.pk, due_date__lte=day)),
        unordered(day_list._given_query(clinic_id=clinic.pk, day=day)),
        unordered(day_list._not_given_query(clinic_id=clinic.pk, day=day)),
    )


def prepared_rows(clinic, day):
    return (
        unordered(day_list._OPEN_UP_TO.rows(clinic_id=clinic.pk, day=day)),
        unordered(day_list._GIVEN_ON.rows(clinic_id=clinic.pk, day=day)),
        unordered(day_list._NOT_GIVEN_ON.rows(clinic_id=clinic.pk, day=day)),
    )


def prepared_here() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def day_list_statements() -> set[str]:
    queries = (day_list._OPEN_UP_TO, day_list._GIVEN_ON, day_list._NOT_GIVEN_ON)
    return {statement_name(query._compile("default")[0]) for query in queries}


def test_the_prepared_queries_read_what_the_orm_reads_as_the_day_changes(
    clinic, other_clinic, clinician, nurse
):
    seed_day(clinic, clinician, nurse, 6)
    other_clinic.staff.add(clinician, nurse)
    seed_day(other_clinic, clinician, nurse, 3, first=100)
    dose = Dose.objects.filter(plan__patient__clinic=clinic, status=DoseStatus.DUE).first()
    dose_record_not_given(dose=dose, by=nurse, reason="did_not_attend", now=at(TODAY, 10))

    for place in (clinic, other_clinic):
        for day in (
            TODAY - timedelta(days=7),
            TODAY - timedelta(days=3),
            TODAY,
            TODAY + timedelta(days=30),
        ):
            expected = orm_rows(place, day)
            assert prepared_rows(place, day) == expected, (place, day)
    today, friday = prepared_rows(clinic, TODAY), prepared_rows(clinic, TODAY - timedelta(days=3))
    assert len(today[0]) >= 6 and len(today[2]) == 1 and len(friday[1]) == 3
    # Other tests on this connection may have prepared statements of their own.
    assert day_list_statements() <= prepared_here()


def test_a_new_connection_prepares_the_statements_again(migration_data, clinic, clinician, nurse):
    seed_day(clinic, clinician, nurse, 4)
    before = prepared_rows(clinic, TODAY)

    connection.close()  # a worker's connection, recycled after CONN_MAX_AGE
    assert not day_list_statements() & prepared_here()

    assert prepared_rows(clinic, TODAY) == before
    assert day_list_statements() <= prepared_here()
    seed_day(clinic, clinician, nurse, 1, first=51)  # one more patient, overdue
    after = prepared_rows(clinic, TODAY)
    assert len(after[0]) > len(before[0]) and after == orm_rows(clinic, TODAY)


def test_a_value_that_does_not_reach_the_query_as_a_parameter_is_refused():
    folded = CompiledQuery(
        Dose,
        lambda clinic_id, day: (
            Dose.objects.filter(clinic_id=clinic_id)
            .annotate(shown=Value(str(day)))
            .values_list("pk")
        ),
        clinic_id=StandIn.uuid(1),
        day=StandIn.date(1),
    )

    with pytest.raises(ValueError, match="day"):
        folded.rows(clinic_id=StandIn.uuid(2), day=TODAY)


def test_the_recording_pages_dose_row_reads_what_the_orm_reads(
    clinic, other_clinic, clinician, nurse
):
    seed_day(clinic, clinician, nurse, 4)
    doses = list(Dose.objects.filter(plan__patient__clinic=clinic).order_by("due_date"))
    assert any(d.status == DoseStatus.DUE for d in doses)
    assert any(d.status != DoseStatus.DUE for d in doses)
    for dose in doses:
        expected = list(day_list._open_query(clinic_id=clinic.pk, pk=dose.pk))
        assert day_list._OPEN_ONE.rows(clinic_id=clinic.pk, dose_id=dose.pk) == expected
        assert bool(expected) == (dose.status == DoseStatus.DUE)
        # Another clinic's id finds nothing, as the ORM's query does.
        assert day_list._OPEN_ONE.rows(clinic_id=other_clinic.pk, dose_id=dose.pk) == []
        row = day_list.dose_row(dose=dose, day=TODAY)
        assert (row is not None) == bool(expected)
        if row is not None:
            assert row.dose.pk == dose.pk
