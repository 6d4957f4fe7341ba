"""The reads of the chart, the plan and the results pages, compiled once and run as prepared
statements on PostgreSQL, return what the ORM returns for the same patient."""

from datetime import timedelta
from decimal import Decimal

import pytest

from monitoring import selectors
from monitoring.services.checkins import checkin_add, checkin_from_patient
from monitoring.services.feeds import feed_create
from plans import selectors as plan_selectors
from plans.models import PlanOverride
from plans.recording.not_given import dose_record_not_given
from plans.rules import schedule
from plans.sharing import share_link_create
from tests.conftest import fields_of, require_postgresql
from tests.monitoring.test_labs import CALM, Entry, add
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import at, give_next, new_plan, open_doses

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _needs_postgresql():
    require_postgresql("the prepared page reads")


MONTHLY = (
    schedule.PhaseRule(
        kind=schedule.PhaseKind.MAINTENANCE,
        unit=schedule.IntervalUnit.DAYS,
        every=28,
        end=schedule.EndRule.NEVER,
    ),
)


def test_each_compiled_read_returns_what_the_orm_returns(patient, clinician, nurse, patient_user):
    """Every compiled read of the chart, the plan and the results pages, each reading rows."""
    patient.email, patient.reminder_email = "nora.quinn@example.org", True  # reminders planned
    patient.save()
    plan = new_plan(patient, clinician, "uk_standard", start=TODAY, phases=MONTHLY)
    give_next(plan, nurse, on=TODAY)
    give_next(plan, nurse, on=TODAY + timedelta(28))
    later = open_doses(plan)
    dose_record_not_given(
        dose=later[0], by=nurse, reason="declined", now=at(TODAY + timedelta(56), 9)
    )
    patient.user = patient_user
    patient.save()
    checkin_from_patient(
        patient=patient,
        answers=CALM,
        today=TODAY + timedelta(55),
        by=patient_user,
        dose=later[0],
        came_back=True,
    )
    share_link_create(plan=plan, by=clinician, now=at(TODAY, 9))
    feed_create(patient=patient, by=clinician, now=at(TODAY, 9))
    add(
        patient, clinician, Entry("hb", Decimal("101"), "g/L"), Entry("b12", Decimal("120"), "ng/L")
    )
    add(patient, clinician, Entry("potassium", Decimal("2.7"), "mmol/L"))  # an urgent alert
    checkin_add(patient=patient, answers=CALM, on=TODAY, by=nurse, today=TODAY)
    # A dose-safety rule overridden at prescribing, as plan_create records one.
    PlanOverride.objects.create(
        version=plan.current,
        code="max_dose",
        message="Above the usual dose.",
        reason="Asked for by haematology.",
        by=clinician,
    )
    values = {"patient_id": patient.pk, "version_id": plan.current_id, "plan_id": plan.pk}
    queries = {
        name: query
        for module in (selectors, plan_selectors)
        for name, query in vars(module).items()
        if isinstance(query, selectors.CompiledQuery)
    }
    assert len(queries) >= 12, sorted(queries)
    for name, query in queries.items():
        given = {key: values[key] for key in query.stand_ins}
        expected = list(query.build(**given))
        if expected and isinstance(expected[0], tuple):
            assert query.rows(**given) == expected, name
        else:
            got = query.objects(**given)
            assert [fields_of(o) for o in got] == [fields_of(o) for o in expected], name
            annotations = list(query.build(**given).query.annotation_select)
            for mine, theirs in zip(got, expected, strict=True):
                for annotation in annotations:
                    assert getattr(mine, annotation) == getattr(theirs, annotation), name
                assert set(mine._state.fields_cache) >= set(theirs._state.fields_cache), name
                for cached in theirs._state.fields_cache:
                    assert fields_of(getattr(mine, cached)) == fields_of(getattr(theirs, cached))
        assert expected, f"{name} read nothing: the comparison proves little"


def test_a_plans_versions_come_with_their_phases_and_overrides_as_a_prefetch_would(
    patient, clinician, django_assert_num_queries
):
    plan = new_plan(patient, clinician, "uk_standard", start=TODAY)
    PlanOverride.objects.create(
        version=plan.current, code="max_dose", message="Above.", reason="Asked.", by=clinician
    )
    expected = list(
        plan.versions.select_related("product", "prescriber")
        .prefetch_related("phases", "overrides__by")
        .order_by("-number")
    )
    with django_assert_num_queries(3):
        got = plan_selectors.plan_versions(plan=plan)
    with django_assert_num_queries(0):
        phases = [[(p, p.version) for p in v.phases.all()] for v in got]
        overrides = [[(o, o.by) for o in v.overrides.all()] for v in got]
    assert [fields_of(v) for v in got] == [fields_of(v) for v in expected]
    assert [[(fields_of(p), v.pk) for p, v in each] for each in phases] == [
        [(fields_of(p), v.pk) for p in v.phases.all()] for v in expected
    ]
    assert [[(fields_of(o), fields_of(by)) for o, by in each] for each in overrides] == [
        [(fields_of(o), fields_of(o.by)) for o in v.overrides.all()] for v in expected
    ]
    assert phases[0] and overrides[0]
