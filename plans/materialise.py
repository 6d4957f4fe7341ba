"""Turning plans into Dose rows: the rolling horizon and re-planning after a change.

Two modes, both idempotent:
- extend: keep every dose already on record (given, not given, due) and append what the horizon
  still lacks. The daily task uses it, in bulk.
- reconcile: rebuild the undone doses from what was really given. Changes (amend, end loading,
  and recording a dose) use it; a due dose whose date still fits keeps its row and id.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from b12clinic.core.models import Clinic, weekdays_from_digits
from b12clinic.core.prepared import CompiledQuery, StandIn
from plans.rules import schedule

from .day_cache import clinic_changed
from .ids import ordered_uuid_text
from .models import Dose, DoseStatus, Phase, Plan, PlanStatus

DONE = (DoseStatus.GIVEN, DoseStatus.NOT_GIVEN)
# Added to a sequence for a moment while doses swap places (sequences stay under 2,000).
TEMPORARY_SEQUENCE = 20_000


@dataclass(frozen=True)
class Horizon:
    today: date
    days: int = 365
    min_future_maintenance: int = 4

    @classmethod
    def for_today(cls, today: date) -> Horizon:
        return cls(
            today=today,
            days=getattr(settings, "B12_DOSE_HORIZON_DAYS", 365),
            min_future_maintenance=getattr(settings, "B12_MIN_FUTURE_MAINTENANCE_DOSES", 4),
        )

    @property
    def until(self) -> date:
        return self.today + timedelta(days=self.days)


_OUTCOME = {
    DoseStatus.GIVEN: schedule.DoseOutcome.GIVEN,
    DoseStatus.NOT_GIVEN: schedule.DoseOutcome.NOT_GIVEN,
    DoseStatus.DUE: schedule.DoseOutcome.PENDING,
}


def _past(doses: Iterable[Dose], order_of_phase: dict[int, int]) -> list[schedule.PastDose]:
    past = [
        schedule.PastDose(
            phase_index=order_of_phase[dose.phase_id],
            due=dose.due_date,
            outcome=_OUTCOME[DoseStatus(dose.status)],
            given_on=dose.given_on,
        )
        for dose in doses
    ]
    return sorted(past, key=lambda dose: (dose.anchor, dose.phase_index))


def _build(
    plan: Plan, phases: Sequence[Phase], past: Sequence[schedule.PastDose], horizon: Horizon
) -> list[schedule.DueDose]:
    return schedule.build_schedule(
        [phase.rule() for phase in phases],
        start=plan.version.start_date,
        past=past,
        closed_weekdays=plan.patient.clinic.closed_weekdays,
        today=horizon.today,
        until=horizon.until,
        min_future_maintenance=horizon.min_future_maintenance,
    )


def doses_extend(*, plan_ids: Sequence[UUID] | None = None, today: date, chunk: int = 2000) -> int:
    """Append the doses each active plan lacks up to the horizon. Returns how many were made.

    A handful of queries per chunk of plans, whatever the number of doses: the plans, their
    phases, their doses, and the bulk insert.
    """
    horizon = Horizon.for_today(today)
    plans = Plan.objects.filter(status=PlanStatus.ACTIVE, current__isnull=False)
    if plan_ids is not None:
        plans = plans.filter(id__in=plan_ids)
    ids = list(plans.order_by("id").values_list("id", flat=True))
    created = 0
    for start in range(0, len(ids), chunk):
        created += _extend_chunk(ids[start : start + chunk], lambda plan_id: horizon)
    return created


def plans_to_extend() -> list[str]:
    """The keys the nightly horizon extension is cut by: active plans, in id order."""
    return [
        str(pk)
        for pk in Plan.objects.filter(status=PlanStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    ]


def doses_extend_range(*, first: str, last: str, now: datetime) -> int:
    """One nightly chunk: the active plans with ids in [first, last], each from its clinic's
    date. Only the plans whose horizon may have reached their next dose are read and rebuilt:
    on most nights a few in a hundred."""
    latest = timezone.localdate(now, timezone=ZoneInfo("Etc/GMT-14"))  # no clinic is later
    last_dose = (
        Dose.objects.filter(plan=OuterRef("pk"))
        .exclude(status=DoseStatus.CANCELLED)
        .order_by("-due_date", "-sequence")
    )
    upcoming = (
        Dose.objects.filter(plan=OuterRef("pk"), status=DoseStatus.DUE, due_date__gte=latest)
        .order_by()
        .values("plan_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = list(
        Plan.objects.filter(
            status=PlanStatus.ACTIVE, current__isnull=False, pk__gte=first, pk__lte=last
        )
        .annotate(
            last_due=Subquery(last_dose.values("due_date")[:1]),
            last_phase=Subquery(last_dose.values("phase_id")[:1]),
            gap=Subquery(last_dose.values("phase__min_interval_days")[:1]),
            final_phase=Subquery(
                Phase.objects.filter(version=OuterRef("current"))
                .order_by("-order")
                .values("pk")[:1]
            ),
            upcoming=Coalesce(Subquery(upcoming), 0),
        )
        .values_list(
            "pk", "patient__clinic_id", "last_due", "last_phase", "gap", "final_phase", "upcoming"
        )
    )
    zones = {c.pk: c.zone for c in Clinic.objects.filter(pk__in={row[1] for row in rows})}
    horizons = {
        pk: Horizon.for_today(timezone.localdate(now, timezone=zone)) for pk, zone in zones.items()
    }
    # Within a phase a dose comes at least the phase's minimum gap after the one before. With
    # the plan in its last phase, the next dose beyond the horizon and doses enough still to
    # come, a rebuild would make nothing.
    wanting = {
        pk: horizons[clinic_id]
        for pk, clinic_id, last_due, last_phase, gap, final_phase, count in rows
        if last_due is None
        or last_phase != final_phase
        or last_due + timedelta(days=gap) <= horizons[clinic_id].until
        or count < horizons[clinic_id].min_future_maintenance
    }
    return _extend_chunk(sorted(wanting), lambda plan_id: wanting[plan_id]) if wanting else 0


def doses_extend_all(*, now: datetime) -> int:
    """`doses_extend` for every clinic, each from its own date: a clinic ahead of the server's
    zone has already reached tomorrow."""
    created = 0
    for clinic in Clinic.objects.all():
        today = timezone.localdate(now, timezone=clinic.zone)
        ids = Plan.objects.filter(status=PlanStatus.ACTIVE, patient__clinic=clinic).values_list(
            "id", flat=True
        )
        created += doses_extend(plan_ids=list(ids), today=today)
    return created


@transaction.atomic
def _extend_chunk(plan_ids: Sequence[UUID], horizon_of: Callable[[UUID], Horizon]) -> int:
    # Plain tuples, not model instances, throughout: this reads every plan of the chunk and
    # every dose of each, and building models was a third of the night's extension.
    plans = list(
        Plan.objects.filter(id__in=plan_ids, status=PlanStatus.ACTIVE, current__isnull=False)
        .select_for_update(of=("self",))
        .values_list(
            "id",
            "current_id",
            "current__start_date",
            "patient__clinic_id",
            "patient__clinic__open_weekdays",
        )
    )
    rules_by_version: dict[UUID, list[schedule.PhaseRule]] = defaultdict(list)
    phase_ids: dict[UUID, list[str]] = defaultdict(list)
    for phase in Phase.objects.filter(version_id__in=[p[1] for p in plans]).order_by(
        "version_id", "order"
    ):
        rules_by_version[phase.version_id].append(phase.rule())
        phase_ids[phase.version_id].append(str(phase.id))
    # A range on the sorted ids walks the (plan, due date) index once; a long IN list made
    # PostgreSQL scan the whole table for every chunk.
    past_by_plan: dict[UUID, list[schedule.PastDose]] = defaultdict(list)
    for plan_id, order, due, status, given_on in (
        Dose.objects.filter(plan_id__gte=min(plan_ids), plan_id__lte=max(plan_ids))
        .exclude(status=DoseStatus.CANCELLED)
        .values_list("plan_id", "phase__order", "due_date", "status", "given_on")
    ):
        past_by_plan[plan_id].append(
            schedule.PastDose(
                phase_index=order, due=due, outcome=_OUTCOME[DoseStatus(status)], given_on=given_on
            )
        )
    closed: dict[str, frozenset[int]] = {}
    rows: list[tuple[str, str, str, int, date]] = []
    for plan_id, version_id, start, clinic_id, open_weekdays in plans:
        if open_weekdays not in closed:
            closed[open_weekdays] = frozenset(range(7)) - weekdays_from_digits(open_weekdays)
        horizon = horizon_of(plan_id)
        past = sorted(past_by_plan[plan_id], key=lambda dose: (dose.anchor, dose.phase_index))
        phases = phase_ids[version_id]
        plan_text, clinic_text = str(plan_id), str(clinic_id)
        rows.extend(
            (plan_text, clinic_text, phases[due.phase_index], due.sequence, due.due)
            for due in schedule.build_schedule(
                rules_by_version[version_id],
                start=start,
                past=past,
                closed_weekdays=closed[open_weekdays],
                today=horizon.today,
                until=horizon.until,
                min_future_maintenance=horizon.min_future_maintenance,
            )
        )
    _insert_doses(rows)
    return len(rows)


def _insert_doses(rows: Sequence[tuple[str, str, str, int, date]]) -> None:
    """Insert (plan, clinic, phase, sequence, due date) rows as due doses, in bulk."""
    if not rows:
        return
    for clinic_id in {row[1] for row in rows}:
        clinic_changed(clinic_id)
    if connection.vendor != "postgresql":
        Dose.objects.bulk_create(
            (
                Dose(plan_id=p, clinic_id=c, phase_id=ph, sequence=n, due_date=d)
                for p, c, ph, n, d in rows
            ),
            batch_size=2000,
        )
        return
    # COPY is several times faster than INSERT for the daily extension of every plan; the
    # table's constraints still apply to every row.
    now = timezone.now().isoformat()
    tail = f"\tdue\t\\N\t\t{now}\t{now}\n"
    buffer = io.StringIO()
    buffer.writelines(
        f"{ordered_uuid_text()}\t{plan_id}\t{clinic_id}\t{phase_id}\t{sequence}\t{due}{tail}"
        for plan_id, clinic_id, phase_id, sequence, due in rows
    )
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {Dose._meta.db_table} (id, plan_id, clinic_id, phase_id, sequence, due_date, "
            "status, "
            "given_on, cancelled_reason, created_at, updated_at) FROM STDIN",
            buffer,
        )


# What re-planning one plan reads (after every dose recorded or voided), compiled once: the
# version's phases, and the plan's doses not cancelled with their phases (a dose may sit under
# an older version's phase).
_PHASES = CompiledQuery(
    Phase,
    lambda version: Phase.objects.filter(version=version).order_by("order"),
    version=StandIn.uuid(1),
)
_LIVE_DOSES = CompiledQuery(
    Dose,
    lambda plan: (
        Dose.objects.filter(plan=plan)
        .exclude(status=DoseStatus.CANCELLED)
        .select_related("phase")
        .order_by("due_date")
    ),
    plan=StandIn.uuid(2),
)


@dataclass(frozen=True)
class Reconciled:
    created: int
    moved: int
    cancelled: int


def doses_reconcile(*, plan: Plan, today: date, cancel_reason: str) -> Reconciled:
    """Rebuild a plan's undone doses from its given and not-given ones. Call inside the
    transaction that changed the plan, with the plan row locked.

    A dose keeps its row and id (so its calendar event and reminders) whenever its date
    survives: first the doses unchanged in every way, then those whose date is wanted again
    under another phase row (an amendment makes new ones), then, within the same phase row,
    a dose re-planned to a new date (recording a late dose moves the rest). Only what is left
    is cancelled or created."""
    horizon = Horizon.for_today(today)
    clinic_changed(plan.patient.clinic_id)
    phases: list[Phase] = _PHASES.objects(version=plan.version.pk)
    doses: list[Dose] = _LIVE_DOSES.objects(plan=plan.pk)
    for dose in doses:  # as `plan.doses` would have them
        Dose.plan.field.set_cached_value(dose, plan)
    order_of_phase = {dose.phase_id: dose.phase.order for dose in doses}
    done = [dose for dose in doses if dose.status in DONE]
    pending = [dose for dose in doses if dose.status == DoseStatus.DUE]
    wanted = _build(plan, phases, _past(done, order_of_phase), horizon) if plan.is_active else []

    matched: dict[int, Dose] = {}  # index in `wanted` -> the pending dose that becomes it
    keys: tuple[Callable[[Any, Any, date], object], ...] = (
        lambda phase_id, sequence, due: (phase_id, sequence, due),
        lambda phase_id, sequence, due: due,
        lambda phase_id, sequence, due: (phase_id, sequence),
    )
    for key in keys:
        free: dict[object, list[Dose]] = defaultdict(list)
        for dose in pending:
            free[key(dose.phase_id, dose.sequence, dose.due_date)].append(dose)
        for index, due in enumerate(wanted):
            if index in matched:
                continue
            candidates = free.get(key(phases[due.phase_index].id, due.sequence, due.due))
            if candidates:
                matched[index] = candidates.pop(0)
        taken = {id(dose) for dose in matched.values()}
        pending = [dose for dose in pending if id(dose) not in taken]

    now = timezone.now()
    stale = pending
    for dose in stale:
        dose.status = DoseStatus.CANCELLED
        dose.cancelled_reason = cancel_reason[:200]
        dose.updated_at = now
    changed: list[tuple[Dose, schedule.DueDose]] = []
    new: list[Dose] = []
    for index, due in enumerate(wanted):
        phase = phases[due.phase_index]
        kept = matched.get(index)
        if kept is None:
            new.append(
                Dose(
                    plan=plan,
                    clinic_id=plan.patient.clinic_id,
                    phase=phase,
                    sequence=due.sequence,
                    due_date=due.due,
                )
            )
        elif (kept.phase_id, kept.sequence, kept.due_date) != (phase.id, due.sequence, due.due):
            changed.append((kept, due))
    moved = sum(1 for dose, due in changed if dose.due_date != due.due)
    # Cancel first: a new dose may take the phase and sequence a cancelled one held.
    Dose.objects.bulk_update(stale, ["status", "cancelled_reason", "updated_at"])
    # Then in two steps, so no row ever holds a phase and sequence another still holds.
    for dose, _ in changed:
        dose.sequence += TEMPORARY_SEQUENCE
    Dose.objects.bulk_update([dose for dose, _ in changed], ["sequence"])
    for dose, due in changed:
        dose.phase = phases[due.phase_index]
        dose.sequence = due.sequence
        dose.due_date = due.due
        dose.updated_at = now
    Dose.objects.bulk_update(
        [dose for dose, _ in changed], ["phase", "sequence", "due_date", "updated_at"]
    )
    Dose.objects.bulk_create(new)
    return Reconciled(created=len(new), moved=moved, cancelled=len(stale))


def doses_cancel_pending(*, plan: Plan, reason: str) -> int:
    clinic_changed(plan.patient.clinic_id)
    return plan.doses.filter(status=DoseStatus.DUE).update(
        status=DoseStatus.CANCELLED, cancelled_reason=reason[:200], updated_at=timezone.now()
    )
