"""Laboratory results in as FHIR: a Bundle of Observations with their Patient, or a
DiagnosticReport naming one of our patients, filed through the same checks as HL7 v2."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from b12clinic.core.api_tokens import api_token_create
from monitoring.models import InboundMessage, LabResult
from tests.conftest import make_user

LOINC = "http://loinc.org"


@pytest.fixture
def token(clinic):
    boss = make_user("lab-admin", "clinic_admin", clinic=clinic)
    return api_token_create(clinic=clinic, name="City lab", by=boss, now=timezone.now()).secret


def observation(code, value, unit, *, subject=None, low=None):
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": day,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org"},
    }
    if subject:
        resource["subject"] = {"reference": subject}
    if low is not None:
        resource["referenceRange"] = [{"low": {"value": low, "unit": unit}}]
    return resource


def bundle(patient, identifier="B-1", born=None):
    person = {
        "resourceType": "Patient",
        "identifier": [{"value": patient.record_number}],
        "birthDate": born or patient.date_of_birth.isoformat(),
        "name": [{"family": patient.family_name, "given": [patient.given_name]}],
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "identifier": {"system": "urn:city-lab", "value": identifier},
        "entry": [
            {"resource": person},
            {"resource": observation("718-7", 101, "g/L")},
            {"resource": observation("14685-2", 120, "pmol/L", low=133)},
        ],
    }


def post(client, name, body, token):
    return client.post(
        reverse(name),
        data=json.dumps(body),
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )


@pytest.mark.django_db
def test_a_bundle_is_filed_once(client, patient, token):
    response = post(client, "monitoring:fhir_bundle_in", bundle(patient), token)
    assert response.status_code == 200, response.content
    outcome = json.loads(response.content)
    assert outcome["resourceType"] == "OperationOutcome"
    assert "2 results filed" in outcome["issue"][0]["diagnostics"]
    b12 = LabResult.objects.get(patient=patient, test__code="b12")
    assert (float(b12.value), b12.flag, float(b12.lab_low)) == (120, "low", 133)
    again = post(client, "monitoring:fhir_bundle_in", bundle(patient), token)
    assert again.status_code == 200 and "nothing new" in again.content.decode()
    assert LabResult.objects.filter(patient=patient).count() == 2


@pytest.mark.django_db
def test_a_report_naming_our_patient_is_filed(client, patient, token):
    report = {
        "resourceType": "DiagnosticReport",
        "identifier": [{"value": "R-7"}],
        "status": "final",
        "code": {"text": "B12"},
        "subject": {"reference": f"Patient/{patient.pk}"},
        "contained": [observation("2132-9", 300, "ng/L", subject=f"Patient/{patient.pk}")],
    }
    response = post(client, "monitoring:fhir_report_in", report, token)
    assert response.status_code == 200, response.content
    assert float(LabResult.objects.get(patient=patient).value) == pytest.approx(221.4)


@pytest.mark.django_db
def test_what_cannot_be_matched_is_held_and_what_cannot_be_read_is_refused(
    client, patient, token, other_clinic
):
    wrong_birthday = post(
        client, "monitoring:fhir_bundle_in", bundle(patient, "B-2", born="1961-04-20"), token
    )
    assert wrong_birthday.status_code == 202
    assert "Held for review" in json.loads(wrong_birthday.content)["issue"][0]["diagnostics"]
    assert InboundMessage.objects.get(control_id="B-2").status == "review"

    boss = make_user("their-admin", "clinic_admin", clinic=other_clinic)
    theirs = api_token_create(clinic=other_clinic, name="Their lab", by=boss, now=timezone.now())
    report = {
        "resourceType": "DiagnosticReport",
        "identifier": [{"value": "R-8"}],
        "status": "final",
        "code": {"text": "Hb"},
        "subject": {"reference": f"Patient/{patient.pk}"},
        "contained": [observation("718-7", 101, "g/L")],
    }
    elsewhere = post(client, "monitoring:fhir_report_in", report, theirs.secret)
    assert elsewhere.status_code == 202  # held in their clinic, attached to no one
    assert not LabResult.objects.exists()

    for body in ({"resourceType": "Patient"}, {"resourceType": "Bundle", "type": "nonsense"}):
        refused = post(client, "monitoring:fhir_bundle_in", body, token)
        assert refused.status_code == 400
        assert json.loads(refused.content)["issue"][0]["code"] == "invalid"
    no_id = bundle(patient)
    del no_id["identifier"]
    assert post(client, "monitoring:fhir_bundle_in", no_id, token).status_code == 400
    assert (
        post(client, "monitoring:fhir_bundle_in", bundle(patient, "B-9"), None).status_code == 401
    )
