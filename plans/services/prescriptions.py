"""Plans: prescribed, amended (a new version with a reason), loading ended, stopped."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.events import publish
from b12clinic.core.models import Action, Patient, Product
from plans import events
from plans.rules import dosing, schedule

from ..materialise import doses_cancel_pending, doses_extend, doses_reconcile
from ..models import Phase, Plan, PlanOverride, PlanStatus, PlanVersion

MAX_START_DAYS_AGO = 31
MAX_START_DAYS_AHEAD = 365

# Which form field carries the reason for a rule that can be overridden.
REASON_FIELDS = {
    "above_max_single_dose": "dose_reason",
    "route_outside_licence": "route_reason",
}


@dataclass(frozen=True)
class Prescription:
    """What a clinician prescribes; one Prescription becomes one PlanVersion."""

    regimen: str
    product: Product
    dose: dosing.ParsedDose
    route: dosing.Route
    cause: str
    neurological: bool
    start_date: date
    phases: tuple[schedule.PhaseRule, ...]
    review_date: date | None = None
    indication: dosing.Indication = dosing.Indication.DEFICIENCY
    self_administered: bool = False
    reasons: dict[str, str] = field(default_factory=dict)  # problem code -> override reason


def _product_facts(product: Product) -> dosing.ProductFacts:
    return dosing.ProductFacts(
        code=product.code,
        generic_name=product.generic_name,
        strength_mcg_per_ml=product.strength_mcg_per_ml,
        licensed_routes=product.routes,
        is_cyanocobalamin=product.is_cyanocobalamin,
    )


def prescription_problems(prescription: Prescription, patient: Patient) -> list[dosing.Problem]:
    limits = dosing.DoseLimits(
        usual_min_mcg={prescription.product.code: prescription.product.usual_min_dose_mcg}
    )
    return dosing.check_dose(
        dose=prescription.dose,
        route=prescription.route,
        product=_product_facts(prescription.product),
        patient=dosing.PatientFacts(
            cobalt_or_b12_sensitivity=patient.cobalt_or_b12_sensitivity,
            leber_optic_neuropathy=patient.leber_optic_neuropathy,
        ),
        indication=prescription.indication,
        limits=limits,
    )


def prescription_validate(
    prescription: Prescription, *, patient: Patient, today: date, amending: bool = False
) -> list[dosing.Problem]:
    """Raise ValidationError keyed by field for anything that stops a save; return the
    problems that can be saved (warnings, and overrides that carry a reason)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not amending:
        if prescription.start_date < today - timedelta(days=MAX_START_DAYS_AGO):
            add(
                "start_date",
                f"The start date is more than {MAX_START_DAYS_AGO} days ago. Start the plan "
                "from today and record earlier injections in the notes.",
            )
        if prescription.start_date > today + timedelta(days=MAX_START_DAYS_AHEAD):
            add("start_date", "The start date is more than a year ahead.")
    if prescription.review_date and prescription.review_date < prescription.start_date:
        add("review_date", "The review date is before the start date.")
    if not prescription.product.active:
        add("product", "This product is no longer in use.")
    try:
        schedule.validate_phases(prescription.phases)
    except schedule.ScheduleError as exc:
        add(exc.field, exc.message)
    if any(p.end is schedule.EndRule.AT_REVIEW for p in prescription.phases) and (
        prescription.review_date is None
    ):
        add("review_date", "A phase that ends at review needs a review date.")

    problems = prescription_problems(prescription, patient)
    for problem in dosing.blocking(problems, prescription.reasons):
        add(problem.field, problem.message)
        if problem.code in REASON_FIELDS and problem.severity is dosing.Severity.NEEDS_REASON:
            add(REASON_FIELDS[problem.code], "Give the reason for this override.")
    if errors:
        raise ValidationError(errors)
    return [p for p in problems if p.severity is not dosing.Severity.BLOCK]


def _save_version(
    *,
    plan: Plan,
    number: int,
    prescription: Prescription,
    prescriber: User,
    reason: str,
    accepted: list[dosing.Problem],
) -> PlanVersion:
    version = PlanVersion(
        plan=plan,
        number=number,
        regimen=prescription.regimen,
        product=prescription.product,
        dose_mcg=prescription.dose.mcg,
        dose_amount=prescription.dose.amount,
        dose_unit=prescription.dose.unit,
        route=prescription.route.value,
        cause=prescription.cause,
        neurological=prescription.neurological,
        self_administered=prescription.self_administered,
        indication=prescription.indication.value,
        start_date=prescription.start_date,
        review_date=prescription.review_date,
        prescriber=prescriber,
        reason=reason,
        warnings=[p.message for p in accepted if p.severity is dosing.Severity.WARN],
    )
    version.full_clean()
    version.save()
    phases = [
        Phase.from_rule(version=version, order=index, rule=rule)
        for index, rule in enumerate(prescription.phases)
    ]
    Phase.objects.bulk_create(phases)
    PlanOverride.objects.bulk_create(
        PlanOverride(
            version=version,
            code=problem.code,
            message=problem.message,
            reason=prescription.reasons[problem.code].strip(),
            by=prescriber,
        )
        for problem in accepted
        if problem.severity is dosing.Severity.NEEDS_REASON
    )
    return version


@transaction.atomic
def plan_create(
    *,
    patient: Patient,
    prescriber: User,
    prescription: Prescription,
    today: date,
    allow_concurrent: bool = False,
) -> Plan:
    if not works_in(prescriber, patient.clinic, as_clinician=True):
        raise ValidationError(
            {"patient": "Only a clinician of the patient's clinic can prescribe."}
        )
    accepted = prescription_validate(prescription, patient=patient, today=today)
    # Lock the patient so two prescriptions at once cannot both pass the active-plan check.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if (
        not allow_concurrent
        and patient.plans.filter(status=PlanStatus.ACTIVE, allow_concurrent=False).exists()
    ):
        raise ValidationError(
            "This patient already has an active plan: amend or stop it before prescribing anew."
        )
    plan = Plan(patient=patient, allow_concurrent=allow_concurrent)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as exc:
        raise ValidationError("This patient already has an active plan.") from exc
    version = _save_version(
        plan=plan,
        number=1,
        prescription=prescription,
        prescriber=prescriber,
        reason="",
        accepted=accepted,
    )
    plan.current = version
    plan.save(update_fields=["current"])
    doses_extend(plan_ids=[plan.id], today=today)
    publish(events.PlanStarted(plan=plan, today=today))
    audit(
        actor=prescriber,
        action=Action.CREATE,
        obj=plan,
        patient=patient,
        summary=f"Plan prescribed: {version.regimen}, {version.dose_display} {version.route}",
        changes={"version": [None, version.number], "regimen": [None, version.regimen]},
    )
    return plan


def _lock_active(plan: Plan) -> Plan:
    locked = (
        Plan.objects.select_for_update(of=("self",))
        .select_related("current", "patient__clinic")
        .get(pk=plan.pk)
    )
    if not locked.is_active:
        raise ValidationError(
            f"This plan is {locked.get_status_display().lower()}; it cannot change."
        )
    return locked


@transaction.atomic
def plan_amend(
    *,
    plan: Plan,
    by: User,
    prescription: Prescription,
    reason: str,
    today: date,
) -> PlanVersion:
    """A new version of the prescription. Given doses stay as they were; the rest are
    rebuilt from them under the new rules."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the plan is being changed."})
    if not works_in(by, plan.patient.clinic, as_clinician=True):
        raise ValidationError("Only a clinician of the patient's clinic can change the plan.")
    locked = _lock_active(plan)
    accepted = prescription_validate(
        prescription, patient=locked.patient, today=today, amending=True
    )
    number = locked.version.number + 1
    version = _save_version(
        plan=locked,
        number=number,
        prescription=prescription,
        prescriber=by,
        reason=reason.strip(),
        accepted=accepted,
    )
    locked.current = version
    locked.save(update_fields=["current"])
    doses_reconcile(plan=locked, today=today, cancel_reason=f"Superseded by version {number}")
    publish(events.DosesReplanned(plan=locked))
    audit(
        actor=by,
        action=Action.CHANGE,
        obj=locked,
        patient=locked.patient,
        summary=f"Plan amended to version {number}",
        changes={"version": [number - 1, number]},
        reason=reason.strip(),
    )
    return version


@transaction.atomic
def plan_end_loading(
    *,
    plan: Plan,
    by: User,
    maintenance_start: date,
    today: date,
    next_review: date | None = None,
) -> PlanVersion:
    """The clinician's review ends an open-ended loading phase; maintenance starts on a date."""
    locked = _lock_active(plan)
    current = locked.version
    phases = [phase.rule() for phase in current.phases.order_by("order")]
    open_loading = [
        i
        for i, rule in enumerate(phases)
        if rule.kind is schedule.PhaseKind.LOADING
        and rule.end is schedule.EndRule.AT_REVIEW
        and rule.end_date is None
    ]
    if not open_loading:
        raise ValidationError("This plan has no loading phase waiting for review.")
    if maintenance_start <= today:
        raise ValidationError({"maintenance_start": "Maintenance starts after today's review."})
    maintenance = [
        i for i, rule in enumerate(phases) if rule.kind is schedule.PhaseKind.MAINTENANCE
    ]
    if not maintenance:
        raise ValidationError("This plan has no maintenance phase to start.")
    new_phases = list(phases)
    for i in open_loading:
        new_phases[i] = replace(new_phases[i], end_date=today)
    first_maintenance = maintenance[0]
    new_phases[first_maintenance] = replace(
        new_phases[first_maintenance], start_on=maintenance_start
    )
    prescription = prescription_from_version(current, phases=tuple(new_phases))
    prescription = replace(prescription, review_date=next_review or current.review_date)
    return plan_amend(
        plan=locked,
        by=by,
        prescription=prescription,
        reason=f"Loading ended at review on {today:%-d %b %Y}; maintenance from "
        f"{maintenance_start:%-d %b %Y}.",
        today=today,
    )


@transaction.atomic
def plan_stop(
    *,
    plan: Plan,
    by: User,
    reason: str,
    today: date,
    status: PlanStatus = PlanStatus.STOPPED,
) -> Plan:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the plan ends."})
    if status == PlanStatus.ACTIVE:
        raise ValueError("plan_stop ends a plan; use plan_amend to change one")
    if not works_in(by, plan.patient.clinic, as_clinician=True):
        raise ValidationError("Only a clinician of the patient's clinic can stop the plan.")
    locked = _lock_active(plan)
    locked.status = status
    locked.ended_at = timezone.now()
    locked.ended_by = by
    locked.end_reason = reason.strip()
    locked.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    label = "completed" if status == PlanStatus.COMPLETED else "stopped"
    doses_cancel_pending(plan=locked, reason=f"Plan {label}: {reason.strip()}")
    publish(events.PlanEnded(plan=locked, reason=f"Plan {label}: {reason.strip()}"))
    audit(
        actor=by,
        action=Action.CHANGE,
        obj=locked,
        patient=locked.patient,
        summary=f"Plan {label}",
        changes={"status": ["active", str(status)]},
        reason=reason.strip(),
    )
    return locked


def prescription_from_version(
    version: PlanVersion, *, phases: tuple[schedule.PhaseRule, ...] | None = None
) -> Prescription:
    return Prescription(
        regimen=version.regimen,
        product=version.product,
        dose=dosing.ParsedDose(
            mcg=version.dose_mcg, unit=version.dose_unit, amount=version.dose_amount
        ),
        route=dosing.Route(version.route),
        cause=version.cause,
        neurological=version.neurological,
        self_administered=version.self_administered,
        start_date=version.start_date,
        review_date=version.review_date,
        indication=dosing.Indication(version.indication),
        phases=phases or tuple(p.rule() for p in version.phases.order_by("order")),
        reasons={o.code: o.reason for o in version.overrides.all()},
    )
