"""Rechecks: planned with a plan, moved with its first injection, added, cancelled, done by
results or a check-in, lapsed when their purpose has passed."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from b12clinic.core.access import works_in
from b12clinic.core.audit import audit
from b12clinic.core.events import publish
from b12clinic.core.models import Action, Clinic, Patient
from monitoring.rules import rechecks
from plans.models import Plan

from ..events import RechecksChanged
from ..models import (
    LabResult,
    Recheck,
    RecheckStatus,
)


def recheck_create(plan: Plan, planned: rechecks.Planned) -> Recheck | None:
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
        recheck_create(plan, planned)
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
    created = recheck_create(plan, rechecks.place(rule, anchor))
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
            recheck_create(recheck.plan, rechecks.next_yearly(done_on=recheck.done_on))
    lapsed = _lapse(
        Recheck.objects.filter(patient=patient).exclude(pk__in=[r.pk for r in done]),
        today=today,
        now=timezone.now(),
    )
    if done or lapsed:
        publish(RechecksChanged(patient=patient))
    return done
