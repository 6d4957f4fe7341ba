"""Clinician alerts: raised once, listed urgent first, acknowledged with a note and kept."""

from datetime import date, timedelta

import pytest
import time_machine

from monitoring.models import Alert
from monitoring.services.alerts import alerts_raise_overdue
from tests.conftest import make_user
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import at, give_next, new_plan

pytestmark = pytest.mark.django_db


def test_overdue_neurological_or_pernicious_anaemia_patients_raise_one_alert_each(
    patient, clinician, nurse, clinic
):
    from b12clinic.core.models import Patient

    dietary = Patient.objects.create(
        clinic=clinic,
        record_number="RX2",
        given_name="Di",
        family_name="Et",
        date_of_birth=date(1970, 1, 1),
    )
    new_plan(patient, clinician, "uk_prophylaxis")  # pernicious anaemia
    new_plan(dietary, clinician, "uk_prophylaxis", cause="dietary")
    later = TODAY + timedelta(days=clinic.overdue_alert_days + 1)

    assert alerts_raise_overdue(now=at(TODAY + timedelta(days=clinic.overdue_alert_days))) == 0
    assert alerts_raise_overdue(now=at(later)) == 1
    assert alerts_raise_overdue(now=at(later + timedelta(days=1))) == 0

    alert = Alert.objects.get()
    assert alert.patient == patient
    assert alert.severity == "warning"
    assert alert.title == "Injection overdue by 8 days (pernicious anaemia)"


def test_the_dashboard_lists_urgent_alerts_first_and_acknowledging_keeps_them(
    client, patient, clinician, nurse, other_clinic
):
    plan = new_plan(patient, clinician, "uk_neurological")
    alerts_raise_overdue(now=at(TODAY + timedelta(days=30)))  # neurological: urgent
    give_next(plan, nurse, outcome="allergic_reaction", allergy="Hydroxocobalamin")
    client.force_login(clinician)

    page = client.get("/dashboard/").content.decode()
    assert page.count('data-testid="alert"') == 2
    urgent = [a for a in Alert.objects.all() if a.severity == "urgent"]
    assert len(urgent) == 2

    alert = Alert.objects.get(kind="allergic_reaction")
    empty = client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": ""})
    assert "This field is required" in empty.content.decode()
    client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": "Called patient; antihistamine."})

    alert.refresh_from_db()
    assert alert.acknowledged_by == clinician
    assert alert.acknowledgement_note == "Called patient; antihistamine."
    assert client.get("/dashboard/").content.decode().count('data-testid="alert"') == 1
    # The acknowledged alert is still there, with who and why.
    assert Alert.objects.count() == 2

    stranger = make_user("cleo", "clinician", clinic=other_clinic)
    client.force_login(stranger)
    assert 'data-testid="alert"' not in client.get("/dashboard/").content.decode()
    assert client.get(f"/alerts/{alert.pk}/acknowledge/").status_code == 404
    client.force_login(nurse)
    assert client.get(f"/alerts/{alert.pk}/acknowledge/").status_code == 403


def test_the_dashboard_runs_the_same_queries_for_one_alert_and_for_many(
    client, patient, clinician, clinic
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from monitoring.models import AlertKind, Severity
    from monitoring.services.alerts import alert_raise

    def raise_alerts(count: int, first: int) -> None:
        for n in range(first, first + count):
            alert_raise(
                patient=patient,
                kind=AlertKind.OVERDUE_INJECTION,
                severity=Severity.URGENT if n % 2 else Severity.WARNING,
                title=f"Alert {n}",
                key=f"test:{n}",
            )

    client.force_login(clinician)
    raise_alerts(1, 0)
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as one:
        page = client.get("/dashboard/").content.decode()
    assert page.count('data-testid="alert"') == 1
    raise_alerts(9, 1)
    with CaptureQueriesContext(connection) as ten:
        page = client.get("/dashboard/").content.decode()
    assert page.count('data-testid="alert"') == 10
    assert page.index("Alert 9") < page.index("Alert 8")  # urgent before warning
    assert len(one) == len(ten)


def test_the_hourly_overdue_task_counts_days_in_each_clinics_own_zone(patient, clinician, clinic):
    """Defect: the task judged every clinic by the server's date. At 11:30 in London on
    12 January it is already 13 January in Auckland, the eighth day of a dose due on the 5th."""
    import time_machine

    from monitoring.tasks import raise_overdue_alerts
    from tests.plans.recording_helpers import at

    clinic.time_zone = "Pacific/Auckland"
    clinic.save()
    new_plan(patient, clinician, "uk_prophylaxis")  # pernicious anaemia, first dose due TODAY
    assert date(2026, 1, 5) == TODAY

    with time_machine.travel(at(date(2026, 1, 12), 11, 30), tick=False):
        assert raise_overdue_alerts() == 1
    assert Alert.objects.get().title == "Injection overdue by 8 days (pernicious anaemia)"


def test_the_dashboard_runs_the_same_queries_for_one_overdue_recheck_and_for_many(
    client, clinician, clinic
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from b12clinic.core.models import Patient

    def patients_with_overdue_baselines(count: int, first: int) -> None:
        for n in range(first, first + count):
            patient = Patient.objects.create(
                clinic=clinic,
                record_number=f"OV{n}",
                given_name=f"Given{n}",
                family_name=f"Overdue{n}",
                date_of_birth=date(1960, 1, 1),
            )
            new_plan(patient, clinician, "uk_prophylaxis", start=TODAY - timedelta(days=3))

    patients_with_overdue_baselines(1, 0)
    with time_machine.travel(at(TODAY), tick=False):
        client.force_login(clinician)
        client.get("/dashboard/")
        with CaptureQueriesContext(connection) as one:
            page = client.get("/dashboard/").content.decode()
        assert page.count("Baseline bloods (window closed") == 1
        patients_with_overdue_baselines(9, 1)
        with CaptureQueriesContext(connection) as ten:
            page = client.get("/dashboard/").content.decode()
    assert page.count("Baseline bloods (window closed") == 10
    assert page.count("waiting for: haemoglobin") == 10
    assert len(one) == len(ten)
