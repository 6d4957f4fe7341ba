"""Writes for monitoring: results, rechecks, check-ins, and the alerts they raise."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.events import publish
from b12clinic.core.models import Action, Clinic, Patient
from plans.models import Administration, Cause, Dose, DoseStatus, Plan, PlanStatus

from . import rechecks
from .events import RechecksChanged
from .interpret import Flag, Limits, RangeRow, band, flag, fmt, implausible, pick_range
from .models import (
    Alert,
    AlertKind,
    Answer,
    LabResult,
    LabTest,
    Qualitative,
    Recheck,
    RecheckStatus,
    ReferenceRange,
    Severity,
    SymptomCheckIn,
)
from .units import UnknownUnit, find_unit, to_canonical


def alert_raise(
    *,
    patient: Patient,
    kind: AlertKind,
    severity: Severity,
    title: str,
    key: str,
    detail: str = "",
    plan: Plan | None = None,
) -> Alert:
    """Raise an alert once per key: raising it again returns the existing one."""
    alert, _ = Alert.objects.get_or_create(
        dedupe_key=key[:200],
        defaults={
            "patient": patient,
            "plan": plan,
            "kind": kind,
            "severity": severity,
            "title": title[:200],
            "detail": detail,
        },
    )
    return alert


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User, note: str, now: datetime) -> Alert:
    if not note.strip():
        raise ValidationError({"note": "Say what was done, or why no action is needed."})
    if not works_in(by, alert.patient.clinic, as_clinician=True):
        raise ValidationError("Only a clinician of the patient's clinic can acknowledge it.")
    updated = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=by, acknowledgement_note=note.strip()
    )
    alert.refresh_from_db()
    if not updated:
        who = alert.acknowledged_by.get_username() if alert.acknowledged_by else "someone"
        raise ValidationError(f"This alert was already acknowledged by {who}.")
    audit(
        actor=by,
        action=Action.ACKNOWLEDGE,
        obj=alert,
        patient=alert.patient,
        summary=f"Alert acknowledged: {alert.title}",
        changes={"acknowledged": [False, True]},
        reason=note.strip(),
    )
    return alert


def alerts_raise_overdue(*, now: datetime) -> int:
    """Alert once per dose when a neurological or pernicious-anaemia patient's injection is
    overdue beyond the clinic's limit, counting days in each clinic's own zone: the plan's
    earliest open dose only, since recording it re-plans the rest. Returns how many alerts
    were new."""
    raised = 0
    for clinic in Clinic.objects.all():
        today = timezone.localdate(now, timezone=clinic.zone)
        doses = list(
            Dose.objects.filter(
                status=DoseStatus.DUE,
                due_date__lt=today - timedelta(days=clinic.overdue_alert_days),
                plan__status=PlanStatus.ACTIVE,
                plan__patient__clinic=clinic,
            )
            .filter(
                Q(plan__current__neurological=True)
                | Q(plan__current__cause=Cause.PERNICIOUS_ANAEMIA)
            )
            .select_related("plan__current", "plan__patient")
            .order_by("plan_id", "due_date")
        )
        earliest: dict[object, Dose] = {}
        for dose in doses:
            earliest.setdefault(dose.plan_id, dose)
        doses = list(earliest.values())
        known = set(
            Alert.objects.filter(dedupe_key__in=[_overdue_key(dose) for dose in doses]).values_list(
                "dedupe_key", flat=True
            )
        )
        for dose in doses:
            if _overdue_key(dose) in known:
                continue
            version = dose.plan.version
            why = "neurological involvement" if version.neurological else "pernicious anaemia"
            alert_raise(
                patient=dose.plan.patient,
                plan=dose.plan,
                kind=AlertKind.OVERDUE_INJECTION,
                severity=Severity.URGENT if version.neurological else Severity.WARNING,
                title=f"Injection overdue by {(today - dose.due_date).days} days ({why})",
                detail=f"The dose due on {dose.due_date:%-d %b %Y} has not been given. Contact "
                "the patient: symptoms can return before the next dose is given.",
                key=_overdue_key(dose),
            )
            raised += 1
    return raised


def _overdue_key(dose: Dose) -> str:
    return f"overdue:{dose.pk}"


# --- Laboratory results ---------------------------------------------------------------------


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
    plan = _active_plan(patient)
    if plan is not None:
        _plan_potassium(plan, results)
    rechecks_complete(patient=patient, today=today)
    assessment_alerts(patient=patient, today=today)


def _active_plan(patient: Patient) -> Plan | None:
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
            _recheck_create(plan, rechecks.place(rechecks.POTASSIUM, version.start_date))


# --- Rechecks -------------------------------------------------------------------------------


def _recheck_create(plan: Plan, planned: rechecks.Planned) -> Recheck | None:
    if (
        Recheck.objects.filter(plan=plan, kind=planned.rule.kind, due_date=planned.due)
        .exclude(status=RecheckStatus.CANCELLED)
        .exists()
    ):
        return None
    return Recheck.objects.create(
        patient=plan.patient,
        plan=plan,
        kind=planned.rule.kind,
        title=planned.rule.title,
        tests=list(planned.rule.tests),
        purpose=planned.rule.purpose,
        caveat=planned.rule.caveat,
        opens=planned.opens,
        due_date=planned.due,
        closes=planned.closes,
        lapses_on=planned.lapses_on,
    )


def rechecks_plan(*, plan: Plan, today: date) -> list[Recheck]:
    """The default rechecks for a new plan (called by plan_create, in its transaction)."""
    version = plan.version
    maintenance = version.phases.filter(kind="maintenance").exists()
    created = [
        _recheck_create(plan, planned)
        for planned in rechecks.default_rechecks(
            start=version.start_date,
            serum_b12=plan.patient.clinic.recheck_serum_b12,
            maintenance=maintenance,
        )
    ]
    saved = [recheck for recheck in created if recheck is not None]
    rechecks_complete(patient=plan.patient, today=today)
    return saved


def rechecks_follow_first_injection(*, plan: Plan, first_injection: date) -> int:
    """The first course's rechecks count from the first injection, not from the date the plan
    was written: when the first dose is given on another day, the pending ones move with it
    (in the transaction that recorded it). Returns how many moved."""
    moved = []
    for recheck in plan.rechecks.filter(
        status=RecheckStatus.PENDING, kind__in=rechecks.AFTER_FIRST_INJECTION
    ):
        rule = rechecks.RULES[rechecks.Kind(recheck.kind)]
        placed = rechecks.place(rule, first_injection)
        if placed.due == recheck.due_date:
            continue
        recheck.opens, recheck.due_date, recheck.closes = placed.opens, placed.due, placed.closes
        recheck.lapses_on = placed.lapses_on
        recheck.updated_at = timezone.now()
        moved.append(recheck)
    Recheck.objects.bulk_update(moved, ["opens", "due_date", "closes", "lapses_on", "updated_at"])
    if moved:
        audit(
            actor=None,
            action=Action.CHANGE,
            obj=plan,
            patient=plan.patient,
            summary=f"{len(moved)} rechecks moved to follow the first injection, given on "
            f"{first_injection:%-d %b %Y}",
            changes={r.kind: [None, str(r.due_date)] for r in moved},
        )
        publish(RechecksChanged(patient=plan.patient))
    return len(moved)


def rechecks_cancel_for_plan(*, plan: Plan, reason: str) -> int:
    """A plan that ends takes its pending rechecks with it."""
    return plan.rechecks.filter(status=RecheckStatus.PENDING).update(
        status=RecheckStatus.CANCELLED, cancelled_reason=reason[:500], updated_at=timezone.now()
    )


@transaction.atomic
def recheck_cancel(*, recheck: Recheck, by: User, reason: str) -> Recheck:
    if not reason.strip():
        raise ValidationError({"reason": "Say why this recheck is not needed."})
    if not works_in(by, recheck.patient.clinic, as_clinician=True):
        raise ValidationError("Only a clinician of the patient's clinic can change rechecks.")
    updated = Recheck.objects.filter(pk=recheck.pk, status=RecheckStatus.PENDING).update(
        status=RecheckStatus.CANCELLED,
        cancelled_reason=reason.strip(),
        cancelled_by=by,
        updated_at=timezone.now(),
    )
    if not updated:
        raise ValidationError("This recheck is already done or cancelled.")
    recheck.refresh_from_db()
    publish(RechecksChanged(patient=recheck.patient))
    audit(
        actor=by,
        action=Action.CHANGE,
        obj=recheck,
        patient=recheck.patient,
        summary=f"Recheck marked not needed: {recheck.title}",
        changes={"status": ["pending", "cancelled"]},
        reason=reason.strip(),
    )
    return recheck


@transaction.atomic
def recheck_add(*, plan: Plan, kind: str, due: date, by: User, today: date) -> Recheck:
    """Add a planned recheck of a standard kind on a chosen date (its window moves with it)."""
    if not works_in(by, plan.patient.clinic, as_clinician=True):
        raise ValidationError("Only a clinician of the patient's clinic can plan rechecks.")
    try:
        rule = rechecks.RULES[rechecks.Kind(kind)]
    except (KeyError, ValueError) as exc:
        raise ValidationError({"kind": "Choose a recheck."}) from exc
    if due < today:
        raise ValidationError({"due_date": "A new recheck cannot be due in the past."})
    anchor = due - timedelta(days=rule.due)
    created = _recheck_create(plan, rechecks.place(rule, anchor))
    if created is None:
        raise ValidationError({"due_date": "This recheck is already planned for that date."})
    rechecks_complete(patient=plan.patient, today=today)
    publish(RechecksChanged(patient=plan.patient))
    audit(
        actor=by,
        action=Action.CREATE,
        obj=created,
        patient=plan.patient,
        summary=f"Recheck planned: {created.title} due {created.due_date}",
    )
    return created


def rechecks_lapse(*, now: datetime) -> int:
    """Nightly: close as lapsed every pending first-course recheck whose purpose has passed,
    by each clinic's own date. The row stays, with the reason."""
    lapsed = 0
    for clinic in Clinic.objects.all():
        today = timezone.localdate(now, timezone=clinic.zone)
        lapsed += len(_lapse(Recheck.objects.filter(patient__clinic=clinic), today=today, now=now))
    return lapsed


def _lapse(rechecks_of: QuerySet[Recheck], *, today: date, now: datetime) -> list[Recheck]:
    found = list(
        rechecks_of.filter(status=RecheckStatus.PENDING, lapses_on__lt=today).select_related(
            "patient"
        )
    )
    for recheck in found:
        recheck.status = RecheckStatus.LAPSED
        recheck.lapsed_on = today
        recheck.lapsed_reason = rechecks.lapse_reason(closes=recheck.closes, kind=recheck.kind)
        recheck.updated_at = now
    Recheck.objects.bulk_update(found, ["status", "lapsed_on", "lapsed_reason", "updated_at"])
    for recheck in found:
        audit(
            actor=None,
            action=Action.CHANGE,
            obj=recheck,
            patient=recheck.patient,
            summary=f"Recheck lapsed: {recheck.title}",
            changes={"status": ["pending", "lapsed"]},
            reason=recheck.lapsed_reason,
            at=now,
        )
    return found


def rechecks_complete(*, patient: Patient, today: date) -> list[Recheck]:
    """Mark done each pending (or lapsed) recheck whose tests all have a result inside its
    window (or, for a symptom review, a check-in inside it); a yearly blood count plans the
    next one. Then lapse what is past its lapse date."""
    # A result collected inside a window completes it, even one entered after it lapsed.
    pending = list(
        Recheck.objects.filter(
            patient=patient, status__in=[RecheckStatus.PENDING, RecheckStatus.LAPSED]
        ).select_related("plan")
    )
    if not pending:
        return []
    results = list(
        LabResult.objects.filter(
            patient=patient, is_void=False, replaced_by__isnull=True
        ).values_list("test__code", "collected_on")
    )
    checkin_dates = list(patient.checkins.values_list("on_date", flat=True))
    done = []
    for recheck in pending:
        if recheck.tests:
            complete = rechecks.completes(
                tests=tuple(recheck.tests),
                opens=recheck.opens,
                closes=recheck.closes,
                results=results,
            )
            inside = [d for c, d in results if c in recheck.tests and recheck.opens <= d]
            inside = [d for d in inside if d <= recheck.closes]
        else:
            inside = [d for d in checkin_dates if recheck.opens <= d <= recheck.closes]
            complete = bool(inside)
        if not complete:
            continue
        recheck.status = RecheckStatus.DONE
        recheck.done_on = max(inside)
        recheck.done_note = "Results entered" if recheck.tests else "Symptom check-in recorded"
        recheck.save(update_fields=["status", "done_on", "done_note", "updated_at"])
        done.append(recheck)
        if recheck.kind == rechecks.Kind.YEARLY_BLOOD_COUNT and recheck.plan.is_active:
            _recheck_create(recheck.plan, rechecks.next_yearly(done_on=recheck.done_on))
    lapsed = _lapse(
        Recheck.objects.filter(patient=patient).exclude(pk__in=[r.pk for r in done]),
        today=today,
        now=timezone.now(),
    )
    if done or lapsed:
        publish(RechecksChanged(patient=patient))
    return done


# --- Symptom check-ins ----------------------------------------------------------------------


@transaction.atomic
def checkin_add(
    *,
    patient: Patient,
    answers: Mapping[str, str],
    on: date,
    by: User,
    today: date,
    notes: str = "",
    dose: Dose | None = None,
) -> SymptomCheckIn:
    if not works_in(by, patient.clinic):
        raise ValidationError("Only staff of the patient's clinic can record a check-in.")
    errors = {
        name: "Choose none, better, same or worse."
        for name in SymptomCheckIn.SYMPTOM_FIELDS
        if answers.get(name) not in Answer.values
    }
    if on > today:
        errors["on_date"] = "A check-in cannot be in the future."
    elif on < patient.date_of_birth:
        errors["on_date"] = "A check-in cannot be before the date of birth."
    if dose is not None and dose.plan.patient_id != patient.pk:
        errors["__all__"] = "That dose belongs to another patient."
    if errors:
        raise ValidationError(errors)
    plan = dose.plan if dose is not None else _active_plan(patient)
    checkin = SymptomCheckIn.objects.create(
        patient=patient,
        plan=plan,
        dose=dose,
        on_date=on,
        notes=notes.strip(),
        recorded_by=by,
        **{name: answers[name] for name in SymptomCheckIn.SYMPTOM_FIELDS},
    )
    rechecks_complete(patient=patient, today=today)
    assessment_alerts(patient=patient, today=today)
    audit(
        actor=by,
        action=Action.CREATE,
        obj=checkin,
        patient=patient,
        summary=f"Symptom check-in for {on}",
        changes={name: [None, answers[name]] for name in SymptomCheckIn.SYMPTOM_FIELDS},
        reason=notes.strip(),
    )
    return checkin


# --- Alerts from the assessment -------------------------------------------------------------


def assessment_alerts(*, patient: Patient, today: date) -> list[Alert]:
    """Raise what the response assessment says needs a clinician: urgent findings (low
    potassium early on, worse nerve symptoms) and an inadequate response."""
    from .selectors import patient_assessment

    found = patient_assessment(patient=patient, today=today)
    if found is None:
        return []
    plan, assessment = found
    raised = []
    for urgent in assessment.urgent:
        kind = (
            AlertKind.LOW_POTASSIUM if urgent.key.startswith("potassium") else AlertKind.NEURO_WORSE
        )
        raised.append(
            alert_raise(
                patient=patient,
                plan=plan,
                kind=kind,
                severity=Severity.URGENT,
                title=urgent.title,
                detail=urgent.detail,
                key=urgent.key,
            )
        )
    if assessment.inadequate:
        concerns = [
            finding.text
            for finding in assessment.haematological.findings
            if finding.status == "concern"
        ]
        # One open alert per plan: another only once the last one was acknowledged.
        seen = Alert.objects.filter(
            plan=plan, kind=AlertKind.INADEQUATE_RESPONSE, acknowledged_at__isnull=False
        ).count()
        raised.append(
            alert_raise(
                patient=patient,
                plan=plan,
                kind=AlertKind.INADEQUATE_RESPONSE,
                severity=Severity.WARNING,
                title="Not responding as expected to B12 injections",
                detail=" ".join(concerns)
                + " Check the dose, adherence, diagnosis and cause on the results page.",
                key=f"inadequate:{plan.pk}:{seen}",
            )
        )
    return raised
