"""The reads of recording a dose, compiled once and run as prepared statements on PostgreSQL
(`b12clinic.core.prepared`). A give or a void post ran about seventeen queries the ORM built
afresh each time; building them was a third of the post's CPU in bench/load.py. Each query is
still the ORM's (`build`), which SQLite runs as it is, and a test holds each one's results to
the ORM's."""

from __future__ import annotations

from typing import Any

from b12clinic.core.prepared import CompiledQuery, StandIn

from ..models import Administration, Dose, DoseStatus, Plan

_PLAN, _DOSE, _DUE = StandIn.uuid(1), StandIn.uuid(2), StandIn.date(1)

LOCK_PLAN = CompiledQuery(
    Plan,
    lambda plan: (
        Plan.objects.select_for_update(of=("self",))
        .select_related("current__product", "patient__clinic")
        .filter(pk=plan)
    ),
    plan=_PLAN,
)
LOCK_DOSE = CompiledQuery(
    Dose,
    lambda dose: (
        Dose.objects.select_for_update(of=("self",)).select_related("phase").filter(pk=dose)
    ),
    dose=_DOSE,
)
HEAD = CompiledQuery(
    Administration,
    lambda dose: (
        Administration.objects.select_related("given_by", "recorded_by")
        .filter(dose=dose, replaced_by__isnull=True)
        .order_by("pk")[:1]
    ),
    dose=_DOSE,
)
LOCK_HEAD = CompiledQuery(
    Administration,
    lambda dose: (
        Administration.objects.select_for_update(of=("self",))
        .filter(dose=dose, replaced_by__isnull=True)
        .order_by("pk")[:1]
    ),
    dose=_DOSE,
)
EARLIER_OPEN = CompiledQuery(
    Dose,
    lambda plan, due: Dose.objects.filter(
        plan=plan, status=DoseStatus.DUE, due_date__lt=due
    ).order_by("due_date")[:1],
    plan=_PLAN,
    due=_DUE,
)
PREVIOUS_GIVEN_ON = CompiledQuery(
    Dose,
    lambda plan, dose, due: (
        Dose.objects.filter(plan=plan, status=DoseStatus.GIVEN, given_on__isnull=False)
        .exclude(pk=dose)
        .filter(due_date__lte=due)
        .order_by("-given_on")
        .values_list("given_on")[:1]
    ),
    plan=_PLAN,
    dose=_DOSE,
    due=_DUE,
)
NEXT_DONE = CompiledQuery(
    Dose,
    lambda plan, dose, due: (
        Dose.objects.filter(plan=plan, status__in=[DoseStatus.GIVEN, DoseStatus.NOT_GIVEN])
        .exclude(pk=dose)
        .filter(due_date__gt=due)
        .order_by("due_date")
        .values_list("given_on", "due_date")[:1]
    ),
    plan=_PLAN,
    dose=_DOSE,
    due=_DUE,
)
NEXT_OPEN = CompiledQuery(  # what the nurse is told after recording
    Dose,
    lambda plan: (
        Dose.objects.filter(plan=plan, status=DoseStatus.DUE)
        .order_by("due_date")
        .values_list("due_date")[:1]
    ),
    plan=_PLAN,
)
OTHER_GIVEN = CompiledQuery(
    Dose,
    lambda plan, dose: (
        Dose.objects.filter(plan=plan, status=DoseStatus.GIVEN)
        .exclude(pk=dose)
        .values_list("pk")[:1]
    ),
    plan=_PLAN,
    dose=_DOSE,
)


def one(query: CompiledQuery, **values: Any) -> Any:
    """The one object, as `QuerySet.get` gives it."""
    found = query.objects(**values)
    if len(found) != 1:
        missing: type[Exception] = query.model.DoesNotExist  # type: ignore[attr-defined]
        raise missing(f"{len(found)} {query.model._meta.verbose_name} found")
    return found[0]


def first(query: CompiledQuery, **values: Any) -> Any:
    found = query.objects(**values)
    return found[0] if found else None


def first_row(query: CompiledQuery, **values: Any) -> tuple[Any, ...] | None:
    found = query.rows(**values)
    return tuple(found[0]) if found else None
