"""Results, rechecks, check-ins and the alerts they raise, through the services and pages."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.models import Alert, LabResult, Recheck, SymptomCheckIn
from monitoring.services.checkins import checkin_add
from monitoring.services.labs import Entry, lab_result_void, lab_results_add
from monitoring.services.rechecks import recheck_add, recheck_cancel
from plans.services.prescriptions import plan_stop
from tests.conftest import make_user
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import give_next, new_plan

D = Decimal
CALM = dict.fromkeys(["fatigue", "numbness", "weakness", "balance", "vision", "memory"], "none")


def add(patient, by, *entries, on=TODAY, today=None):
    return lab_results_add(
        patient=patient, entries=list(entries), collected_on=on, by=by, today=today or on
    )


def test_values_are_converted_and_both_forms_kept(patient, clinician):
    b12, hb = add(
        patient,
        clinician,
        Entry("b12", D("150"), "pg/mL"),
        Entry("hb", D("9.8"), "g/dL"),
    )
    b12.refresh_from_db()
    assert (b12.value_entered, b12.unit_entered, b12.value) == (D("150"), "pg/mL", D("110.7"))
    assert (b12.flag, b12.band) == ("low", "deficient")
    assert b12.display_value == "150 pg/mL"
    assert (hb.value, hb.flag) == (D("98"), "low")
    assert b12.sample == hb.sample


def test_an_implausible_value_saves_nothing_and_says_why(patient, clinician):
    with pytest.raises(ValidationError) as error:
        add(patient, clinician, Entry("mcv", D("90"), "fL"), Entry("hb", D("1400"), "g/L"))
    assert error.value.message_dict["hb"] == [
        "Haemoglobin 1400 g/L is outside 30–250 g/L; was this entered in the wrong unit?"
    ]
    assert LabResult.objects.count() == 0


@pytest.mark.parametrize(
    "entry, on, field, message",
    [
        (Entry("hb", D("-4"), "g/L"), TODAY, "hb", "A result cannot be negative."),
        (Entry("hb", D("120"), "mg/dL"), TODAY, "hb_unit", "is not accepted in “mg/dL”"),
        (Entry("hb", None, "g/L"), TODAY, "hb", "Enter a number."),
        (Entry("ifab", qualitative="maybe"), TODAY, "ifab", "Choose negative, positive"),
        (Entry("hb", D("120")), TODAY + timedelta(1), "collected_on", "in the future"),
        (Entry("hb", D("120")), date(1950, 1, 1), "collected_on", "before the date of birth"),
        (
            Entry("hb", D("120"), "g/L", lab_low=D("150"), lab_high=D("110")),
            TODAY,
            "hb_low",
            "lower limit is above its upper limit",
        ),
    ],
)
def test_bad_input_gets_a_message_on_its_field(patient, clinician, entry, on, field, message):
    with pytest.raises(ValidationError) as error:
        lab_results_add(
            patient=patient, entries=[entry], collected_on=on, by=clinician, today=TODAY
        )
    assert message in " ".join(error.value.message_dict[field])
    assert LabResult.objects.count() == 0


def test_staff_of_another_clinic_cannot_add_results(patient, outsider):
    with pytest.raises(ValidationError):
        add(patient, outsider, Entry("hb", D("120"), "g/L"))
    assert LabResult.objects.count() == 0


def test_the_laboratory_range_overrides_the_default_and_sex_matters(patient, clinician):
    (own,) = add(patient, clinician, Entry("hb", D("125"), "g/L", lab_low=D(130), lab_high=D(170)))
    assert (own.flag, own.display_range) == ("low", "130–170 (laboratory)")
    (default,) = add(patient, clinician, Entry("hb", D("125"), "g/L"))
    assert (default.flag, default.display_range) == ("normal", "120–160")
    patient.sex = "male"
    patient.save()
    (male,) = add(patient, clinician, Entry("hb", D("125"), "g/L"))
    assert male.flag == "low"


def test_a_clinic_can_change_a_range(patient, clinician, clinic):
    from monitoring.models import LabTest, ReferenceRange

    ReferenceRange.objects.create(
        test=LabTest.objects.get(code="mcv"), clinic=clinic, low=82, high=98
    )
    (result,) = add(patient, clinician, Entry("mcv", D("99"), "fL"))
    assert result.flag == "high"


def test_range_constraints_hold_in_the_database(clinic):
    from monitoring.models import LabTest, ReferenceRange

    with pytest.raises(IntegrityError), transaction.atomic():
        ReferenceRange.objects.create(test=LabTest.objects.get(code="mcv"), low=100, high=80)


def test_a_result_row_must_be_numeric_or_qualitative(patient, clinician):
    from monitoring.models import LabTest

    with pytest.raises(IntegrityError), transaction.atomic():
        LabResult.objects.create(
            patient=patient,
            test=LabTest.objects.get(code="hb"),
            sample="00000000-0000-0000-0000-000000000001",
            collected_on=TODAY,
            entered_by=clinician,
        )


def test_critical_result_raises_an_urgent_alert(patient, clinician):
    add(patient, clinician, Entry("potassium", D("2.7"), "mmol/L"))
    alert = Alert.objects.get(kind="critical_result")
    assert alert.severity == "urgent"
    assert alert.title == "Critical potassium: 2.7 mmol/L"


def test_plan_creates_rechecks_and_results_complete_them(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    kinds = set(plan.rechecks.values_list("kind", flat=True))
    assert kinds == {"baseline", "retics_day7", "fbc_8w", "symptom_review_3m", "fbc_yearly"}
    assert not plan.rechecks.filter(kind="serum_b12").exists()

    retics = plan.rechecks.get(kind="retics_day7")
    assert retics.state(TODAY + timedelta(5)) == "pending"
    assert retics.state(TODAY + timedelta(8)) == "due"
    assert retics.state(TODAY + timedelta(11)) == "overdue"
    day8 = TODAY + timedelta(8)
    add(patient, nurse, Entry("retic_pct", D("3.2"), "%"), on=day8)
    retics.refresh_from_db()
    assert (retics.status, retics.done_on) == ("done", day8)
    # Outside its window a result does not complete the 8-week blood count.
    add(patient, nurse, Entry("hb", D("120")), Entry("mcv", D("90")), on=day8)
    assert plan.rechecks.get(kind="fbc_8w").status == "pending"


def test_serum_b12_recheck_when_the_clinic_opts_in(patient, clinician, clinic):
    clinic.recheck_serum_b12 = True
    clinic.save()
    plan = new_plan(patient, clinician)
    b12 = plan.rechecks.get(kind="serum_b12")
    assert "advises against retesting" in b12.caveat


def test_severe_baseline_anaemia_plans_potassium(patient, clinician):
    plan = new_plan(patient, clinician)
    add(patient, clinician, Entry("hb", D("75"), "g/L"), on=TODAY)
    potassium = plan.rechecks.get(kind="potassium_48h")
    assert potassium.due_date == TODAY + timedelta(days=2)
    add(patient, clinician, Entry("hb", D("74"), "g/L"), on=TODAY)
    assert plan.rechecks.filter(kind="potassium_48h").count() == 1


def test_low_potassium_early_on_raises_an_urgent_alert(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    give_next(plan, nurse)
    add(patient, clinician, Entry("potassium", D("3.1")), on=TODAY + timedelta(1))
    alert = Alert.objects.get(kind="low_potassium")
    assert alert.severity == "urgent" and alert.plan == plan
    assert "day 1" in alert.title


def test_ifab_after_an_injection_is_saved_with_a_warning(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    give_next(plan, nurse)
    (ifab,) = add(
        patient, clinician, Entry("ifab", qualitative="positive"), on=TODAY + timedelta(3)
    )
    assert ifab.flag == "positive"
    assert "Drawn 3 days after an injection" in ifab.warnings[0]
    (same_day,) = add(patient, clinician, Entry("ifab", qualitative="negative"), on=TODAY)
    assert "unless it was drawn before the dose" in same_day.warnings[0]
    before = TODAY - timedelta(days=1)
    (clean,) = add(patient, clinician, Entry("ifab", qualitative="negative"), on=before)
    assert clean.warnings == []


def test_void_keeps_the_original_and_history(patient, clinician):
    (result,) = add(patient, clinician, Entry("hb", D("98")))
    with pytest.raises(ValidationError):
        lab_result_void(result=result, by=clinician, reason=" ", today=TODAY)
    void = lab_result_void(
        result=result, by=clinician, reason="Wrong patient's sample", today=TODAY
    )
    assert void.replaces == result and void.is_void
    assert LabResult.objects.count() == 2
    result.refresh_from_db()
    assert result.value == D("98")
    with pytest.raises(ValidationError):
        lab_result_void(result=result, by=clinician, reason="again", today=TODAY)


def test_worse_nerve_symptoms_alert_the_clinician_the_same_day(patient, clinician, nurse, client):
    plan = new_plan(patient, clinician)
    checkin_add(
        patient=patient,
        answers=CALM | {"numbness": "worse"},
        on=TODAY + timedelta(10),
        by=nurse,
        today=TODAY + timedelta(10),
    )
    alert = Alert.objects.get(kind="neuro_worse")
    assert alert.severity == "urgent" and alert.plan == plan
    client.force_login(clinician)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Nerve symptoms worse: numbness or tingling" in page


def test_checkin_completes_the_symptom_review_and_refuses_bad_answers(patient, clinician):
    plan = new_plan(patient, clinician)
    with pytest.raises(ValidationError) as error:
        checkin_add(
            patient=patient,
            answers=CALM | {"vision": "dunno"},
            on=TODAY,
            by=clinician,
            today=TODAY,
        )
    assert "vision" in error.value.message_dict
    assert SymptomCheckIn.objects.count() == 0
    review_day = TODAY + timedelta(days=90)
    checkin_add(patient=patient, answers=CALM, on=review_day, by=clinician, today=review_day)
    assert plan.rechecks.get(kind="symptom_review_3m").status == "done"


def test_inadequate_response_raises_an_alert(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    add(patient, clinician, Entry("hb", D("85")), Entry("retic_pct", D("0.8")), on=TODAY)
    give_next(plan, nurse)
    day9 = TODAY + timedelta(days=9)
    add(patient, clinician, Entry("retic_pct", D("0.7")), on=day9)
    alert = Alert.objects.get(kind="inadequate_response")
    assert alert.severity == "warning"
    assert "Reticulocytes did not rise" in alert.detail


def test_rechecks_cancel_and_add_and_end_with_the_plan(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    baseline = plan.rechecks.get(kind="baseline")
    with pytest.raises(ValidationError):
        recheck_cancel(recheck=baseline, by=nurse, reason="no")
    recheck_cancel(recheck=baseline, by=clinician, reason="Bloods done at the GP")
    baseline.refresh_from_db()
    assert baseline.status == "cancelled" and baseline.cancelled_by == clinician
    added = recheck_add(
        plan=plan, kind="serum_b12", due=TODAY + timedelta(60), by=clinician, today=TODAY
    )
    assert added.opens == TODAY + timedelta(53)
    with pytest.raises(ValidationError):
        recheck_add(
            plan=plan, kind="serum_b12", due=TODAY + timedelta(60), by=clinician, today=TODAY
        )
    plan_stop(plan=plan, by=clinician, reason="Moved away", today=TODAY)
    assert not plan.rechecks.filter(status="pending").exists()


# --- Pages ----------------------------------------------------------------------------------


def test_result_entry_page_saves_several_tests(patient, nurse, client):
    client.force_login(nurse)
    url = reverse("monitoring:lab_new", args=[patient.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "collected_on": TODAY.isoformat(),
            "hb": "10.2",
            "hb_unit": "g/dL",
            "mcv": "108",
            "mcv_unit": "fL",
            "b12": "",
            "ifab": "negative",
        },
    )
    assert response.status_code == 302
    assert LabResult.objects.filter(patient=patient).count() == 3
    page = client.get(reverse("monitoring:labs", args=[patient.pk])).content.decode()
    assert "10.2 g/dL" in page and "102 g/L" in page
    assert "<svg" in page


def test_result_entry_page_shows_errors_on_fields_and_keeps_input(patient, nurse, client):
    client.force_login(nurse)
    response = client.post(
        reverse("monitoring:lab_new", args=[patient.pk]),
        {"collected_on": TODAY.isoformat(), "hb": "1400", "hb_unit": "g/L", "mcv": "abc"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a number." in page
    assert LabResult.objects.count() == 0
    response = client.post(
        reverse("monitoring:lab_new", args=[patient.pk]),
        {"collected_on": TODAY.isoformat(), "hb": "1400", "hb_unit": "g/L"},
    )
    page = response.content.decode()
    assert "outside 30–250 g/L; was this entered in the wrong unit?" in page
    assert 'value="1400"' in page
    empty = client.post(
        reverse("monitoring:lab_new", args=[patient.pk]), {"collected_on": TODAY.isoformat()}
    )
    assert "Enter at least one result." in empty.content.decode()


def test_another_clinics_patient_is_not_found(patient, outsider, client):
    client.force_login(outsider)
    for name in ("monitoring:labs", "monitoring:lab_new", "monitoring:checkin_new"):
        assert client.get(reverse(name, args=[patient.pk])).status_code == 404
    response = client.post(
        reverse("monitoring:lab_new", args=[patient.pk]),
        {"collected_on": TODAY.isoformat(), "hb": "120"},
    )
    assert response.status_code == 404
    assert LabResult.objects.count() == 0


def test_patients_and_anonymous_visitors_are_kept_out(patient, patient_user, client):
    url = reverse("monitoring:labs", args=[patient.pk])
    assert client.get(url).status_code == 302
    client.force_login(patient_user)
    assert client.get(url).status_code == 403


def test_results_page_query_count_does_not_grow_with_results(patient, clinician, client):
    plan = new_plan(patient, clinician)
    client.force_login(clinician)
    url = reverse("monitoring:labs", args=[patient.pk])
    add(patient, clinician, Entry("hb", D("90")), Entry("mcv", D("110")), on=TODAY)

    client.get(url)  # warm: the second-factor requirement is then cached for a minute

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    for week in range(1, 9):
        day = TODAY + timedelta(weeks=week)
        add(
            patient,
            clinician,
            Entry("hb", D(90 + week * 5)),
            Entry("mcv", D(110 - week)),
            Entry("retic_pct", D("2.0")),
            Entry("b12", D("400")),
            on=day,
        )
        checkin_add(patient=patient, answers=CALM, on=day, by=clinician, today=day)
    assert plan.rechecks.exists()
    assert count() == few


def test_checkin_page_from_the_day_list_returns_there(patient, clinician, nurse, client):
    plan = new_plan(patient, clinician)
    dose = plan.doses.order_by("due_date").first()
    client.force_login(nurse)
    url = reverse("monitoring:checkin_new", args=[patient.pk]) + f"?dose={dose.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"on_date": date.today().isoformat(), **CALM, "dose": dose.pk})
    assert response.status_code == 302 and response["Location"] == reverse("plans:today")
    assert SymptomCheckIn.objects.get().dose == dose


def test_plan_page_lists_rechecks_and_the_clinician_can_mark_one_not_needed(
    patient, clinician, client
):
    plan = new_plan(patient, clinician)
    client.force_login(clinician)
    page = client.get(reverse("monitoring:plan_detail", args=[plan.pk])).content.decode()
    assert "Reticulocytes at day 7–10" in page
    recheck = plan.rechecks.get(kind="fbc_yearly")
    url = reverse("monitoring:recheck_cancel", args=[recheck.pk])
    assert "This field is required." in client.post(url, {"reason": ""}).content.decode()
    assert client.post(url, {"reason": "Done by GP yearly"}).status_code == 302
    assert Recheck.objects.get(pk=recheck.pk).status == "cancelled"


def test_one_open_inadequate_response_alert_per_plan(patient, clinician, nurse):
    from django.utils import timezone

    from monitoring.services.alerts import alert_acknowledge

    plan = new_plan(patient, clinician)
    add(patient, clinician, Entry("hb", D("85")), Entry("retic_pct", D("0.8")), on=TODAY)
    give_next(plan, nurse)
    add(patient, clinician, Entry("retic_pct", D("0.7")), on=TODAY + timedelta(9))
    add(patient, clinician, Entry("hb", D("88")), on=TODAY + timedelta(20))
    alert = Alert.objects.get(kind="inadequate_response")
    alert_acknowledge(alert=alert, by=clinician, note="Folate started", now=timezone.now())
    add(patient, clinician, Entry("hb", D("90")), on=TODAY + timedelta(30))
    assert Alert.objects.filter(kind="inadequate_response").count() == 2
    assert Alert.objects.filter(kind="inadequate_response", acknowledged_at=None).count() == 1


def test_a_clinic_admin_sets_the_clinics_range_in_admin(client, clinic_admin, clinic, patient):
    from monitoring.models import LabTest, ReferenceRange

    mcv = LabTest.objects.get(code="mcv")
    client.force_login(clinic_admin)
    add_url = reverse("admin:monitoring_referencerange_add")
    page = client.get(add_url).content.decode()
    assert clinic.name in page
    response = client.post(
        add_url, {"test": mcv.pk, "clinic": clinic.pk, "sex": "", "low": "82", "high": "98"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    listing = client.get(reverse("admin:monitoring_referencerange_changelist")).content.decode()
    assert "82" in listing
    # The default ranges are not the clinic admin's to change.
    default = ReferenceRange.objects.get(test=mcv, clinic=None)
    assert (
        client.get(reverse("admin:monitoring_referencerange_change", args=[default.pk])).status_code
        == 302
    )
    (judged,) = add(patient, make_user("erin", "clinician", clinic=clinic), Entry("mcv", D(99)))
    assert judged.flag == "high"


def test_first_course_rechecks_lapse_with_a_reason_and_stay_in_the_history(
    client, patient, clinician
):
    """Defect: a maintenance patient a year in showed four first-course rechecks overdue
    since the year before, on the dashboard and in his written schedule."""
    from monitoring.documents.schedule import schedule_document
    from monitoring.services.rechecks import rechecks_lapse
    from tests.plans.recording_helpers import at

    plan = new_plan(patient, clinician, "uk_prophylaxis")
    year_on = TODAY + timedelta(days=400)
    assert plan.rechecks.count() == 5

    assert rechecks_lapse(now=at(year_on)) == 4
    lapsed = plan.rechecks.filter(status="lapsed").order_by("due_date")
    assert [r.kind for r in lapsed] == ["baseline", "retics_day7", "fbc_8w", "symptom_review_3m"]
    retics = lapsed.get(kind="retics_day7")
    assert retics.lapsed_on == year_on
    assert retics.lapsed_reason.startswith("Lapsed: the window closed on 15 Jan 2026")
    assert plan.rechecks.count() == 5, "nothing is deleted"
    assert rechecks_lapse(now=at(year_on)) == 0

    with time_machine.travel(at(year_on), tick=False):
        client.force_login(clinician)
        dashboard = client.get("/dashboard/").content.decode()
        page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "Reticulocytes at day 7" not in dashboard
    assert "Yearly blood count" in dashboard  # still wanted, and overdue by now
    assert "Lapsed: the window closed on 15 Jan 2026" in page
    labs = {line.kind for line in schedule_document(plan=plan, today=year_on).labs}
    assert labs == {"fbc_yearly"}


def test_a_recheck_past_its_lapse_date_drops_off_before_the_nightly_run(client, patient, clinician):
    from tests.plans.recording_helpers import at

    new_plan(patient, clinician, "uk_prophylaxis")
    with time_machine.travel(at(TODAY + timedelta(days=20)), tick=False):
        client.force_login(clinician)
        dashboard = client.get("/dashboard/").content.decode()
    assert "Reticulocytes at day 7" not in dashboard  # lapsed on day 14
    assert "Baseline bloods" in dashboard  # overdue until day 28


def test_overdue_baseline_bloods_say_what_they_are_waiting_for(client, patient, clinician):
    from tests.plans.recording_helpers import at

    plan = new_plan(patient, clinician, "uk_standard")
    add(
        patient,
        clinician,
        Entry("hb", D(95)),
        Entry("mcv", D(108)),
        Entry("retic_pct", D("0.9")),
        Entry("b12", D(90)),
        Entry("folate", D(6)),
        Entry("ferritin", D(50)),
    )
    with time_machine.travel(at(TODAY + timedelta(days=3)), tick=False):
        client.force_login(clinician)
        page = client.get(f"/plans/{plan.pk}/").content.decode()
        dashboard = client.get("/dashboard/").content.decode()
    assert "waiting for: intrinsic factor antibody" in page
    assert "waiting for: intrinsic factor antibody" in dashboard


def test_the_dashboard_gives_the_year_of_a_window_that_closed_last_year(client, patient, clinician):
    """Defect: the dashboard showed "window closed 29 Nov" for a window of the year before."""
    from tests.plans.recording_helpers import at

    new_plan(patient, clinician, "uk_prophylaxis", start=date(2026, 12, 20))
    with time_machine.travel(at(date(2027, 1, 5)), tick=False):
        client.force_login(clinician)
        dashboard = client.get("/dashboard/").content.decode()
    assert "Baseline bloods (window closed 20 Dec 2026)" in dashboard


def test_no_response_is_judged_before_the_first_injection(patient, clinician):
    """Found by the simulation: a patient prescribed but not yet injected was flagged as not
    responding from a count taken eight days after the plan's start date."""
    new_plan(patient, clinician)
    add(patient, clinician, Entry("hb", D("85")), Entry("retic_pct", D("0.8")), on=TODAY)
    add(patient, clinician, Entry("retic_pct", D("0.7")), on=TODAY + timedelta(days=8))
    assert not Alert.objects.filter(kind="inadequate_response").exists()


def test_rechecks_after_treatment_follow_the_first_injection_when_it_comes_late(
    patient, clinician, nurse
):
    """The reticulocyte check is for days 7-10 after the first injection: a first dose given
    three weeks after the plan's start moves it, and the later ones, with it."""
    plan = new_plan(patient, clinician, "uk_prophylaxis")
    dose = plan.doses.order_by("due_date").first()
    late = TODAY + timedelta(days=21)
    give_next(plan, nurse, on=late)
    dose.refresh_from_db()
    assert dose.given_on == late
    by_kind = {r.kind: r for r in plan.rechecks.all()}
    retics = by_kind["retics_day7"]
    assert (retics.opens, retics.due_date, retics.closes) == (
        late + timedelta(days=7),
        late + timedelta(days=10),
        late + timedelta(days=10),
    )
    assert retics.lapses_on == late + timedelta(days=14)
    assert by_kind["fbc_8w"].due_date == late + timedelta(weeks=8)
    assert by_kind["baseline"].due_date == TODAY, "baseline bloods stay before treatment"
    first = plan.rechecks.count()
    give_next(plan, nurse)  # later doses move nothing
    assert plan.rechecks.count() == first
    assert plan.rechecks.get(kind="retics_day7").due_date == late + timedelta(days=10)


def test_a_plan_paused_and_prescribed_again_continues_the_course(patient, clinician, nurse):
    """Found by the long simulation: the new plan's first week was judged as a fresh start,
    with a reticulocyte count from the first course as its baseline."""
    plan = new_plan(patient, clinician, "us_label")
    add(patient, clinician, Entry("hb", D("85")), Entry("retic_pct", D("0.8")), on=TODAY)
    for _ in range(7):
        give_next(plan, nurse)
    add(patient, clinician, Entry("retic_pct", D("3.9")), on=TODAY + timedelta(days=6))
    plan_stop(plan=plan, by=clinician, reason="Away for a month", today=TODAY + timedelta(days=7))
    again = new_plan(patient, clinician, "uk_prophylaxis", start=TODAY + timedelta(days=40))
    give_next(again, nurse)
    add(patient, clinician, Entry("retic_pct", D("1.0")), on=TODAY + timedelta(days=47))
    assert not Alert.objects.filter(kind="inadequate_response").exists()
