"""The nightly extension skips the plans that already reach the horizon. Skipping must never
change what is made: night after night, the chunked extension leaves the same doses as
extending every plan in full."""

from datetime import datetime, time, timedelta

from django.db import transaction

from b12clinic.core.models import Patient
from plans.materialise import doses_extend, doses_extend_range, plans_to_extend
from plans.models import Dose
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import LONDON, give, new_plan, open_doses

REGIMENS = ("uk_standard", "uk_prophylaxis", "us_weekly", "uk_neurological")


def doses() -> set[tuple]:
    return set(
        Dose.objects.exclude(status="cancelled").values_list(
            "plan_id", "phase_id", "sequence", "due_date", "status"
        )
    )


def test_a_season_of_nights_skipping_complete_plans_makes_what_extending_all_makes(
    clinic, clinician, nurse, settings
):
    # A short horizon and supply, so maintenance doses cross it within the test and the gap
    # rule, not the supply, decides which plans are skipped.
    settings.B12_DOSE_HORIZON_DAYS = 120
    settings.B12_MIN_FUTURE_MAINTENANCE_DOSES = 1
    for n, code in enumerate(REGIMENS * 2):
        patient = Patient.objects.create(
            clinic=clinic,
            record_number=f"HZ{n}",
            given_name="Horizon",
            family_name=f"Night{n}",
            date_of_birth=TODAY.replace(year=1950),
            created_by=clinician,
        )
        plan = new_plan(patient, clinician, code, start=TODAY - timedelta(days=7 * n))
        if n % 2:  # half are given on time; the others' doses are left open, as if missed
            for dose in open_doses(plan)[:2]:
                if dose.due_date <= TODAY:
                    give(dose, nurse)
    made = 0
    for night in range(0, 160, 2):
        day = TODAY + timedelta(days=night)
        with transaction.atomic():
            doses_extend(today=day)
            everything = doses()
            transaction.set_rollback(True)
        keys = plans_to_extend()
        at = datetime.combine(day, time(2), tzinfo=LONDON)
        made += doses_extend_range(first=keys[0], last=keys[-1], now=at)
        assert doses() == everything, f"night {night}"
    assert made > 0
