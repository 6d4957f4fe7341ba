"""What the FHIR API answers with: a patient's `$everything` Bundle, a search Bundle, the
CapabilityStatement and OperationOutcomes, built from the resources of fhir.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Prefetch
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.resource import Resource

from b12clinic.core.models import Patient, Product
from plans.models import Administration, DoseNotGiven, Plan, PlanVersion

from ..models import LabResult, LabTest, Recheck
from .fhir import (
    medication,
    medication_administration,
    medication_not_given,
    medication_request,
    observation,
    organization,
    patient,
    practitioner,
    service_request,
)
from .fhir_codes import FHIR_VERSION, MEDIA_TYPE, base_url, instant


@dataclass(frozen=True)
class Entry:
    resource: Resource
    mode: str = "match"  # or "include": a resource the matches refer to


def _bundle(entries: list[Entry], *, now: datetime) -> Bundle:
    base = base_url()
    return Bundle.model_validate(
        dict(
            type="searchset",
            timestamp=instant(now),
            total=sum(1 for entry in entries if entry.mode == "match"),
            entry=[
                {
                    "fullUrl": f"{base}/{entry.resource.get_resource_type()}/{entry.resource.id}",
                    "resource": entry.resource,
                    "search": {"mode": entry.mode},
                }
                for entry in entries
            ],
        )
    )


def search_bundle(patients: list[Patient], *, now: datetime) -> Bundle:
    return _bundle([Entry(patient(record)) for record in patients], now=now)


def everything(record: Patient, *, now: datetime) -> Bundle:
    """`Patient/<id>/$everything`: the patient, their plans (one MedicationRequest a version),
    what was given and not given, their results and planned rechecks, and the clinic,
    prescribers, nurses and products these refer to."""
    plans = list(
        Plan.objects.filter(patient=record)
        .order_by("created_at")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=PlanVersion.objects.select_related("product", "prescriber")
                .prefetch_related("phases")
                .order_by("number"),
            )
        )
    )
    versions_of = {plan.pk: list(plan.versions.all()) for plan in plans}
    records = list(
        Administration.objects.filter(dose__plan__patient=record)
        .select_related("dose__plan", "given_by")
        .order_by("recorded_at")
    )
    replaced_by = {r.replaces_id: r for r in records if r.replaces_id is not None}
    not_given = list(
        DoseNotGiven.objects.filter(dose__plan__patient=record)
        .select_related("dose__plan")
        .order_by("recorded_at")
    )
    results = list(
        LabResult.objects.filter(patient=record)
        .select_related("test")
        .order_by("collected_on", "entered_at")
    )
    result_replaced_by = {r.replaces_id: r for r in results if r.replaces_id is not None}
    rechecks = list(
        Recheck.objects.filter(patient=record).select_related("plan").order_by("due_date")
    )
    tests = {test.code: test for test in LabTest.objects.all()}

    people: dict[int, User] = {}
    products: dict[Any, Product] = {}
    entries = [Entry(patient(record))]
    for plan in plans:
        versions = versions_of[plan.pk]
        for index, version in enumerate(versions):
            before = versions[index - 1] if index else None
            after = versions[index + 1] if index + 1 < len(versions) else None
            entries.append(
                Entry(medication_request(version, plan=plan, before=before, after=after))
            )
            people[version.prescriber.pk] = version.prescriber
            products[version.product.pk] = version.product
    for given in records:
        if given.is_void:
            continue
        entries.append(
            Entry(
                medication_administration(
                    given,
                    versions=versions_of[given.dose.plan_id],
                    replaced_by=replaced_by.get(given.pk),
                )
            )
        )
        if given.given_by is not None:
            people[given.given_by.pk] = given.given_by
    for missed in not_given:
        entries.append(
            Entry(medication_not_given(missed, versions=versions_of[missed.dose.plan_id]))
        )
    for result in results:
        if not result.is_void:
            corrected = result_replaced_by.get(result.pk)
            entries.append(Entry(observation(result, replaced_by=corrected)))
    for recheck in rechecks:
        entries.append(Entry(service_request(recheck, tests=tests)))
    entries.append(Entry(organization(record.clinic), mode="include"))
    entries += [Entry(practitioner(person), mode="include") for person in people.values()]
    entries += [Entry(medication(product), mode="include") for product in products.values()]
    return _bundle(entries, now=now)


def capability_statement(*, now: datetime) -> CapabilityStatement:
    return CapabilityStatement.model_validate(
        dict(
            status="active",
            date=instant(now),
            kind="instance",
            software={"name": "B12 Clinic"},
            implementation={"description": "B12 Clinic FHIR API (read-only)", "url": base_url()},
            fhirVersion=FHIR_VERSION,
            format=[MEDIA_TYPE, "json"],
            rest=[
                {
                    "mode": "server",
                    "documentation": "Authenticate with `Authorization: Bearer <token>`, a token a "
                    "clinic admin makes in the admin; it reads and files that clinic's patients "
                    "only.",
                    "security": {
                        "description": "A bearer API token scoped to one clinic; "
                        "every read is audited."
                    },
                    "resource": [
                        {
                            "type": "Patient",
                            "interaction": [{"code": "read"}, {"code": "search-type"}],
                            "searchParam": [
                                {
                                    "name": "identifier",
                                    "type": "token",
                                    "documentation": "urn:uuid:<clinic id>|<record number>",
                                }
                            ],
                            "operation": [
                                {
                                    "name": "everything",
                                    "definition": "http://hl7.org/fhir/OperationDefinition/"
                                    "Patient-everything",
                                }
                            ],
                        },
                        {
                            "type": "Bundle",
                            "interaction": [{"code": "create"}],
                            "documentation": "Laboratory results in: Observations with the "
                            "Patient they are about (identifier, birthDate, name) or a "
                            "reference Patient/<id>; an identifier makes a resend recognised.",
                        },
                        {
                            "type": "DiagnosticReport",
                            "interaction": [{"code": "create"}],
                            "documentation": "Laboratory results in, the Observations contained.",
                        },
                    ],
                }
            ],
        )
    )


def outcome(*, code: str, text: str, severity: str = "error") -> OperationOutcome:
    """An error, as FHIR says it: `not-found`, `security`, `login`, `invalid`, `not-supported`."""
    return OperationOutcome.model_validate(
        dict(issue=[{"severity": severity, "code": code, "diagnostics": text}])
    )
