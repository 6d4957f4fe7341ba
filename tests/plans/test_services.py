"""Plan services: what is saved, what is refused, and that a refusal saves nothing."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from plans.materialise import doses_extend, doses_reconcile
from plans.models import Dose, DoseStatus, Plan, PlanOverride, PlanStatus, PlanVersion
from plans.rules import dosing
from plans.services.patients import patient_create
from plans.services.prescriptions import plan_amend, plan_create, plan_end_loading, plan_stop
from tests.plans.conftest import TODAY, prescription

pytestmark = pytest.mark.django_db


def live_dates(plan: Plan) -> list[str]:
    return [
        d.isoformat()
        for d in plan.doses.exclude(status=DoseStatus.CANCELLED)
        .order_by("due_date")
        .values_list("due_date", flat=True)
    ]


def field_errors(error: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return error.value.message_dict


def test_prescribing_saves_version_one_and_materialises_twelve_months(patient, clinician):
    plan = plan_create(
        patient=patient, prescriber=clinician, prescription=prescription(), today=TODAY
    )
    assert plan.current.number == 1
    assert plan.current.dose_mcg == 1000
    assert live_dates(plan) == [
        "2026-01-05",
        "2026-01-07",
        "2026-01-09",
        "2026-01-12",
        "2026-01-14",
        "2026-01-16",
        "2026-04-16",
        "2026-07-16",
        "2026-10-16",
        "2027-01-18",  # 16 January 2027 is a Saturday: the clinic is open Monday to Friday
    ]


def test_extending_the_horizon_twice_creates_nothing_the_second_time(patient, clinician):
    plan = plan_create(
        patient=patient, prescriber=clinician, prescription=prescription(), today=TODAY
    )
    assert doses_extend(today=TODAY) == 0
    later = TODAY + timedelta(days=200)
    first = doses_extend(today=later)
    assert first > 0
    assert doses_extend(today=later) == 0
    # Three-monthly maintenance: the last dose falls in the final quarter of the horizon.
    assert live_dates(plan)[-1] > (later + timedelta(days=365 - 92)).isoformat()


def test_dose_in_wrong_unit_is_refused_on_the_dose_field_and_nothing_is_saved(
    patient, clinician, hydroxo
):
    bad = prescription(dose=dosing.parse_dose("1000 mg"))
    with pytest.raises(ValidationError) as error:
        plan_create(patient=patient, prescriber=clinician, prescription=bad, today=TODAY)
    assert "probable unit error" in " ".join(field_errors(error)["dose"])
    assert not Plan.objects.exists()
    assert not PlanVersion.objects.exists()
    assert not Dose.objects.exists()


def test_intravenous_route_is_refused_on_the_route_field(patient, clinician):
    with pytest.raises(ValidationError) as error:
        plan_create(
            patient=patient,
            prescriber=clinician,
            prescription=prescription(route=dosing.Route.IV),
            today=TODAY,
        )
    assert "intravenously" in " ".join(field_errors(error)["route"])


def test_off_licence_route_is_saved_only_with_a_reason_recorded_with_its_author(patient, clinician):
    off_licence = prescription(route=dosing.Route.SC)
    with pytest.raises(ValidationError) as error:
        plan_create(patient=patient, prescriber=clinician, prescription=off_licence, today=TODAY)
    assert "route_reason" in field_errors(error)

    reasoned = prescription(
        route=dosing.Route.SC, reasons={"route_outside_licence": "On anticoagulants"}
    )
    plan = plan_create(patient=patient, prescriber=clinician, prescription=reasoned, today=TODAY)
    override = PlanOverride.objects.get(version=plan.current)
    assert (override.code, override.reason, override.by) == (
        "route_outside_licence",
        "On anticoagulants",
        clinician,
    )


def test_cyanocobalamin_is_refused_for_a_patient_with_cobalt_sensitivity(patient, clinician):
    patient.cobalt_or_b12_sensitivity = True
    patient.save()
    with pytest.raises(ValidationError) as error:
        plan_create(
            patient=patient,
            prescriber=clinician,
            prescription=prescription("us_common"),
            today=TODAY,
        )
    assert "cobalt" in " ".join(field_errors(error)["product"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": TODAY - timedelta(days=90)}, "start_date"),
        ({"review_date": TODAY - timedelta(days=1)}, "review_date"),
    ],
)
def test_bad_dates_are_refused_on_their_field(patient, clinician, changes, field):
    with pytest.raises(ValidationError) as error:
        plan_create(
            patient=patient, prescriber=clinician, prescription=prescription(**changes), today=TODAY
        )
    assert field in field_errors(error)
    assert not Plan.objects.exists()


def test_maintenance_before_loading_is_refused_on_the_phase(patient, clinician):
    loading, maintenance = prescription().phases
    reordered = prescription(phases=(maintenance, loading))
    with pytest.raises(ValidationError) as error:
        plan_create(patient=patient, prescriber=clinician, prescription=reordered, today=TODAY)
    assert set(field_errors(error)) & {"phases.0.end", "phases.1.kind"}


def test_a_second_active_plan_is_refused(patient, clinician):
    plan_create(patient=patient, prescriber=clinician, prescription=prescription(), today=TODAY)
    with pytest.raises(ValidationError, match="already has an active plan"):
        plan_create(patient=patient, prescriber=clinician, prescription=prescription(), today=TODAY)
    assert Plan.objects.count() == 1


def test_the_database_refuses_two_active_plans_even_without_the_service(patient, clinician):
    Plan.objects.create(patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Plan.objects.create(patient=patient)


def test_a_clinician_of_another_clinic_cannot_prescribe(patient, outsider):
    with pytest.raises(ValidationError):
        plan_create(patient=patient, prescriber=outsider, prescription=prescription(), today=TODAY)
    assert not Plan.objects.exists()


def test_amending_keeps_given_doses_and_rebuilds_the_rest(patient, clinician):
    plan = plan_create(
        patient=patient, prescriber=clinician, prescription=prescription(), today=TODAY
    )
    first = plan.doses.order_by("due_date").first()
    Dose.objects.filter(pk=first.pk).update(status=DoseStatus.GIVEN, given_on=first.due_date)

    changed = prescription(dose=dosing.parse_dose("500 mcg"))
    version = plan_amend(
        plan=plan, by=clinician, prescription=changed, reason="Lower dose", today=TODAY
    )

    first.refresh_from_db()
    assert version.number == 2
    assert first.status == DoseStatus.GIVEN and first.phase.version.number == 1
    live = plan.doses.exclude(status=DoseStatus.CANCELLED).exclude(pk=first.pk)
    assert {d.phase.version.number for d in live} == {2}
    assert live.filter(phase__kind="loading").count() == 5, "six loading doses in all"
    assert PlanVersion.objects.filter(plan=plan).count() == 2


def test_an_amendment_keeps_every_dose_whose_date_does_not_change(patient, clinician):
    """Defect: every amendment made new phase rows, and doses were matched on phase row and
    sequence, so calendars showed unchanged doses cancelled and added again."""
    plan = plan_create(
        patient=patient, prescriber=clinician, prescription=prescription(), today=TODAY
    )
    before = dict(plan.doses.values_list("id", "due_date"))

    plan_amend(
        plan=plan,
        by=clinician,
        prescription=prescription(dose=dosing.parse_dose("500 mcg")),
        reason="Lower dose",
        today=TODAY,
    )

    assert not plan.doses.filter(status=DoseStatus.CANCELLED).exists()
    assert dict(plan.doses.values_list("id", "due_date")) == before
    assert set(plan.doses.values_list("phase__version__number", flat=True)) == {2}


def test_an_amendment_replaces_only_the_doses_whose_dates_change(patient, clinician):
    from plans.rules.schedule import EndRule, IntervalUnit, PhaseKind, PhaseRule

    plan = plan_create(
        patient=patient, prescriber=clinician, prescription=prescription(), today=TODAY
    )
    before = dict(plan.doses.values_list("due_date", "id"))
    loading = prescription().phases[0]
    two_monthly = PhaseRule(PhaseKind.MAINTENANCE, IntervalUnit.MONTHS, every=2, end=EndRule.NEVER)

    plan_amend(
        plan=plan,
        by=clinician,
        prescription=prescription(phases=(loading, two_monthly)),
        reason="Symptoms return before three months",
        today=TODAY,
    )

    live = dict(plan.doses.exclude(status=DoseStatus.CANCELLED).values_list("due_date", "id"))
    kept = {day for day in live if before.get(day) == live[day]}
    assert kept == set(before) & set(live)
    assert date(2026, 7, 16) in kept  # on both the three-monthly and the two-monthly cadence
    cancelled = set(
        plan.doses.filter(status=DoseStatus.CANCELLED).values_list("due_date", flat=True)
    )
    assert cancelled == set(before) - set(live)
    assert {date(2026, 4, 16), date(2026, 10, 16)} <= cancelled


def test_amending_needs_a_reason(patient, clinician):
    plan = plan_create(
        patient=patient, prescriber=clinician, prescription=prescription(), today=TODAY
    )
    with pytest.raises(ValidationError) as error:
        plan_amend(plan=plan, by=clinician, prescription=prescription(), reason=" ", today=TODAY)
    assert "reason" in field_errors(error)


def test_reconcile_twice_changes_nothing(patient, clinician):
    plan = plan_create(
        patient=patient, prescriber=clinician, prescription=prescription(), today=TODAY
    )
    plan.refresh_from_db()
    result = doses_reconcile(plan=plan, today=TODAY, cancel_reason="test")
    assert (result.created, result.moved, result.cancelled) == (0, 0, 0)


def test_stopping_cancels_future_doses_and_keeps_given_ones(patient, clinician):
    plan = plan_create(
        patient=patient, prescriber=clinician, prescription=prescription(), today=TODAY
    )
    given = plan.doses.order_by("due_date").first()
    Dose.objects.filter(pk=given.pk).update(status=DoseStatus.GIVEN, given_on=given.due_date)

    plan_stop(plan=plan, by=clinician, reason="Moved away", today=TODAY)

    plan.refresh_from_db()
    assert plan.status == PlanStatus.STOPPED
    assert plan.end_reason == "Moved away"
    assert set(plan.doses.values_list("status", flat=True)) == {"given", "cancelled"}
    with pytest.raises(ValidationError):
        plan_amend(plan=plan, by=clinician, prescription=prescription(), reason="x", today=TODAY)


def test_neurological_loading_runs_until_review_then_maintenance_starts(patient, clinician):
    plan = plan_create(
        patient=patient,
        prescriber=clinician,
        prescription=prescription("uk_neurological"),
        today=TODAY,
    )
    assert not plan.doses.filter(phase__kind="maintenance").exists()
    review = date(2026, 1, 26)
    for dose in plan.doses.filter(due_date__lte=review):
        Dose.objects.filter(pk=dose.pk).update(status=DoseStatus.GIVEN, given_on=dose.due_date)

    plan_end_loading(plan=plan, by=clinician, maintenance_start=date(2026, 3, 26), today=review)

    plan.refresh_from_db()
    assert plan.current.number == 2
    live = plan.doses.filter(status=DoseStatus.DUE).order_by("due_date")
    assert [d.isoformat() for d in live.values_list("due_date", flat=True)][:3] == [
        "2026-03-26",
        "2026-05-26",
        "2026-07-27",  # the 26th is a Sunday
    ]
    assert not live.filter(phase__kind="loading").exists()


def test_patient_record_number_is_unique_within_a_clinic_only(
    clinic, other_clinic, clinician, outsider
):
    values = dict(
        record_number="A1", given_name="Ann", family_name="Lee", date_of_birth=date(1980, 1, 1)
    )
    patient_create(clinic=clinic, by=clinician, today=TODAY, **values)
    with pytest.raises(ValidationError) as error:
        patient_create(clinic=clinic, by=clinician, today=TODAY, **values)
    assert "record_number" in field_errors(error)
    patient_create(clinic=other_clinic, by=outsider, today=TODAY, **values)


def test_patient_born_in_the_future_is_refused(clinic, clinician):
    with pytest.raises(ValidationError) as error:
        patient_create(
            clinic=clinic,
            by=clinician,
            today=TODAY,
            record_number="F1",
            given_name="Future",
            family_name="Child",
            date_of_birth=TODAY + timedelta(days=1),
        )
    assert "date_of_birth" in field_errors(error)


def test_the_nightly_horizon_task_counts_the_horizon_from_each_clinics_own_date(
    patient, clinician, clinic, settings
):
    """Defect: the task used the server's date for every clinic. At 11:30 in London on
    8 January it is 9 January in Auckland, whose ten-day horizon then reaches the 19th."""
    import time_machine

    from plans.tasks import extend_chunks_plan, extend_dose_horizon_chunk
    from tests.plans.recording_helpers import at

    settings.B12_DOSE_HORIZON_DAYS = 10
    settings.B12_MIN_FUTURE_MAINTENANCE_DOSES = 0
    clinic.time_zone = "Pacific/Auckland"
    clinic.save()
    plan = plan_create(
        patient=patient, prescriber=clinician, prescription=prescription("us_weekly"), today=TODAY
    )
    assert live_dates(plan) == ["2026-01-05", "2026-01-12"]

    with time_machine.travel(at(date(2026, 1, 8), 11, 30), tick=False):
        (chunk,) = extend_chunks_plan()
        assert extend_dose_horizon_chunk(chunk) == 1
    assert live_dates(plan)[-1] == "2026-01-19"


def test_ending_loading_with_maintenance_soon_after_keeps_the_prescribed_cadence(
    patient, clinician, nurse
):
    """Defect: maintenance "every 2 months" started the day after the review came 49 days
    apart, though the plan still said every 2 months."""
    from plans.rules.schedule import add_months, next_open_day
    from tests.plans.recording_helpers import give_next

    plan = plan_create(
        patient=patient,
        prescriber=clinician,
        prescription=prescription("uk_neurological"),
        today=TODAY,
    )
    review = TODAY + timedelta(days=20)
    while plan.doses.filter(status=DoseStatus.DUE, due_date__lte=review).exists():
        give_next(plan, nurse)
    plan_end_loading(
        plan=plan, by=clinician, maintenance_start=review + timedelta(days=1), today=review
    )
    maintenance = list(
        plan.doses.filter(status=DoseStatus.DUE, phase__kind="maintenance")
        .order_by("due_date")
        .values_list("due_date", flat=True)
    )
    last_given = plan.doses.filter(status=DoseStatus.GIVEN).latest("given_on").given_on
    first = next_open_day(last_given + timedelta(days=49), plan.patient.clinic.closed_weekdays)
    assert maintenance[0] == first, "only the dose too close to the last one given moves"
    assert maintenance == [
        next_open_day(add_months(first, 2 * k), plan.patient.clinic.closed_weekdays)
        for k in range(len(maintenance))
    ], "then every 2 months from it, never 49 days apart"


def test_after_a_missed_dose_a_shorter_interval_still_lets_the_next_dose_be_recorded(
    patient, clinician, nurse
):
    """The simulated clinic's finding (seed 4), through the services: a three-monthly dose
    missed, the interval shortened to two months; the make-up dose is due on the missed day
    and can be recorded when the patient comes."""
    from plans.recording.not_given import dose_record_not_given
    from plans.rules.schedule import EndRule, IntervalUnit, PhaseKind, PhaseRule
    from tests.plans.recording_helpers import at, give, open_doses

    start = TODAY
    plan = plan_create(
        patient=patient,
        prescriber=clinician,
        prescription=prescription("uk_prophylaxis", start=start),
        today=start,
    )
    give(open_doses(plan)[0], nurse)
    missed = open_doses(plan)[0]
    dose_record_not_given(dose=missed, by=nurse, reason="did_not_attend", now=at(missed.due_date))
    two_monthly = PhaseRule(PhaseKind.MAINTENANCE, IntervalUnit.MONTHS, every=2, end=EndRule.NEVER)
    later = missed.due_date + timedelta(days=4)
    plan_amend(
        plan=plan,
        by=clinician,
        prescription=prescription("uk_prophylaxis", start=start, phases=(two_monthly,)),
        reason="Symptoms come back before the dose",
        today=later,
    )
    make_up = open_doses(plan)[0]
    assert make_up.due_date == missed.due_date
    give(make_up, nurse, on=later + timedelta(days=2))
    assert plan.doses.filter(status=DoseStatus.GIVEN).count() == 2
