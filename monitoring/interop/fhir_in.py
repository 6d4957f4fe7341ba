"""Laboratory results in as FHIR R4: a Bundle of Observations (with the Patient they are
about, or a reference to one of ours), or a DiagnosticReport with its Observations contained.
Read with the fhir.resources models and turned into the same `LabMessage` an HL7 v2 message
becomes, so both go through one set of checks (monitoring/services/inbound.py)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from pydantic import ValidationError as ModelError

from .hl7v2 import UNITS, Identity, LabMessage, Result, Unreadable

LOINC = "http://loinc.org"
SNOMED_ANSWERS = {"10828004": "positive", "260385009": "negative", "42425007": "equivocal"}
STATUSES = {"final": "F", "amended": "C", "corrected": "C"}


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _result(observation: dict[str, Any]) -> Result:
    codings = (observation.get("code") or {}).get("coding") or []
    loinc = next((c for c in codings if c.get("system") == LOINC), None)
    coding = loinc or (codings[0] if codings else {})
    quantity = observation.get("valueQuantity") or {}
    concept = observation.get("valueCodeableConcept") or {}
    text = ""
    for answer in concept.get("coding") or []:
        text = SNOMED_ANSWERS.get(answer.get("code", ""), "") or answer.get("display", "")
        if text:
            break
    text = text or concept.get("text", "") or observation.get("valueString", "")
    ranges = observation.get("referenceRange") or [{}]
    low = (ranges[0].get("low") or {}).get("value")
    high = (ranges[0].get("high") or {}).get("value")
    unit = quantity.get("code") or quantity.get("unit") or ""
    value = quantity.get("value")
    return Result(
        code=coding.get("code", ""),
        system="LN" if coding.get("system") == LOINC else coding.get("system", ""),
        name=coding.get("display") or (observation.get("code") or {}).get("text", ""),
        value=Decimal(str(value)) if value is not None else None,
        text=str(value) if value is not None else text,
        unit=UNITS.get(unit, unit),
        low=Decimal(str(low)) if low is not None else None,
        high=Decimal(str(high)) if high is not None else None,
        status=STATUSES.get(observation.get("status", ""), observation.get("status", "")),
        collected_on=_day(observation.get("effectiveDateTime")),
    )


def _identity(patient: dict[str, Any]) -> Identity:
    names = patient.get("name") or [{}]
    return Identity(
        record_numbers=tuple(i["value"] for i in patient.get("identifier") or [] if i.get("value")),
        date_of_birth=_day(patient.get("birthDate")),
        family_name=names[0].get("family", ""),
        given_name=" ".join(names[0].get("given") or []),
    )


def read(raw: str, *, sender: str) -> tuple[LabMessage, str]:
    """The message, and the id of our Patient it names directly ("" when it sends the
    Patient's identity instead)."""
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise Unreadable(f"The body is not JSON: {error}") from error
    kind = data.get("resourceType") if isinstance(data, dict) else None
    try:
        if kind == "Bundle":
            Bundle.model_validate(data)
            resources = [e.get("resource") or {} for e in data.get("entry") or []]
        elif kind == "DiagnosticReport":
            DiagnosticReport.model_validate(data)
            resources = [data, *(data.get("contained") or [])]
        else:
            raise Unreadable("Send a Bundle of Observations or a DiagnosticReport.")
    except ModelError as error:
        raise Unreadable(f"The {kind} is not valid FHIR R4: {error.errors()[0]['msg']}") from error
    observations = [r for r in resources if r.get("resourceType") == "Observation"]
    if not observations:
        raise Unreadable(f"The {kind} holds no Observation.")
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    identifier = data.get("identifier")
    identifier = identifier[0] if isinstance(identifier, list) and identifier else identifier
    control_id = (identifier or {}).get("value", "")
    if not control_id:
        raise Unreadable(f"Give the {kind} an identifier, so that a resend is recognised.")
    subjects = {(o.get("subject") or {}).get("reference", "") for o in observations}
    if kind == "DiagnosticReport":
        subjects.add((data.get("subject") or {}).get("reference", ""))
    subjects.discard("")
    ours = ""
    if patients:
        identity = _identity(patients[0])
    elif len(subjects) == 1 and next(iter(subjects)).startswith("Patient/"):
        ours, identity = next(iter(subjects)).removeprefix("Patient/"), Identity((), None, "", "")
    else:
        raise Unreadable("Name the patient: a Patient resource, or a reference Patient/<id>.")
    lab = LabMessage(
        control_id=control_id,
        sender=sender,
        sent_at=None,
        patient=identity,
        results=tuple(_result(o) for o in observations),
    )
    return lab, ours
