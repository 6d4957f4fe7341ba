"""A database made before clinics, patients and products moved into the kernel migrates forward
with every row, link and permission intact."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from b12clinic.core.models import Clinic, Patient
from monitoring.models import Alert
from plans.models import Administration, Plan

BEFORE_THE_KERNEL = [
    ("b12clinic", "0010_audit_delete_action"),
    ("plans", "0012_bad_share_tokens"),
    ("monitoring", "0006_recheck_lapses"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_plan(old, patient, product, prescriber, *, cause):
    """A plan and its first version, in the models of the migration state `old`."""
    plan = old.get_model("plans", "Plan").objects.create(patient=patient)
    version = old.get_model("plans", "PlanVersion").objects.create(
        plan=plan,
        number=1,
        regimen="custom",
        product=product,
        dose_mcg=1000,
        dose_amount=Decimal("1000"),
        dose_unit="mcg",
        route="IM",
        cause=cause,
        neurological=False,
        start_date=date(2026, 11, 2),
        prescriber=prescriber,
    )
    return plan, version


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_kernel_moves_forward_with_its_rows(migration_data):
    old = _migrate(BEFORE_THE_KERNEL)
    nurse = old.get_model("auth", "User").objects.create(username="nina")
    clinic = old.get_model("plans", "Clinic").objects.create(name="Old Town Clinic")
    clinic.staff.add(nurse)
    patient = old.get_model("plans", "Patient").objects.create(
        clinic=clinic,
        record_number="OT-1",
        given_name="Ada",
        family_name="Moss",
        date_of_birth=date(1950, 2, 28),
    )
    product = old.get_model("plans", "Product").objects.get(code="hydroxocobalamin-1mg-ml")
    plan, version = _old_plan(old, patient, product, nurse, cause="pernicious_anaemia")
    plan.current = version
    plan.save()
    old.get_model("monitoring", "Alert").objects.create(
        patient=patient,
        plan=plan,
        kind="overdue_injection",
        severity="warning",
        title="Overdue",
        dedupe_key="overdue:OT-1",
    )
    admin_can_change_clinics = old.get_model("auth", "Group").objects.get(
        name="clinic_admin", permissions__codename="change_clinic"
    )
    assert admin_can_change_clinics

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = Patient.objects.select_related("clinic").get(record_number="OT-1")
    assert (moved.pk, moved.full_name, moved.clinic.name) == (patient.pk, "Ada Moss", clinic.name)
    assert list(Clinic.objects.get(pk=clinic.pk).staff.all()) == [User.objects.get(username="nina")]
    kept_plan = Plan.objects.select_related("current__product").get(patient=moved)
    assert kept_plan.current.product.code == "hydroxocobalamin-1mg-ml"
    assert Alert.objects.get(dedupe_key="overdue:OT-1").patient == moved
    # Permissions granted on the old content types still hold: the clinic admin can change
    # clinics, and no second "clinic" content type was made beside the old one.
    assert ContentType.objects.filter(model="clinic").count() == 1
    assert (
        Group.objects.get(name="clinic_admin")
        .permissions.filter(
            content_type=ContentType.objects.get_for_model(Clinic), codename="change_clinic"
        )
        .exists()
    )


@pytest.mark.django_db(transaction=True)
def test_phone_numbers_move_to_e164_in_their_clinics_country(migration_data):
    old = _migrate([("b12clinic", "0011_clinics_patients_products_join_the_kernel")])
    london = old.get_model("b12clinic", "Clinic").objects.create(name="Old Town Clinic")
    people = old.get_model("b12clinic", "Patient").objects
    for number, (phone, texts) in enumerate(
        [("07400 123456", True), ("+1 (202) 555-0143", True), ("------", True), ("", True)]
    ):
        people.create(
            clinic=london,
            record_number=f"P{number}",
            given_name="Ada",
            family_name="Moss",
            date_of_birth=date(1950, 2, 28),
            phone=phone,
            reminder_sms=texts,
        )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    found = {p.record_number: (p.phone, p.reminder_sms) for p in Patient.objects.all()}
    assert found == {
        "P0": ("+447400123456", True),
        "P1": ("+12025550143", True),
        # Not a number at all: nothing to text, so texts are off rather than failing each time.
        "P2": ("", False),
        "P3": ("", False),
    }
    assert Clinic.objects.get(pk=london.pk).country == "GB"


@pytest.mark.django_db(transaction=True)
def test_each_injection_record_takes_its_doses_patient(migration_data):
    """plans 0015 copies the patient onto every administration already recorded, corrections
    and voids included, and the column is then required."""
    old = _migrate([("plans", "0014_stock_batches")])
    nurse = old.get_model("auth", "User").objects.create(username="nina")
    clinic = old.get_model("b12clinic", "Clinic").objects.create(name="Old Town Clinic")
    product = old.get_model("b12clinic", "Product").objects.get(code="hydroxocobalamin-1mg-ml")
    records = old.get_model("plans", "Administration").objects
    expected = {}
    for number in (1, 2):
        patient = old.get_model("b12clinic", "Patient").objects.create(
            clinic=clinic,
            record_number=f"OT-{number}",
            given_name="Ada",
            family_name="Moss",
            date_of_birth=date(1950, 2, 28),
        )
        plan, version = _old_plan(old, patient, product, nurse, cause="dietary")
        phase = old.get_model("plans", "Phase").objects.create(
            version=version,
            order=1,
            kind="maintenance",
            unit="months",
            every=3,
            end_rule="never",
            min_interval_days=60,
        )
        dose = old.get_model("plans", "Dose").objects.create(
            plan=plan, clinic=clinic, phase=phase, sequence=1, due_date=date(2026, 11, 2)
        )
        given = records.create(
            dose=dose, setting="home", given_on=date(2026, 11, 2), recorded_by=nurse
        )
        void = records.create(
            dose=dose, replaces=given, is_void=True, reason="Wrong patient", recorded_by=nurse
        )
        expected.update({given.pk: patient.pk, void.pk: patient.pk})

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert dict(Administration.objects.values_list("pk", "patient_id")) == expected
    field = Administration._meta.get_field("patient")
    assert not field.null
