"""The FHIR API as another system sees it: a clinic's token reads that clinic's patients and
no one else's; every read is audited; every error is an OperationOutcome."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from b12clinic.core.api_tokens import api_token_create, api_token_revoke
from b12clinic.core.models import ApiToken, AuditEvent, Patient
from monitoring.interop import fhir_codes
from tests.conftest import make_user
from tests.plans.conftest import TODAY
from tests.plans.recording_helpers import at, give_next, new_plan

NOW = at(TODAY, 11)


@pytest.fixture
def admin_user(clinic):
    return make_user("ada", "clinic_admin", clinic=clinic)


@pytest.fixture
def token(clinic, admin_user):
    return api_token_create(clinic=clinic, name="Hospital record", by=admin_user, now=NOW).secret


@pytest.fixture
def other_token(other_clinic):
    boss = make_user("boss", "clinic_admin", clinic=other_clinic)
    return api_token_create(clinic=other_clinic, name="Their lab", by=boss, now=NOW).secret


def get(client, url, token=None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with time_machine.travel(NOW, tick=False):
        return client.get(url, params, headers=headers)


def body(response) -> dict:
    assert response["Content-Type"].startswith("application/fhir+json")
    return json.loads(response.content)


def issue(response) -> dict:
    data = body(response)
    assert data["resourceType"] == "OperationOutcome"
    return data["issue"][0]


@pytest.mark.django_db
def test_a_token_reads_its_clinics_patient_and_the_read_is_audited(
    client, patient, clinician, nurse, token
):
    give_next(new_plan(patient, clinician), nurse)
    response = get(client, reverse("monitoring:fhir_patient", args=[patient.pk]), token)
    assert response.status_code == 200
    data = body(response)
    assert (data["resourceType"], data["id"]) == ("Patient", str(patient.pk))
    assert data["identifier"][0] == {
        "use": "usual",
        "type": {"coding": [{"system": fhir_codes.V2_0203, "code": "MR"}], "text": "Record number"},
        "system": f"urn:uuid:{patient.clinic_id}",
        "value": patient.record_number,
        "assigner": {
            "reference": f"Organization/{patient.clinic_id}",
            "display": patient.clinic.name,
        },
    }

    everything = get(
        client, reverse("monitoring:fhir_patient_everything", args=[patient.pk]), token
    )
    bundle = body(everything)
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "searchset")
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"MedicationRequest", "MedicationAdministration", "ServiceRequest"} <= kinds

    reads = AuditEvent.objects.filter(patient_id=patient.pk, action="view").order_by("id")
    assert [(r.actor_id, r.summary) for r in reads] == [
        (None, "FHIR: Patient read"),
        (None, "FHIR: Patient $everything"),
    ]
    assert all(r.actor_name.startswith("API token “Hospital record” (b12_") for r in reads)
    assert ApiToken.objects.get().last_used_at == NOW


@pytest.mark.django_db
def test_another_clinics_token_gets_not_found_and_learns_nothing(client, patient, other_token):
    for name in ("monitoring:fhir_patient", "monitoring:fhir_patient_everything"):
        response = get(client, reverse(name, args=[patient.pk]), other_token)
        assert response.status_code == 404
        assert issue(response)["code"] == "not-found"
        assert patient.family_name not in response.content.decode()
    search = get(
        client,
        reverse("monitoring:fhir_patient_search"),
        other_token,
        identifier=f"urn:uuid:{patient.clinic_id}|{patient.record_number}",
    )
    assert body(search)["total"] == 0
    assert not AuditEvent.objects.filter(patient_id=patient.pk, action="view").exists()


@pytest.mark.django_db
def test_search_by_record_number_in_the_clinics_namespace(client, patient, token, other_clinic):
    Patient.objects.create(
        clinic=other_clinic,
        record_number=patient.record_number,
        given_name="Same",
        family_name="Number",
        date_of_birth=patient.date_of_birth,
    )
    url = reverse("monitoring:fhir_patient_search")
    found = body(
        get(client, url, token, identifier=f"urn:uuid:{patient.clinic_id}|{patient.record_number}")
    )
    assert found["total"] == 1
    assert found["entry"][0]["resource"]["id"] == str(patient.pk)
    assert found["entry"][0]["search"] == {"mode": "match"}
    wrong = get(
        client, url, token, identifier=f"urn:uuid:{other_clinic.pk}|{patient.record_number}"
    )
    assert body(wrong)["total"] == 0
    assert get(client, url, token, identifier="nonsense|x").status_code == 200
    bad = get(client, url, token, identifier="no-bar")
    assert (bad.status_code, issue(bad)["code"]) == (400, "invalid")
    other = get(client, url, token, name="Quinn")
    assert (other.status_code, issue(other)["code"]) == (400, "not-supported")


@pytest.mark.django_db
def test_no_token_a_wrong_token_an_expired_or_revoked_one(client, patient, clinic, admin_user):
    url = reverse("monitoring:fhir_patient", args=[patient.pk])
    anonymous = get(client, url)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert issue(anonymous)["code"] == "login"
    assert get(client, url, "b12_not-a-token").status_code == 401

    made = api_token_create(clinic=clinic, name="Short", by=admin_user, now=NOW, days=1)
    assert get(client, url, made.secret).status_code == 200
    with time_machine.travel(NOW + timedelta(days=1, seconds=1), tick=False):
        expired = client.get(url, headers={"Authorization": f"Bearer {made.secret}"})
    assert expired.status_code == 401
    assert "expired" in issue(expired)["diagnostics"]

    live = api_token_create(clinic=clinic, name="Revoked", by=admin_user, now=NOW)
    api_token_revoke(token=live.token, by=admin_user, now=NOW)
    revoked = get(client, url, live.secret)
    assert revoked.status_code == 401
    assert "revoked" in issue(revoked)["diagnostics"]
    assert ApiToken.objects.filter(secret_hash=live.secret).count() == 0  # only the hash kept


@pytest.mark.django_db
def test_guessing_tokens_is_throttled(client, patient, token):
    url = reverse("monitoring:fhir_patient", args=[patient.pk])
    for number in range(10):
        assert get(client, url, f"b12_guess{number}").status_code == 401
    throttled = get(client, url, token)
    assert throttled.status_code == 429


@pytest.mark.django_db
def test_a_clinician_signed_in_downloads_their_patient(client, patient, clinician, nurse):
    url = reverse("monitoring:fhir_patient_everything", args=[patient.pk])
    client.force_login(clinician)
    response = get(client, url, download="1")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{patient.record_number}-fhir.json"'
    )
    read = AuditEvent.objects.get(patient_id=patient.pk, action="view")
    assert read.actor_id == clinician.pk
    client.force_login(nurse)
    assert issue(get(client, url))["code"] == "security"
    page = client.get(reverse("monitoring:patient_detail", args=[patient.pk]))
    assert url.encode() not in page.content  # the nurse is not offered the link


@pytest.mark.django_db
def test_metadata_is_open_and_says_what_is_served(client):
    data = body(client.get(reverse("monitoring:fhir_metadata")))
    assert (data["resourceType"], data["fhirVersion"], data["kind"]) == (
        "CapabilityStatement",
        "4.0.1",
        "instance",
    )
    patient, bundle, report = data["rest"][0]["resource"]
    assert patient["type"] == "Patient"
    assert (bundle["type"], report["type"]) == ("Bundle", "DiagnosticReport")
    assert bundle["interaction"] == [{"code": "create"}]
    assert patient["operation"][0]["name"] == "everything"


@pytest.mark.django_db
def test_tokens_are_made_only_for_clinics_one_manages(clinic, other_clinic, admin_user):
    with pytest.raises(ValidationError) as refused:
        api_token_create(clinic=other_clinic, name="Sneaky", by=admin_user, now=NOW)
    assert "clinics you manage" in str(refused.value)
    with pytest.raises(ValidationError):
        api_token_create(clinic=clinic, name="  ", by=admin_user, now=NOW)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_clinic_admin_makes_a_token_in_the_admin_and_sees_it_once(client, clinic, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("admin:b12clinic_apitoken_add"),
            {"clinic": clinic.pk, "name": "Lab system", "valid_for_days": "90"},
            follow=True,
        )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    (message,) = [str(m) for m in response.context["messages"] if "shown only this once" in str(m)]
    secret = message.split(" is ", 1)[1].split(" ", 1)[0]
    assert secret.startswith("b12_") and token.shown == secret[:10]
    assert token.created_at == NOW
    assert token.expires_at - token.created_at == timedelta(days=90)
    assert secret not in token.secret_hash
    assert AuditEvent.objects.filter(object_id=str(token.pk), action="create").count() == 1
