"""The staff getters of patients, plans, doses and injection records, compiled once and run as
prepared statements on PostgreSQL: the same objects as the ORM's, with what they select related,
and the same 404s."""

import uuid

import pytest
from django.http import Http404

from b12clinic.core.access import staff_clinics
from b12clinic.core.models import Patient
from plans.access import (
    get_administration_for_staff,
    get_dose_for_staff,
    get_patient_for_staff,
    get_plan_for_staff,
)
from plans.models import Administration, Dose, Plan
from tests.conftest import fields_of, require_postgresql
from tests.plans.recording_helpers import give_next, new_plan, open_doses
from tests.plans.test_day_list import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _needs_postgresql():
    require_postgresql("the prepared getters")


@pytest.fixture
def plans(clinic, other_clinic, clinician):
    """Two plans of the clinician's clinic, and one of another clinic (prescribed while she
    worked there too)."""
    other_clinic.staff.add(clinician)
    made = [
        new_plan(make_patient(place, clinician, n), clinician, "uk_standard")
        for n, place in enumerate((clinic, clinic, other_clinic))
    ]
    other_clinic.staff.remove(clinician)
    return made


def test_a_plan_is_the_orms_with_its_patient_clinic_version_product_and_prescriber(
    plans, clinician, django_assert_num_queries
):
    for plan in plans[:2]:
        expected = Plan.objects.select_related(
            "patient__clinic", "current__product", "current__prescriber"
        ).get(pk=plan.pk, patient__clinic__in=staff_clinics(clinician))
        got = get_plan_for_staff(clinician, str(plan.pk))
        with django_assert_num_queries(0):  # everything shown came with it
            related = [got.patient, got.patient.clinic, got.current, got.current.product]
            related.append(got.current.prescriber)
        assert fields_of(got) == fields_of(expected)
        for mine, theirs in zip(
            related,
            [expected.patient, expected.patient.clinic, expected.current],
            strict=False,
        ):
            assert fields_of(mine) == fields_of(theirs)
        assert fields_of(got.current.product) == fields_of(expected.current.product)
        assert fields_of(got.current.prescriber) == fields_of(expected.current.prescriber)


def test_a_patient_is_the_orms_with_its_clinic(plans, clinician):
    for plan in plans[:2]:
        expected = Patient.objects.select_related("clinic").get(pk=plan.patient_id)
        got = get_patient_for_staff(clinician, plan.patient_id)
        assert fields_of(got) == fields_of(expected)
        assert fields_of(got.clinic) == fields_of(expected.clinic)


def test_another_clinics_a_missing_a_malformed_id_and_a_patient_user_are_404(
    plans, clinician, patient_user, other_clinic
):
    elsewhere = plans[2]
    for wrong in (elsewhere.pk, uuid.uuid4(), "not-a-uuid", ""):
        with pytest.raises(Http404):
            get_plan_for_staff(clinician, wrong)
        with pytest.raises(Http404):
            get_patient_for_staff(clinician, getattr(wrong, "hex", wrong))
    with pytest.raises(Http404):
        get_patient_for_staff(clinician, elsewhere.patient_id)
    other_clinic.staff.add(patient_user)  # a patient is no staff, whatever the membership
    with pytest.raises(Http404):
        get_plan_for_staff(patient_user, elsewhere.pk)
    other_clinic.staff.add(clinician)
    assert get_plan_for_staff(clinician, elsewhere.pk).pk == elsewhere.pk


def test_a_dose_and_a_record_are_the_orms_with_what_the_recording_pages_show(
    plans, clinician, django_assert_num_queries
):
    for plan in plans[:2]:
        record = give_next(plan, clinician)
        dose = open_doses(plan)[0]
        expected = Dose.objects.select_related(
            "phase", "plan__current__product", "plan__patient__clinic"
        ).get(pk=dose.pk)
        got = get_dose_for_staff(clinician, str(dose.pk))
        with django_assert_num_queries(0):
            related = [got.phase, got.plan, got.plan.current, got.plan.current.product]
            related += [got.plan.patient, got.plan.patient.clinic]
        assert fields_of(got) == fields_of(expected)
        theirs = [expected.phase, expected.plan, expected.plan.current]
        theirs += [
            expected.plan.current.product,
            expected.plan.patient,
            expected.plan.patient.clinic,
        ]
        assert [fields_of(o) for o in related] == [fields_of(o) for o in theirs]

        expected_record = Administration.objects.select_related(
            "dose__phase", "dose__plan__current__product", "dose__plan__patient__clinic"
        ).get(pk=record.pk)
        got_record = get_administration_for_staff(clinician, record.pk)
        with django_assert_num_queries(0):
            shown = [got_record.dose, got_record.dose.phase, got_record.dose.plan.current.product]
            shown.append(got_record.dose.plan.patient.clinic)
        assert fields_of(got_record) == fields_of(expected_record)
        assert [fields_of(o) for o in shown] == [
            fields_of(o)
            for o in (
                expected_record.dose,
                expected_record.dose.phase,
                expected_record.dose.plan.current.product,
                expected_record.dose.plan.patient.clinic,
            )
        ]


def test_another_clinics_dose_or_record_and_a_bad_id_are_404(
    plans, clinician, patient_user, other_clinic
):
    elsewhere = plans[2]
    other_clinic.staff.add(clinician)
    record = give_next(elsewhere, clinician)
    other_clinic.staff.remove(clinician)
    for user in (clinician, patient_user):
        for wrong in (open_doses(elsewhere)[0].pk, uuid.uuid4(), "not-a-uuid", ""):
            with pytest.raises(Http404):
                get_dose_for_staff(user, wrong)
        for wrong in (record.pk, uuid.uuid4(), "x"):
            with pytest.raises(Http404):
                get_administration_for_staff(user, wrong)


def test_a_patients_own_record_and_active_plan_are_the_orms(plans, clinician, patient_user):
    from django.contrib.auth.models import AnonymousUser

    from plans.access import active_plan_of, get_own_active_plan, own_patient
    from plans.services.prescriptions import plan_stop
    from tests.plans.conftest import TODAY

    assert own_patient(patient_user) is None
    with pytest.raises(Http404):
        get_own_active_plan(patient_user)
    assert own_patient(AnonymousUser()) is None
    mine = plans[0].patient
    mine.user = patient_user
    mine.save()
    expected = Patient.objects.select_related("clinic").get(user=patient_user)
    got = own_patient(patient_user)
    assert fields_of(got) == fields_of(expected)
    assert fields_of(got.clinic) == fields_of(expected.clinic)
    plan = get_own_active_plan(patient_user)
    theirs = active_plan_of(expected)
    assert fields_of(plan) == fields_of(theirs)
    for mine_, theirs_ in (
        (plan.patient, theirs.patient),
        (plan.patient.clinic, theirs.patient.clinic),
        (plan.current.product, theirs.current.product),
    ):
        assert fields_of(mine_) == fields_of(theirs_)
    plan_stop(plan=plans[0], by=clinician, reason="Levels normal on tablets.", today=TODAY)
    with pytest.raises(Http404):
        get_own_active_plan(patient_user)


def test_the_staff_clinic_list_is_staff_clinics_read_by_name(
    plans, clinician, patient_user, other_clinic, clinic
):
    from django.contrib.auth.models import AnonymousUser

    from b12clinic.core.access import staff_clinic_list

    other_clinic.staff.add(clinician)
    got = staff_clinic_list(clinician)
    assert [fields_of(c) for c in got] == [fields_of(c) for c in staff_clinics(clinician)]
    assert [c.name for c in got] == sorted(c.name for c in (clinic, other_clinic))
    other_clinic.staff.add(patient_user)  # a patient is no staff, whatever the membership
    assert staff_clinic_list(patient_user) == []
    assert staff_clinic_list(AnonymousUser()) == []
