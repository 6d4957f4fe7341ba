"""The code systems, units and small shapes the FHIR export uses (monitoring/interop/fhir.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from b12clinic.core.models import Clinic
from plans.rules.schedule import IntervalUnit

from ..models import RecheckStatus

FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ADMIN_CATEGORY = "http://terminology.hl7.org/CodeSystem/medication-admin-category"

ROUTES = {"IM": ("78421000", "Intramuscular route"), "SC": ("34206005", "Subcutaneous route")}
# The catalogue's units, as UCUM writes them.
UCUM_UNITS = {
    "g/L": "g/L",
    "fL": "fL",
    "%": "%",
    "10^9/L": "10*9/L",
    "pmol/L": "pmol/L",
    "µmol/L": "umol/L",
    "µg/L": "ug/L",
    "mmol/L": "mmol/L",
    "mcg": "ug",
    "mg": "mg",
    "mL": "mL",
}
QUALITATIVE = {
    "positive": ("10828004", "Positive"),
    "negative": ("260385009", "Negative"),
    "equivocal": ("42425007", "Equivocal"),
}
INTERPRETATIONS = {
    "normal": ("N", "Normal"),
    "low": ("L", "Low"),
    "high": ("H", "High"),
    "critical_low": ("LL", "Critical low"),
    "critical_high": ("HH", "Critical high"),
    "positive": ("POS", "Positive"),
    "negative": ("NEG", "Negative"),
    "equivocal": ("IND", "Indeterminate"),
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PERIOD_UNITS = {IntervalUnit.DAYS: "d", IntervalUnit.WEEKS: "wk", IntervalUnit.MONTHS: "mo"}
RECHECK_STATUS = {
    RecheckStatus.PENDING: "active",
    RecheckStatus.DONE: "completed",
    RecheckStatus.CANCELLED: "revoked",
    RecheckStatus.LAPSED: "revoked",
}


def base_url() -> str:
    return f"{settings.SITE_URL}/fhir"


def record_number_system(clinic: Clinic | Any) -> str:
    clinic_id = clinic.pk if isinstance(clinic, Clinic) else clinic
    return f"urn:uuid:{clinic_id}"


def ref(kind: str, pk: object, display: str = "") -> dict[str, str]:
    reference = {"reference": f"{kind}/{pk}"}
    if display:
        reference["display"] = display
    return reference


def number(value: Decimal) -> Decimal:
    """A stored decimal without its padding zeros (132.000000 is sent as 132)."""
    return Decimal(format(value.normalize(), "f"))


def quantity(value: Decimal, unit: str) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": number(value), "unit": unit}
    if unit in UCUM_UNITS:
        quantity |= {"system": UCUM, "code": UCUM_UNITS[unit]}
    return quantity


def instant(value: datetime | date) -> str:
    return value.isoformat()


def route(route: str) -> dict[str, Any]:
    code, display = ROUTES[route]
    return {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": route}


def person_name(user: User) -> str:
    return user.get_full_name() or user.get_username()
