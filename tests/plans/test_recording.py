"""Recording doses: what is saved, what is refused (with the field to fix), and re-planning."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from b12clinic.core.models import Patient
from monitoring.models import Alert
from plans.models import Administration, Dose, DoseNotGiven, DoseStatus
from plans.recording.corrections import administration_amend, administration_void
from plans.recording.given import dose_record_given_outside
from plans.recording.not_given import dose_record_not_given
from plans.services.prescriptions import plan_stop
from tests.conftest import make_user
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import at, give, give_next, live_dates, new_plan, open_doses

pytestmark = pytest.mark.django_db


def errors(excinfo: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_giving_a_dose_saves_the_record_and_marks_the_dose(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    dose = open_doses(plan)[0]

    record = give(dose, nurse, site="vastus_lateralis", side="right")

    dose.refresh_from_db()
    assert (dose.status, dose.given_on) == (DoseStatus.GIVEN, TODAY)
    assert record.given_by == nurse
    assert record.recorded_by == nurse
    assert (record.site, record.side, record.batch) == ("vastus_lateralis", "right", "HX4417B")
    assert record.given_on == TODAY


def test_maintenance_re_anchors_on_the_date_the_last_loading_dose_was_given(
    patient, clinician, nurse
):
    plan = new_plan(patient, clinician)
    for _ in range(5):
        give_next(plan, nurse)
    last_loading = open_doses(plan)[0]
    assert last_loading.due_date == date(2026, 1, 16)

    give(last_loading, nurse, on=date(2026, 1, 20))

    maintenance = open_doses(plan)
    assert [d.due_date for d in maintenance[:2]] == [date(2026, 4, 20), date(2026, 7, 20)]


def test_a_late_maintenance_dose_moves_the_ones_after_it(patient, clinician, nurse):
    plan = new_plan(patient, clinician, "uk_prophylaxis")
    give_next(plan, nurse)
    second = open_doses(plan)[0]
    assert second.due_date == date(2026, 4, 6)

    give(second, nurse, on=date(2026, 4, 14))

    assert open_doses(plan)[0].due_date == date(2026, 7, 14)


BAD_INPUT = [
    ({"expiry": TODAY - timedelta(days=1)}, "expiry", "expired on 4 Jan 2026"),
    ({"given_at": at(TODAY, 15)}, "given_at", "in the future"),
    ({"batch": ""}, "batch", "Enter the batch"),
    ({"batch": "'; DROP TABLE--"}, "batch", "A batch number is"),
    ({"expiry": None}, "expiry", "Enter the expiry"),
    ({"site": "dorsogluteal"}, "site", "no longer recommended"),
    ({"site": "abdomen"}, "site", "is not a site for IM injections"),
    ({"site": ""}, "site", "Choose the injection site"),
    ({"side": ""}, "side", "Choose the side"),
    ({"identity_confirmed": False}, "identity_confirmed", "two identifiers"),
    ({"allergies_checked": False}, "allergies_checked", "allergies"),
    ({"outcome": "allergic_reaction"}, "allergy", "what the patient reacted to"),
    ({"given_at": at(TODAY - timedelta(days=3))}, "given_at", "before the plan started"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_on_its_field_and_saves_nothing(
    patient, clinician, nurse, change, field, message
):
    plan = new_plan(patient, clinician)
    dose = open_doses(plan)[0]
    before = live_dates(plan)

    with pytest.raises(ValidationError) as excinfo:
        give(dose, nurse, now=at(TODAY, 12), **change)

    assert message in " ".join(errors(excinfo)[field])
    dose.refresh_from_db()
    assert dose.status == DoseStatus.DUE
    assert Administration.objects.count() == 0
    assert live_dates(plan) == before


def test_dorsogluteal_is_allowed_when_the_risk_is_accepted_and_the_warning_kept(
    patient, clinician, nurse
):
    plan = new_plan(patient, clinician)

    record = give_next(plan, nurse, site="dorsogluteal", accept_site_warning=True)

    assert record.warnings == ["Dorsogluteal site used although not recommended."]


def test_a_dose_already_given_is_refused_with_who_gave_it(patient, clinician, nurse, clinic):
    other_nurse = make_user("nina", "nurse", clinic=clinic, first_name="Nina", last_name="Hart")
    plan = new_plan(patient, clinician)
    dose = open_doses(plan)[0]
    give(dose, nurse)

    with pytest.raises(ValidationError) as excinfo:
        give(dose, other_nurse)

    assert "already recorded as given by Bob Reyes at 10:00" in str(excinfo.value)
    assert Administration.objects.count() == 1


def test_a_cancelled_dose_is_refused(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    dose = open_doses(plan)[0]
    plan_stop(plan=plan, by=clinician, reason="Moved away", today=TODAY)

    with pytest.raises(ValidationError) as excinfo:
        give(dose, nurse)

    assert "cancelled (Plan stopped: Moved away)" in str(excinfo.value)
    assert Administration.objects.count() == 0


def test_a_nurse_of_another_clinic_cannot_record(patient, clinician, other_clinic):
    stranger = make_user("nell", "nurse", clinic=other_clinic)
    plan = new_plan(patient, clinician)

    with pytest.raises(ValidationError, match="another clinic"):
        give_next(plan, stranger)

    assert Administration.objects.count() == 0


def test_doses_are_recorded_in_order(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    second = open_doses(plan)[1]

    with pytest.raises(ValidationError, match="due 5 Jan 2026, is still open"):
        give(second, nurse)


def test_a_dose_cannot_be_given_before_the_previous_one(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    give_next(plan, nurse, on=date(2026, 1, 7))
    second = open_doses(plan)[0]

    with pytest.raises(ValidationError) as excinfo:
        give(second, nurse, given_at=at(date(2026, 1, 6)), now=at(date(2026, 1, 9)))

    assert "previous dose was given on 7 Jan 2026" in errors(excinfo)["given_at"][0]


def test_the_database_allows_only_one_first_record_per_dose(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    record = give_next(plan, nurse)
    duplicate = Administration(
        dose=record.dose,
        setting="clinic",
        given_at=record.given_at,
        given_on=record.given_on,
        given_by=nurse,
        site="deltoid",
        side="right",
        batch="X1",
        expiry=record.expiry,
        identity_confirmed=True,
        allergies_checked=True,
        recorded_by=nurse,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_the_database_refuses_expired_stock_and_incomplete_clinic_records(
    patient, clinician, nurse
):
    plan = new_plan(patient, clinician)
    dose = open_doses(plan)[0]
    base = dict(
        dose=dose,
        setting="clinic",
        given_at=at(TODAY),
        given_on=TODAY,
        given_by=nurse,
        site="deltoid",
        side="left",
        batch="B1",
        expiry=TODAY,
        identity_confirmed=True,
        allergies_checked=True,
        recorded_by=nurse,
    )
    for change in ({"expiry": TODAY - timedelta(days=1)}, {"batch": ""}, {"given_by": None}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Administration.objects.create(**{**base, **change})


# --- Not given -------------------------------------------------------------------------------


def test_a_loading_dose_not_given_is_made_up_on_the_next_open_day(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    first = open_doses(plan)[0]

    record = dose_record_not_given(dose=first, by=nurse, reason="did_not_attend", now=at(TODAY, 17))

    first.refresh_from_db()
    assert first.status == DoseStatus.NOT_GIVEN
    assert record.on_date == TODAY
    # Six loading doses are still to be given: Tuesday makes up Monday's.
    loading = [d for d in open_doses(plan) if d.phase.kind == "loading"]
    assert [d.due_date for d in loading] == [
        date(2026, 1, 6),
        date(2026, 1, 7),
        date(2026, 1, 9),
        date(2026, 1, 12),
        date(2026, 1, 14),
        date(2026, 1, 16),
    ]


def test_a_maintenance_dose_not_given_stays_overdue(patient, clinician, nurse):
    plan = new_plan(patient, clinician, "uk_prophylaxis")
    give_next(plan, nurse)
    due = open_doses(plan)[0]
    assert due.due_date == date(2026, 4, 6)

    dose_record_not_given(dose=due, by=nurse, reason="declined", now=at(date(2026, 4, 6), 16))

    again = open_doses(plan)[0]
    assert again.pk != due.pk
    assert again.due_date == date(2026, 4, 6)
    assert again.is_overdue(date(2026, 4, 7))


def test_withheld_needs_a_reason_and_saves_nothing_without(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    dose = open_doses(plan)[0]

    with pytest.raises(ValidationError) as excinfo:
        dose_record_not_given(dose=dose, by=nurse, reason="withheld", now=at(TODAY))

    assert "Say why" in errors(excinfo)["detail"][0]
    assert DoseNotGiven.objects.count() == 0


# --- At home, elsewhere ----------------------------------------------------------------------


def test_a_self_administering_patient_records_a_dose_given_at_home(
    patient, clinician, patient_user
):
    patient.user = patient_user
    patient.save()
    plan = new_plan(patient, clinician, "uk_prophylaxis", self_administered=True)
    dose = open_doses(plan)[0]

    record = dose_record_given_outside(
        dose=dose,
        by=patient_user,
        setting="home",
        given_on=TODAY,
        given_by_name="Self",
        site="vastus_lateralis",
        now=at(TODAY, 20),
    )

    assert (record.setting, record.given_by, record.recorded_by) == ("home", None, patient_user)
    dose.refresh_from_db()
    assert dose.status == DoseStatus.GIVEN


def test_a_patient_cannot_record_for_a_plan_given_in_clinic_or_for_someone_else(
    patient, clinician, patient_user, clinic
):
    plan = new_plan(patient, clinician, "uk_prophylaxis", self_administered=True)
    # Not linked to this patient record.
    with pytest.raises(ValidationError, match="cannot record"):
        dose_record_given_outside(
            dose=open_doses(plan)[0],
            by=patient_user,
            setting="home",
            given_on=TODAY,
            now=at(TODAY, 20),
        )
    patient.user = patient_user
    patient.save()
    plan_stop(plan=plan, by=clinician, reason="Back to clinic", today=TODAY)
    in_clinic = new_plan(patient, clinician, "uk_prophylaxis")
    with pytest.raises(ValidationError, match="cannot record"):
        dose_record_given_outside(
            dose=open_doses(in_clinic)[0],
            by=patient_user,
            setting="home",
            given_on=TODAY,
            now=at(TODAY, 20),
        )
    assert Administration.objects.count() == 0


def test_given_elsewhere_counts_as_given_and_re_anchors(patient, clinician, nurse):
    plan = new_plan(patient, clinician, "uk_prophylaxis")
    give_next(plan, nurse)
    due = open_doses(plan)[0]

    dose_record_given_outside(
        dose=due,
        by=nurse,
        setting="elsewhere",
        given_on=date(2026, 4, 9),
        given_by_name="Practice nurse, Hilltop Surgery",
        now=at(date(2026, 4, 10)),
    )

    assert open_doses(plan)[0].due_date == date(2026, 7, 9)


# --- Reactions -------------------------------------------------------------------------------


def test_an_allergic_reaction_is_added_to_the_record_and_alerts_a_clinician(
    patient, clinician, nurse
):
    patient.allergies = "Penicillin"
    patient.save()
    plan = new_plan(patient, clinician)

    give_next(
        plan,
        nurse,
        outcome="allergic_reaction",
        allergy="Hydroxocobalamin (urticaria)",
        notes="Hives within 10 min; recovered.",
    )

    patient.refresh_from_db()
    assert patient.allergies == "Penicillin\nHydroxocobalamin (urticaria)"
    alert = Alert.objects.get()
    assert alert.severity == "urgent"
    assert alert.patient == patient
    assert "Allergic reaction to hydroxocobalamin" in alert.title


# --- Corrections -----------------------------------------------------------------------------


def test_a_correction_keeps_the_original_and_its_author(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    original = give_next(plan, nurse)

    corrected = administration_amend(
        administration=original,
        by=clinician,
        reason="Batch number misread",
        batch="HX4411B",
        now=at(TODAY, 14),
    )

    original.refresh_from_db()
    assert original.batch == "HX4417B"
    assert original.recorded_by == nurse
    assert (corrected.replaces, corrected.batch, corrected.recorded_by) == (
        original,
        "HX4411B",
        clinician,
    )
    assert corrected.given_by == nurse
    assert Administration.objects.count() == 2


def test_correcting_the_date_re_plans_and_needs_a_reason(patient, clinician, nurse):
    plan = new_plan(patient, clinician, "uk_prophylaxis")
    original = give_next(plan, nurse)
    with pytest.raises(ValidationError) as excinfo:
        administration_amend(
            administration=original, by=nurse, reason=" ", given_at=at(TODAY), now=at(TODAY)
        )
    assert "reason" in errors(excinfo)

    administration_amend(
        administration=original,
        by=nurse,
        reason="Entered on the wrong day",
        given_at=at(date(2026, 1, 7)),
        now=at(date(2026, 1, 8)),
    )

    assert Dose.objects.get(pk=original.dose_id).given_on == date(2026, 1, 7)
    assert open_doses(plan)[0].due_date == date(2026, 4, 7)


def test_only_the_latest_version_of_a_record_can_be_corrected(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    original = give_next(plan, nurse)
    administration_amend(
        administration=original, by=nurse, reason="Side", side="right", now=at(TODAY, 13)
    )

    with pytest.raises(ValidationError, match="already been corrected"):
        administration_amend(
            administration=original, by=nurse, reason="Again", side="left", now=at(TODAY, 14)
        )


def test_voiding_makes_the_dose_due_again_and_keeps_the_history(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    original = give_next(plan, nurse)

    void = administration_void(
        administration=original, by=clinician, reason="Wrong patient", now=at(TODAY, 15)
    )

    dose = Dose.objects.get(pk=original.dose_id)
    assert (dose.status, dose.given_on) == (DoseStatus.DUE, None)
    assert void.is_void and void.replaces == original
    # Given again later: a third record continues the chain.
    again = give(dose, nurse, given_at=at(TODAY, 16), now=at(TODAY, 16))
    assert again.replaces == void
    assert Administration.objects.filter(dose=dose).count() == 3


def test_an_older_record_cannot_be_voided_once_later_doses_are_recorded(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    first = give_next(plan, nurse)
    give_next(plan, nurse)

    with pytest.raises(ValidationError, match="Later doses"):
        administration_void(administration=first, by=nurse, reason="Oops", now=at(TODAY, 18))


def test_nothing_is_ever_deleted(patient, clinician, nurse):
    plan = new_plan(patient, clinician)
    record = give_next(plan, nurse)
    with pytest.raises(Exception, match="protected"):
        Dose.objects.filter(pk=record.dose_id).delete()
    with pytest.raises(Exception, match="protected"):
        Patient.objects.filter(pk=patient.pk).delete()


def test_a_dose_cannot_be_recorded_further_ahead_than_the_on_time_window(
    patient, clinician, nurse, clinic
):
    """Defect: a nurse could record the plan's next open dose days before it was due."""
    plan = new_plan(patient, clinician, "uk_prophylaxis")
    give_next(plan, nurse)
    april = open_doses(plan)[0]
    assert april.due_date == date(2026, 4, 6)  # 5 April is a Sunday: the clinic is closed
    early = april.due_date - timedelta(days=clinic.on_time_window_days + 1)

    with pytest.raises(ValidationError) as refused:
        give(april, nurse, on=early)
    assert errors(refused)["given_at"] == [
        "This dose is due on Mon 6 Apr 2026: more than 3 days ahead. Record it from "
        "Fri 3 Apr 2026, or ask a clinician to record why it is given early."
    ]
    give(april, nurse, on=early + timedelta(days=1))  # within the window: fine


def test_doses_cannot_be_recorded_closer_together_than_the_phase_allows(patient, clinician, nurse):
    """Defect: four successive "Give" submissions on the plan's next open dose all
    succeeded, and the patient ended up with five injections recorded on one day."""
    plan = new_plan(patient, clinician, "uk_neurological")
    give_next(plan, nurse, on=TODAY)  # alternate days: the next is due on 7 January
    with pytest.raises(ValidationError) as refused:
        give_next(plan, nurse, on=TODAY + timedelta(days=1))
    assert errors(refused)["given_at"] == [
        "The last injection was given on Mon 5 Jan 2026: this phase needs 2 days between "
        "injections, so the earliest is Wed 7 Jan 2026. A clinician can record why it is "
        "needed sooner."
    ]
    for _ in range(3):
        with pytest.raises(ValidationError):
            give_next(plan, nurse, on=TODAY, now=at(TODAY, 13))
    assert Administration.objects.count() == 1


def test_a_clinician_can_record_an_early_dose_with_the_reason_kept(patient, clinician, nurse):
    plan = new_plan(patient, clinician, "uk_neurological")
    give_next(plan, nurse, on=TODAY)
    with pytest.raises(ValidationError) as refused:
        give_next(plan, nurse, on=TODAY + timedelta(days=1), override_reason="Travelling")
    assert "Only a clinician can record why" in " ".join(errors(refused)["override_reason"])
    with pytest.raises(ValidationError) as refused:
        give_next(plan, clinician, on=TODAY + timedelta(days=1), override_reason="  ")
    assert "given_at" in errors(refused)

    record = give_next(
        plan,
        clinician,
        on=TODAY + timedelta(days=1),
        override_reason="Flying abroad tomorrow for three weeks",
    )
    assert record.override_reason == "Flying abroad tomorrow for three weeks"
    assert any("2 days between injections" in w for w in record.warnings)
