"""The FHIR R4 export: what each record becomes, read back by two validators we did not write
(fhir.resources, which parses every resource into its R4B model, and Medplum's validator with
the R4 definitions, under Node), at every stage of the demo and through corrections."""

import importlib
import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from b12clinic.core.models import Patient
from monitoring.interop import fhir, fhir_bundles, fhir_codes
from monitoring.models import LabTest
from monitoring.rules.catalogue import TESTS
from monitoring.services.labs import Entry, lab_result_void, lab_results_add
from plans.models import DoseStatus
from plans.recording.corrections import administration_amend, administration_void
from plans.recording.not_given import dose_record_not_given
from plans.services.prescriptions import plan_amend
from tests.outside_readers import run_reader
from tests.plans.conftest import TODAY, prescription
from tests.plans.recording_helpers import at, give_next, new_plan, open_doses

D = Decimal


def as_json(resource) -> dict:
    return json.loads(resource.model_dump_json(exclude_none=True))


def medplum_issues(resources: list[dict], tmp_path: Path) -> dict[int, list[dict]]:
    """Medplum's findings for each resource, by its position in the list."""
    files = []
    for number, resource in enumerate(resources):
        path = tmp_path / f"resource-{number}.json"
        path.write_text(json.dumps(resource))
        files.append(str(path))
    out = run_reader("validate_fhir.mjs", "@medplum/core", *files, timeout=120)
    lines = [json.loads(line) for line in out.decode().splitlines()]
    return {files.index(line["file"]): line["issues"] for line in lines}


def assert_valid(resources: list[dict], tmp_path: Path) -> None:
    for resource in resources:
        # fhir.resources: the JSON (not our objects) parsed back into its R4B model, entries too.
        model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        if resource["resourceType"] == "Bundle":
            for entry in resource["entry"]:
                inner = entry["resource"]
                get_fhir_model_class(inner["resourceType"]).model_validate(inner)
        assert model.id == resource.get("id")
    found = medplum_issues(resources, tmp_path)
    assert len(found) == len(resources)
    problems = {n: issues for n, issues in found.items() if issues}
    assert problems == {}


def everything(patient) -> dict:
    return as_json(fhir_bundles.everything(patient, now=at(TODAY, 15)))


def of_type(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_validators_find_what_is_wrong(tmp_path):
    """Both readers fail a resource that breaks R4, so a pass below means something."""
    bad = [
        {"resourceType": "Observation", "status": "final"},  # no code
        {"resourceType": "Observation", "status": "done", "code": {"text": "Hb"}},
        {"resourceType": "Patient", "birthDate": "1952-13-40"},
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": {"resourceType": "Patient", "gender": "mal"}}],
        },
    ]
    found = medplum_issues(bad, tmp_path)
    assert all(found[n] for n in range(len(bad))), found
    with pytest.raises(ValueError):
        get_fhir_model_class("Observation").model_validate(bad[0])


@pytest.mark.django_db
def test_serum_b12_in_pmol_per_litre_carries_the_molar_loinc_code(patient, clinician):
    (b12,) = lab_results_add(
        patient=patient,
        entries=[Entry("b12", D("150"), "pg/mL")],
        collected_on=TODAY,
        by=clinician,
        today=TODAY,
    )
    assert LabTest.objects.get(code="b12").loinc_code == "14685-2"
    resource = as_json(fhir.observation(b12, replaced_by=None))
    assert resource["code"]["coding"][0]["code"] == "14685-2"
    assert resource["valueQuantity"] == {
        "value": 110.7,
        "unit": "pmol/L",
        "system": "http://unitsofmeasure.org",
        "code": "pmol/L",
    }
    assert resource["interpretation"][0]["coding"][0]["code"] == "L"
    assert resource["referenceRange"] == [
        {"low": {"value": 133, "unit": "pmol/L", "system": fhir_codes.UCUM, "code": "pmol/L"}}
    ]
    assert {spec.code: spec.loinc[0] for spec in TESTS}["b12"] == "14685-2"


@pytest.mark.django_db
def test_a_database_with_the_mass_code_first_is_corrected():
    test = LabTest.objects.get(code="b12")
    LabTest.objects.filter(pk=test.pk).update(loinc="2132-9, 14685-2")
    migration = importlib.import_module("monitoring.migrations.0011_serum_b12_molar_loinc")
    migration.molar_first(apps, None)
    test.refresh_from_db()
    assert test.loinc_codes == ["14685-2", "2132-9"]


@pytest.mark.django_db
def test_every_stage_of_the_demo_exports_bundles_both_validators_pass(tmp_path):
    call_command("seed_demo", "--allow-without-debug", stdout=StringIO())
    bundles = [everything(patient) for patient in Patient.objects.order_by("record_number")]
    assert len(bundles) >= 5
    kinds = {e["resource"]["resourceType"] for b in bundles for e in b["entry"]}
    assert kinds >= {
        "Patient",
        "Organization",
        "Practitioner",
        "Medication",
        "MedicationRequest",
        "MedicationAdministration",
        "Observation",
        "ServiceRequest",
    }
    answers = [
        as_json(fhir_bundles.capability_statement(now=at(TODAY, 15))),
        as_json(fhir_bundles.outcome(code="not-found", text="No such resource.")),
        as_json(fhir_bundles.search_bundle(list(Patient.objects.all()[:2]), now=at(TODAY, 15))),
    ]
    assert_valid(bundles + answers, tmp_path)


@pytest.mark.django_db
def test_a_plan_and_its_record_through_amendments_and_corrections(
    patient, clinician, nurse, tmp_path
):
    plan = new_plan(patient, clinician, "uk_neurological")
    first = give_next(plan, nurse)
    second = give_next(plan, nurse, batch="WRONG1")
    fixed = administration_amend(
        administration=second,
        by=nurse,
        reason="Batch misread from the box",
        now=at(open_doses(plan)[0].due_date - timedelta(days=1), 18),
        batch="HX5521C",
    )
    third = give_next(plan, nurse)
    void = administration_void(
        administration=third, by=nurse, reason="Recorded on the wrong patient", now=at(TODAY, 20)
    )
    missed = open_doses(plan)[0]
    not_given = dose_record_not_given(
        dose=missed, by=nurse, reason="declined", detail="Felt unwell", now=at(missed.due_date)
    )
    amended = plan_amend(
        plan=plan,
        by=clinician,
        prescription=prescription("uk_neurological", start=TODAY),
        reason="Move to the standard course",
        today=missed.due_date,
    )
    hb, ifab = lab_results_add(
        patient=patient,
        entries=[Entry("hb", D("9.8"), "g/dL"), Entry("ifab", qualitative="positive")],
        collected_on=TODAY,
        by=clinician,
        today=TODAY,
    )
    lab_result_void(result=hb, by=clinician, reason="Haemolysed sample", today=TODAY)

    bundle = everything(patient)
    assert_valid([bundle], tmp_path)

    requests = {r["id"]: r for r in of_type(bundle, "MedicationRequest")}
    old, new = requests[str(plan.versions.get(number=1).pk)], requests[str(amended.pk)]
    assert (old["status"], new["status"]) == ("stopped", "active")
    assert new["priorPrescription"] == {"reference": f"MedicationRequest/{old['id']}"}
    loading = old["dosageInstruction"][0]
    assert loading["sequence"] == 1
    assert loading["route"]["coding"][0]["code"] == "78421000"
    assert loading["doseAndRate"][0]["doseQuantity"]["code"] == "mg"
    assert loading["timing"]["repeat"]["periodUnit"] in ("d", "wk", "mo")

    given = {r["id"]: r for r in of_type(bundle, "MedicationAdministration")}
    assert given[str(first.pk)]["status"] == "completed"
    assert given[str(first.pk)]["contained"][0]["batch"] == {
        "lotNumber": "HX4417B",
        "expirationDate": first.expiry.isoformat(),
    }
    assert given[str(first.pk)]["performer"][0]["actor"]["reference"] == f"Practitioner/{nurse.pk}"
    assert given[str(first.pk)]["dosage"]["site"]["text"] == "left deltoid"
    # Corrections: the replaced record is entered in error, the correction carries the truth.
    assert given[str(second.pk)]["status"] == "entered-in-error"
    assert given[str(fixed.pk)]["status"] == "completed"
    assert given[str(fixed.pk)]["contained"][0]["batch"]["lotNumber"] == "HX5521C"
    assert given[str(third.pk)]["status"] == "entered-in-error"
    assert "Recorded on the wrong patient" in given[str(third.pk)]["note"][-1]["text"]
    assert str(void.pk) not in given  # a void is not an administration
    assert given[str(not_given.pk)]["status"] == "not-done"
    assert given[str(not_given.pk)]["statusReason"][0]["text"] == "Declined: Felt unwell"

    observations = {r["id"]: r for r in of_type(bundle, "Observation")}
    assert observations[str(hb.pk)]["status"] == "entered-in-error"
    assert observations[str(hb.pk)]["valueQuantity"]["value"] == 98
    assert observations[str(ifab.pk)]["valueCodeableConcept"]["text"] == "Positive"
    assert observations[str(ifab.pk)]["interpretation"][0]["coding"][0]["code"] == "POS"

    rechecks = of_type(bundle, "ServiceRequest")
    assert rechecks and {r["intent"] for r in rechecks} == {"plan"}
    assert all(r["basedOn"] == [{"reference": f"MedicationRequest/{amended.pk}"}] for r in rechecks)
    assert plan.doses.filter(status=DoseStatus.GIVEN).count() == 2

    included = {(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]}
    assert ("Organization", "include") in included and ("Patient", "match") in included
    assert Bundle.model_validate(bundle).total == sum(
        1 for e in bundle["entry"] if e["search"]["mode"] == "match"
    )


@pytest.mark.django_db
def test_weekday_phases_name_their_days(patient, clinician):
    plan = new_plan(patient, clinician, "uk_standard")
    version = plan.versions.get()
    phases = list(version.phases.all())
    resource = as_json(fhir.medication_request(version, plan=plan, before=None, after=None))
    for phase, dosage in zip(phases, resource["dosageInstruction"], strict=True):
        repeat = dosage["timing"]["repeat"]
        if phase.unit == "weekdays":
            names = [fhir_codes.WEEKDAYS[int(d)] for d in sorted(phase.weekdays)]
            assert repeat["dayOfWeek"] == names
            assert repeat["frequency"] == len(names)
        if phase.end_rule == "after_doses":
            assert repeat["count"] == phase.doses
    assert resource["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] == (
        version.start_date.isoformat()
    )


@pytest.mark.django_db
def test_everything_reads_in_the_same_queries_however_long_the_record(
    patient, clinician, nurse, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    plan = new_plan(patient, clinician, "uk_neurological")
    give_next(plan, nurse)
    with CaptureQueriesContext(connection) as short:
        fhir_bundles.everything(patient, now=at(TODAY, 15))
    for _ in range(4):
        give_next(plan, nurse)
    lab_results_add(
        patient=patient,
        entries=[Entry("hb", D("120"), "g/L"), Entry("mcv", D("95"), "fL")],
        collected_on=TODAY,
        by=clinician,
        today=TODAY,
    )
    with django_assert_max_num_queries(len(short)):
        bundle = as_json(fhir_bundles.everything(patient, now=at(TODAY, 15)))
    assert len(of_type(bundle, "MedicationAdministration")) == 5
