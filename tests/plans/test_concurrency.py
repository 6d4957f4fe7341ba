"""Two nurses record the same dose at the same moment, in two real transactions."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from plans.models import Administration, DoseStatus
from tests.conftest import make_user, on_ci
from tests.plans.recording_helpers import give, new_plan, open_doses

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _needs_row_locks(migration_data):
    if connection.vendor != "postgresql":
        if on_ci():
            pytest.fail("CI must run the concurrency tests on PostgreSQL")
        pytest.skip("row locking needs PostgreSQL (set DATABASE_URL)")


def test_two_nurses_recording_one_dose_save_exactly_one_administration(
    patient, clinician, nurse, clinic
):
    other = make_user("nina", "nurse", clinic=clinic, first_name="Nina", last_name="Hart")
    plan = new_plan(patient, clinician)
    dose = open_doses(plan)[0]
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def record(user, side):
        try:
            start.wait(timeout=10)
            outcomes[user.username] = give(dose, user, side=side)
        except ValidationError as error:
            outcomes[user.username] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=record, args=(nurse, "left")),
        threading.Thread(target=record, args=(other, "right")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    saved = [v for v in outcomes.values() if isinstance(v, Administration)]
    refused = [v for v in outcomes.values() if isinstance(v, ValidationError)]
    assert len(saved) == 1 and len(refused) == 1, outcomes
    assert "already recorded as given by" in str(refused[0])
    assert Administration.objects.filter(dose=dose).count() == 1
    dose.refresh_from_db()
    assert dose.status == DoseStatus.GIVEN


def test_without_the_row_lock_the_constraint_still_lets_only_one_through(patient, clinician, nurse):
    """Two transactions insert a first record for the same dose at once, with no lock taken:
    PostgreSQL makes the second wait on the first's unique index entry, then refuses it."""
    plan = new_plan(patient, clinician)
    dose = open_doses(plan)[0]
    start = threading.Barrier(2)
    results: list[str] = []

    def insert(side):
        try:
            start.wait(timeout=10)
            with transaction.atomic():
                Administration.objects.create(
                    dose_id=dose.pk,
                    setting="home",
                    given_on=dose.due_date,
                    side=side,
                    recorded_by=nurse,
                )
                time.sleep(0.2)  # hold the transaction open while the other inserts
            results.append("saved")
        except IntegrityError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=insert, args=(side,)) for side in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == ["refused", "saved"]
    assert Administration.objects.filter(dose=dose).count() == 1
