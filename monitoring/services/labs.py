"""Laboratory results: entered with their units, converted, flagged, corrected by voiding."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.models import Action, Clinic, Patient
from monitoring.rules import rechecks
from monitoring.rules.interpret import (
    Flag,
    Limits,
    RangeRow,
    band,
    flag,
    fmt,
    implausible,
    pick_range,
)
from monitoring.rules.units import UnknownUnit, find_unit, to_canonical
from plans.models import Administration, Plan, PlanStatus

from ..models import (
    AlertKind,
    LabResult,
    LabTest,
    Qualitative,
    ReferenceRange,
    Severity,
)
from .alerts import alert_raise, assessment_alerts
from .rechecks import recheck_create, rechecks_complete


@dataclass(frozen=True)
class Entry:
    """One value as a person typed it, before it is checked and converted."""

    test: str  # catalogue code
    value: Decimal | None = None
    unit: str = ""
    qualitative: str = ""
    lab_low: Decimal | None = None
    lab_high: Decimal | None = None


@transaction.atomic
def lab_results_add(
    *,
    patient: Patient,
    entries: Sequence[Entry],
    collected_on: date | None,
    by: User,
    today: date,
    notes: str = "",
) -> list[LabResult]:
    """Check every value, convert it to its canonical unit, flag it and save the lot, or save
    nothing. Errors are keyed by the test code (the value), `<code>_unit`, `<code>_low`,
    `collected_on`. Then: rechecks completed, potassium planned after a severe baseline
    anaemia, alerts raised."""
    if not works_in(by, patient.clinic):
        raise ValidationError("Only staff of the patient's clinic can enter results.")
    return lab_results_store(
        patient=patient, entries=entries, collected_on=collected_on, by=by, today=today, notes=notes
    )


@transaction.atomic
def lab_results_store(
    *,
    patient: Patient,
    entries: Sequence[Entry],
    collected_on: date | None,
    by: User,
    today: date,
    notes: str = "",
) -> list[LabResult]:
    """`lab_results_add` for a caller that has settled who may file the results: a message
    from the clinic's laboratory (monitoring/services/inbound.py), filed by its interface."""
    errors: dict[str, str] = {}
    if collected_on is None:
        errors["collected_on"] = "Enter the date the sample was collected."
    elif collected_on > today:
        errors["collected_on"] = "The sample cannot have been collected in the future."
    elif collected_on < patient.date_of_birth:
        errors["collected_on"] = "The sample cannot be collected before the date of birth."
    if not entries:
        errors["__all__"] = "Enter at least one result."
    tests = {test.code: test for test in LabTest.objects.filter(code__in=[e.test for e in entries])}
    limits = lab_limits(tests.values(), clinic=patient.clinic, sex=patient.sex)
    checked: list[tuple[Entry, LabTest, dict[str, Any]]] = []
    for entry in entries:
        test = tests.get(entry.test)
        if test is None:
            errors[entry.test] = "Unknown test."
            continue
        found = _check_entry(entry, test, limits[test.code], errors)
        if found is not None:
            checked.append((entry, test, found))
    if errors:
        raise ValidationError(errors)
    assert collected_on is not None
    sample = uuid.uuid4()
    warnings = _ifab_warning(patient, collected_on) if "ifab" in tests else ""
    saved = [
        LabResult.objects.create(
            patient=patient,
            test=test,
            sample=sample,
            collected_on=collected_on,
            entered_by=by,
            notes=notes.strip(),
            warnings=[warnings] if warnings and test.code == "ifab" else [],
            **fields,
        )
        for entry, test, fields in checked
    ]
    for result in saved:
        audit(
            actor=by,
            action=Action.CREATE,
            obj=result,
            patient=patient,
            summary=f"Result {result.test.name} {result.display_value} "
            f"(collected {collected_on}) entered",
            changes={
                "value": [None, result.display_value],
                "canonical": [None, str(result.value) if result.value is not None else None],
                "flag": [None, result.flag],
            },
        )
    _after_results(patient=patient, results=saved, today=today)
    return saved


def _check_entry(
    entry: Entry, test: LabTest, limits: Limits, errors: dict[str, str]
) -> dict[str, Any] | None:
    code = entry.test
    if test.qualitative:
        if entry.qualitative not in Qualitative.values:
            errors[code] = "Choose negative, positive or equivocal."
            return None
        return {"qualitative": entry.qualitative, "flag": entry.qualitative}
    if entry.value is None:
        errors[code] = "Enter a number."
        return None
    if entry.value < 0:
        errors[code] = "A result cannot be negative."
        return None
    try:
        unit = find_unit(entry.unit or test.unit, limits.units)
    except UnknownUnit:
        errors[f"{code}_unit"] = (
            f"{test.name} is not accepted in “{entry.unit}”: use {', '.join(limits.units)}."
        )
        return None
    factor = limits.units[unit]
    value = to_canonical(entry.value, factor)
    problem = implausible(entry.value, entered_unit=unit, canonical=value, limits=limits)
    if problem:
        errors[code] = f"{test.name} {fmt(entry.value)} {unit} is {problem}"
        return None
    lab_low = None if entry.lab_low is None else to_canonical(entry.lab_low, factor)
    lab_high = None if entry.lab_high is None else to_canonical(entry.lab_high, factor)
    if lab_low is not None and lab_high is not None and lab_low > lab_high:
        errors[f"{code}_low"] = "The laboratory's lower limit is above its upper limit."
        return None
    own = replace(
        limits,
        low=lab_low if lab_low is not None else (limits.low if lab_high is None else None),
        high=lab_high if lab_high is not None else (limits.high if lab_low is None else None),
    )
    return {
        "value_entered": entry.value,
        "unit_entered": unit,
        "value": value,
        "lab_low": lab_low,
        "lab_high": lab_high,
        "range_low": own.low,
        "range_high": own.high,
        "flag": flag(value, own),
        "band": band(value, limits.bands),
    }


def lab_limits(tests: Iterable[LabTest], *, clinic: Clinic, sex: str) -> dict[str, Limits]:
    """What each test is judged against for a patient of this clinic and sex. One query."""
    tests = list(tests)
    rows: dict[int, list[RangeRow]] = {}
    for found in ReferenceRange.objects.filter(test__in=tests).filter(
        Q(clinic=clinic) | Q(clinic__isnull=True)
    ):
        rows.setdefault(found.test_id, []).append(
            RangeRow(
                clinic_specific=found.clinic_id is not None,
                sex=found.sex,
                low=found.low,
                high=found.high,
            )
        )
    limits = {}
    for test in tests:
        low, high = pick_range(rows.get(test.pk, []), sex=sex)
        limits[test.code] = Limits(
            unit=test.unit,
            units=test.factors(),
            low=low,
            high=high,
            critical_low=test.critical_low,
            critical_high=test.critical_high,
            plausible_low=test.plausible_low,
            plausible_high=test.plausible_high,
            bands=test.band_rules(),
        )
    return limits


def _ifab_warning(patient: Patient, collected_on: date) -> str:
    """The intrinsic factor antibody must be drawn before injections: a dose given before the
    sample can make the result falsely positive."""
    last = (
        Administration.objects.filter(
            dose__plan__patient=patient,
            is_void=False,
            replaced_by__isnull=True,
            given_on__lte=collected_on,
        )
        .order_by("-given_on")
        .values_list("given_on", flat=True)
        .first()
    )
    if last is None:
        return ""
    days = (collected_on - last).days
    if days == 0:
        return (
            "Collected on the day of an injection: unless it was drawn before the dose, the "
            "intrinsic factor antibody can be falsely positive."
        )
    if days <= 14:
        return (
            f"Drawn {days} days after an injection (given {last:%-d %b %Y}): within 2 weeks "
            "of a dose the intrinsic factor antibody can be falsely positive. Interpret with "
            "care."
        )
    return (
        f"Drawn after injections had started (last given {last:%-d %b %Y}): the reference "
        "advises drawing it before the first injection."
    )


@transaction.atomic
def lab_result_void(*, result: LabResult, by: User, reason: str, today: date) -> LabResult:
    """Mark a result entered in error: a new row replaces it; the original stays."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the result is wrong."})
    if not works_in(by, result.patient.clinic):
        raise ValidationError("Only staff of the patient's clinic can change results.")
    current = LabResult.objects.select_for_update().get(pk=result.pk)
    if current.is_void or LabResult.objects.filter(replaces=current).exists():
        raise ValidationError("This result has already been corrected or voided.")
    try:
        with transaction.atomic():
            void = LabResult.objects.create(
                patient=current.patient,
                test=current.test,
                sample=current.sample,
                collected_on=current.collected_on,
                replaces=current,
                is_void=True,
                reason=reason.strip(),
                entered_by=by,
            )
    except IntegrityError as exc:
        raise ValidationError("This result has already been corrected or voided.") from exc
    audit(
        actor=by,
        action=Action.VOID,
        obj=void,
        patient=current.patient,
        summary=f"Result {current.test.name} {current.display_value} marked entered in error",
        changes={"replaces": [None, str(current.pk)]},
        reason=reason.strip(),
    )
    return void


def _after_results(*, patient: Patient, results: Sequence[LabResult], today: date) -> None:
    for result in results:
        if result.flag in (Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH):
            alert_raise(
                patient=patient,
                kind=AlertKind.CRITICAL_RESULT,
                severity=Severity.URGENT,
                title=f"Critical {result.test.name.lower()}: {result.display_value}",
                detail=f"Collected {result.collected_on:%-d %b %Y}; "
                f"{result.flag.replace('_', ' ')}. Review today.",
                key=f"critical:{result.pk}",
            )
    plan = active_plan(patient)
    if plan is not None:
        _plan_potassium(plan, results)
    rechecks_complete(patient=patient, today=today)
    assessment_alerts(patient=patient, today=today)


def active_plan(patient: Patient) -> Plan | None:
    return (
        patient.plans.filter(status=PlanStatus.ACTIVE)
        .select_related("current", "patient__clinic")
        .first()
    )


def _plan_potassium(plan: Plan, results: Sequence[LabResult]) -> None:
    version = plan.version
    threshold = plan.patient.clinic.severe_anaemia_hb
    for result in results:
        if (
            result.test.code == "hb"
            and result.value is not None
            and rechecks.needs_potassium(
                hb_g_per_l=float(result.value),
                collected=result.collected_on,
                start=version.start_date,
                severe_below=threshold,
            )
        ):
            recheck_create(plan, rechecks.place(rechecks.POTASSIUM, version.start_date))
