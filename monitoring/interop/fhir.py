"""Our records as FHIR R4 resources, read-only: one function per resource, used by every
export (the API and the "Download FHIR" link, through fhir_bundles.py). Each is validated by
the `fhir.resources` models (R4B, whose JSON is R4's for these resources).

Identifiers are kept stable: a resource's id is the record's own id, and a patient's record
number is scoped to its clinic (`urn:uuid:<clinic id>`), since two clinics may use the same
number. A record that was corrected stays, marked `entered-in-error`; the record that corrected
it follows it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.servicerequest import ServiceRequest

from b12clinic.core.models import Clinic, Patient, Product
from plans.models import (
    Administration,
    DoseNotGiven,
    Phase,
    Plan,
    PlanStatus,
    PlanVersion,
    Setting,
)
from plans.rules.schedule import EndRule, IntervalUnit

from ..models import LabResult, LabTest, Recheck, RecheckStatus
from .fhir_codes import (
    ADMIN_CATEGORY,
    INTERPRETATION,
    INTERPRETATIONS,
    LOINC,
    OBSERVATION_CATEGORY,
    PERIOD_UNITS,
    QUALITATIVE,
    RECHECK_STATUS,
    SNOMED,
    V2_0203,
    WEEKDAYS,
    instant,
    person_name,
    quantity,
    record_number_system,
    ref,
    route,
)


def patient(record: Patient) -> FhirPatient:
    telecom = []
    if record.phone:
        telecom.append({"system": "phone", "value": record.phone, "use": "mobile"})
    if record.email:
        telecom.append({"system": "email", "value": record.email})
    return FhirPatient.model_validate(
        dict(
            id=str(record.pk),
            identifier=[
                {
                    "use": "usual",
                    "type": {
                        "coding": [{"system": V2_0203, "code": "MR"}],
                        "text": "Record number",
                    },
                    "system": record_number_system(record.clinic_id),
                    "value": record.record_number,
                    "assigner": ref("Organization", record.clinic_id, record.clinic.name),
                }
            ],
            active=True,
            name=[{"use": "official", "family": record.family_name, "given": [record.given_name]}],
            gender=record.sex,  # our four values are FHIR's administrative genders
            birthDate=record.date_of_birth,
            telecom=telecom or None,
            managingOrganization=ref("Organization", record.clinic_id, record.clinic.name),
        )
    )


def organization(clinic: Clinic) -> Organization:
    telecom = []
    if clinic.phone:
        telecom.append({"system": "phone", "value": clinic.phone, "use": "work"})
    if clinic.email:
        telecom.append({"system": "email", "value": clinic.email, "use": "work"})
    return Organization.model_validate(
        dict(
            id=str(clinic.pk),
            active=True,
            name=clinic.name,
            telecom=telecom or None,
            address=[{"text": clinic.address}] if clinic.address.strip() else None,
        )
    )


def practitioner(user: User) -> Practitioner:
    name: dict[str, Any] = {"text": person_name(user)}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    return Practitioner.model_validate(dict(id=str(user.pk), active=user.is_active, name=[name]))


def _medication_code(product: Product) -> dict[str, Any]:
    return {"text": f"{product.generic_name.capitalize()} {product.strength_display}"}


def medication(product: Product) -> Medication:
    return Medication.model_validate(
        dict(
            id=str(product.pk),
            code=_medication_code(product),
            status="active" if product.active else "inactive",
            form={"text": "Solution for injection"},
            ingredient=[
                {
                    "itemCodeableConcept": {"text": product.generic_name.capitalize()},
                    "isActive": True,
                    "strength": {
                        "numerator": quantity(Decimal(product.strength_mcg_per_ml), "mcg"),
                        "denominator": quantity(Decimal(1), "mL"),
                    },
                }
            ],
        )
    )


def _timing(phase: Phase, version: PlanVersion) -> dict[str, Any]:
    unit = IntervalUnit(phase.unit)
    repeat: dict[str, Any]
    if unit is IntervalUnit.WEEKDAYS:
        days = [WEEKDAYS[int(d)] for d in sorted(phase.weekdays)]
        repeat = {"frequency": len(days), "period": phase.every, "periodUnit": "wk"}
        repeat["dayOfWeek"] = days
    else:
        repeat = {"frequency": 1, "period": phase.every, "periodUnit": PERIOD_UNITS[unit]}
    start = phase.start_on or (version.start_date if phase.order == 0 else None)
    end = phase.end_date if phase.end_rule == EndRule.ON_DATE else None
    if start or end:
        repeat["boundsPeriod"] = {
            key: value for key, value in (("start", start), ("end", end)) if value is not None
        }
    if phase.end_rule == EndRule.AFTER_DOSES and phase.doses:
        repeat["count"] = phase.doses
    return {"repeat": repeat}


def _dosage(phase: Phase, version: PlanVersion) -> dict[str, Any]:
    return {
        "sequence": phase.order + 1,
        "text": f"{phase.kind.capitalize()}: {version.dose_display} {version.route}, "
        f"{phase.describe()}",
        "timing": _timing(phase, version),
        "route": route(version.route),
        "doseAndRate": [{"doseQuantity": quantity(version.dose_amount, version.dose_unit)}],
    }


def medication_request(
    version: PlanVersion, *, plan: Plan, before: PlanVersion | None, after: PlanVersion | None
) -> MedicationRequest:
    if after is not None:
        status = "stopped"
    else:
        status = {
            PlanStatus.ACTIVE: "active",
            PlanStatus.COMPLETED: "completed",
            PlanStatus.STOPPED: "stopped",
        }[PlanStatus(plan.status)]
    notes = []
    if version.reason:
        notes.append({"text": f"Why this version: {version.reason}"})
    if after is not None:
        notes.append({"text": f"Replaced by version {after.number}: {after.reason}"})
    elif plan.end_reason:
        notes.append({"text": f"Plan ended: {plan.end_reason}"})
    return MedicationRequest.model_validate(
        dict(
            id=str(version.pk),
            groupIdentifier={"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{plan.pk}"},
            status=status,
            intent="order",
            medicationReference=ref("Medication", version.product_id),
            subject=ref("Patient", plan.patient_id),
            authoredOn=instant(version.created_at),
            requester=ref("Practitioner", version.prescriber_id),
            reasonCode=[
                {
                    "text": version.get_cause_display()
                    + (", with neurological involvement" if version.neurological else "")
                }
            ],
            priorPrescription=ref("MedicationRequest", before.pk) if before else None,
            dosageInstruction=[_dosage(phase, version) for phase in version.phases.all()],
            note=notes or None,
        )
    )


def _applied_version(versions: list[PlanVersion], at: datetime) -> PlanVersion:
    """The version in force when a dose was recorded."""
    current = versions[0]
    for version in versions:
        if version.created_at <= at:
            current = version
    return current


def medication_administration(
    record: Administration, *, versions: list[PlanVersion], replaced_by: Administration | None
) -> MedicationAdministration:
    plan = record.dose.plan
    version = _applied_version(versions, record.recorded_at)
    lot: dict[str, Any] = {}
    if record.batch:
        lot["lotNumber"] = record.batch
    if record.expiry:
        lot["expirationDate"] = instant(record.expiry)
    contained = Medication.model_validate(
        dict(
            id="given",
            code=_medication_code(version.product),
            batch=lot or None,
        )
    )
    if record.given_by is not None:
        actor = ref("Practitioner", record.given_by.pk, person_name(record.given_by))
    else:
        actor = {"display": record.given_by_name or "the patient or a carer"}
    notes = []
    if record.notes:
        notes.append({"text": record.notes})
    if record.reason:
        notes.append({"text": f"Corrects an earlier record: {record.reason}"})
    if replaced_by is not None:
        what = "voided" if replaced_by.is_void else "corrected"
        notes.append({"text": f"Entered in error, {what}: {replaced_by.reason}"})
    category = {Setting.CLINIC: "outpatient", Setting.HOME: "community"}.get(
        Setting(record.setting)
    )
    dosage: dict[str, Any] = {
        "route": route(version.route),
        "dose": quantity(version.dose_amount, version.dose_unit),
    }
    if record.site:
        dosage["site"] = {"text": record.site_display}
    assert record.given_on is not None  # a record that is not a void has its day
    return MedicationAdministration.model_validate(
        dict(
            id=str(record.pk),
            contained=[contained],
            status="entered-in-error" if replaced_by is not None else "completed",
            category={"coding": [{"system": ADMIN_CATEGORY, "code": category}]}
            if category
            else None,
            medicationReference={"reference": "#given"},
            subject=ref("Patient", plan.patient_id),
            effectiveDateTime=instant(record.given_at or record.given_on),
            performer=[{"actor": actor}],
            request=ref("MedicationRequest", version.pk),
            dosage=dosage,
            note=notes or None,
        )
    )


def medication_not_given(
    record: DoseNotGiven, *, versions: list[PlanVersion]
) -> MedicationAdministration:
    plan = record.dose.plan
    version = _applied_version(versions, record.recorded_at)
    reason = record.get_reason_display()
    return MedicationAdministration.model_validate(
        dict(
            id=str(record.pk),
            status="not-done",
            statusReason=[{"text": f"{reason}: {record.detail}" if record.detail else reason}],
            medicationReference=ref("Medication", version.product_id),
            subject=ref("Patient", plan.patient_id),
            effectiveDateTime=instant(record.on_date),
            request=ref("MedicationRequest", version.pk),
        )
    )


def _coded_test(test: LabTest) -> dict[str, Any]:
    return {
        "coding": [{"system": LOINC, "code": test.loinc_code, "display": test.name}],
        "text": test.name,
    }


def observation(result: LabResult, *, replaced_by: LabResult | None) -> Observation:
    if replaced_by is not None:
        status = "entered-in-error"
    elif result.replaces_id is not None:
        status = "corrected"
    else:
        status = "final"
    test = result.test
    value: dict[str, Any] = {}
    if result.value is not None:
        value["valueQuantity"] = quantity(result.value, test.unit)
    else:
        code, display = QUALITATIVE[result.qualitative]
        value["valueCodeableConcept"] = {
            "coding": [{"system": SNOMED, "code": code, "display": display}],
            "text": display,
        }
    low, high = (
        (result.lab_low, result.lab_high)
        if result.lab_low is not None or result.lab_high is not None
        else (result.range_low, result.range_high)
    )
    ranges = None
    if low is not None or high is not None:
        bounds = {
            key: quantity(limit, test.unit)
            for key, limit in (("low", low), ("high", high))
            if limit is not None
        }
        ranges = [bounds]
    interpretation = None
    if result.flag in INTERPRETATIONS:
        code, display = INTERPRETATIONS[result.flag]
        interpretation = [
            {
                "coding": [{"system": INTERPRETATION, "code": code, "display": display}],
                "text": f"{display} ({result.band})" if result.band else display,
            }
        ]
    notes = [{"text": text} for text in (result.notes, result.reason) if text]
    if replaced_by is not None:
        notes.append({"text": f"Entered in error: {replaced_by.reason}"})
    return Observation.model_validate(
        dict(
            id=str(result.pk),
            status=status,
            category=[
                {
                    "coding": [
                        {
                            "system": OBSERVATION_CATEGORY,
                            "code": "laboratory",
                            "display": "Laboratory",
                        }
                    ]
                }
            ],
            code=_coded_test(test),
            subject=ref("Patient", result.patient_id),
            effectiveDateTime=instant(result.collected_on),
            issued=instant(result.entered_at),
            referenceRange=ranges,
            interpretation=interpretation,
            note=notes or None,
            **value,
        )
    )


def service_request(recheck: Recheck, *, tests: dict[str, LabTest]) -> ServiceRequest:
    coded = [tests[code] for code in recheck.tests if code in tests]
    code: dict[str, Any] = {"text": recheck.title}
    if coded:
        code["coding"] = [
            {"system": LOINC, "code": test.loinc_code, "display": test.name} for test in coded
        ]
    notes = [{"text": text} for text in (recheck.purpose, recheck.caveat) if text]
    if recheck.status == RecheckStatus.DONE:
        notes.append({"text": f"Done on {recheck.done_on}. {recheck.done_note}".strip()})
    elif recheck.status == RecheckStatus.CANCELLED:
        notes.append({"text": f"Not needed: {recheck.cancelled_reason}"})
    elif recheck.status == RecheckStatus.LAPSED:
        notes.append({"text": f"Lapsed on {recheck.lapsed_on}: {recheck.lapsed_reason}"})
    plan = recheck.plan
    return ServiceRequest.model_validate(
        dict(
            id=str(recheck.pk),
            status=RECHECK_STATUS[RecheckStatus(recheck.status)],
            intent="plan",
            code=code,
            subject=ref("Patient", recheck.patient_id),
            basedOn=[ref("MedicationRequest", plan.current_id)] if plan.current_id else None,
            occurrencePeriod={"start": recheck.opens, "end": recheck.closes},
            authoredOn=instant(recheck.created_at),
            note=notes or None,
        )
    )
