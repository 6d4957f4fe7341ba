"""One getter per object type of plans: the object if this user may see it, else 404. Each
filters by the kernel's one rule (`b12clinic.core.access.staff_clinics`)."""

from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from b12clinic.core.access import (
    Reader,
    clinics_of_worker,
    reader_clinics,
    staff_worker,
    stock_clinics,
)
from b12clinic.core.models import Patient
from b12clinic.core.prepared import CompiledQuery, StandIn

from .models import Administration, Dose, Plan, PlanStatus, StockBatch

# The chart's, the plan's and the results' first query, compiled once per process: planning the
# plan's joins alone cost PostgreSQL 1.1 ms a page (bench/load.py).
_PATIENT_FOR_STAFF = CompiledQuery(
    Patient,
    lambda pk, worker: Patient.objects.select_related("clinic").filter(
        pk=pk, clinic__in=clinics_of_worker(worker)
    ),
    pk=StandIn.uuid(1),
    worker=StandIn.int(1),
)
_PLAN_FOR_STAFF = CompiledQuery(
    Plan,
    lambda pk, worker: Plan.objects.select_related(
        "patient__clinic", "current__product", "current__prescriber"
    ).filter(pk=pk, patient__clinic__in=clinics_of_worker(worker)),
    pk=StandIn.uuid(1),
    worker=StandIn.int(1),
)
# The recording pages' first query (give, not given, correct, void), compiled likewise: the
# ORM's `.get()` took 6.8 ms of the give form's 37 (bench/load.py --profile).
_DOSE_FOR_STAFF = CompiledQuery(
    Dose,
    lambda pk, worker: Dose.objects.select_related(
        "phase", "plan__current__product", "plan__patient__clinic"
    ).filter(pk=pk, plan__patient__clinic__in=clinics_of_worker(worker)),
    pk=StandIn.uuid(1),
    worker=StandIn.int(1),
)
_ADMINISTRATION_FOR_STAFF = CompiledQuery(
    Administration,
    lambda pk, worker: Administration.objects.select_related(
        "dose__phase", "dose__plan__current__product", "dose__plan__patient__clinic"
    ).filter(pk=pk, dose__plan__patient__clinic__in=clinics_of_worker(worker)),
    pk=StandIn.uuid(1),
    worker=StandIn.int(1),
)

# A patient's own downloads (their PDF and calendar file, a quarter of the requests in
# bench/load.py): their record, and their active plans newest first in one query, not two.
_OWN_PATIENT = CompiledQuery(
    Patient,
    lambda user_id: Patient.objects.select_related("clinic").filter(user_id=user_id),
    user_id=StandIn.int(1),
)
_OWN_ACTIVE_PLANS = CompiledQuery(
    Plan,
    lambda user_id: (
        Plan.objects.select_related("patient__clinic", "current__product")
        .filter(patient__user_id=user_id, status=PlanStatus.ACTIVE)
        .order_by("-created_at", "pk")
    ),
    user_id=StandIn.int(1),
)


def _one_for_staff(query: CompiledQuery, user: User, pk: UUID | str) -> Any:
    """The object if it is in one of the user's clinics (`staff_clinics`), else 404."""
    worker = staff_worker(user)
    try:
        found = query.objects(pk=UUID(str(pk)), worker=worker) if worker is not None else []
    except ValueError:
        found = []
    if len(found) != 1:
        raise Http404(f"No such {query.model._meta.verbose_name}.")
    return found[0]


def get_patient_for_staff(user: User, patient_id: UUID | str) -> Patient:
    patient: Patient = _one_for_staff(_PATIENT_FOR_STAFF, user, patient_id)
    return patient


def patients_for_reader(reader: Reader) -> QuerySet[Patient]:
    """The patients a FHIR reader (a clinician, or a clinic's API token) may read."""
    return Patient.objects.select_related("clinic").filter(clinic__in=reader_clinics(reader))


def get_patient_for_reader(reader: Reader, patient_id: UUID | str) -> Patient:
    """404 for another clinic's patient, as for one that does not exist."""
    try:
        return patients_for_reader(reader).get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such patient.") from exc


def get_plan_for_staff(user: User, plan_id: UUID | str) -> Plan:
    plan: Plan = _one_for_staff(_PLAN_FOR_STAFF, user, plan_id)
    return plan


def get_plan_for_patient(user: User, plan_id: UUID | str) -> Plan:
    """A plan of the signed-in patient's own, or 404: never 403, which would tell them that
    someone else's plan exists."""
    try:
        return Plan.objects.select_related(
            "patient__clinic", "current__product", "current__prescriber"
        ).get(pk=plan_id, patient__user=user)
    except (Plan.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such plan.") from exc


def get_dose_for_staff(user: User, dose_id: UUID | str) -> Dose:
    dose: Dose = _one_for_staff(_DOSE_FOR_STAFF, user, dose_id)
    return dose


def get_dose_for_patient(user: User, dose_id: UUID | str) -> Dose:
    """A dose of the signed-in patient's own plan, only when they give their own injections."""
    try:
        return Dose.objects.select_related(
            "phase", "plan__current__product", "plan__patient__clinic"
        ).get(
            pk=dose_id,
            plan__patient__user=user,
            plan__current__self_administered=True,
        )
    except (Dose.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such dose.") from exc


def get_administration_for_staff(user: User, administration_id: UUID | str) -> Administration:
    record: Administration = _one_for_staff(_ADMINISTRATION_FOR_STAFF, user, administration_id)
    return record


def own_patient(user: User) -> Patient | None:
    """The signed-in patient's own record, if their account has one."""
    if user.pk is None:
        return None
    found: list[Patient] = _OWN_PATIENT.objects(user_id=user.pk)
    return found[0] if found else None


def active_plan_of(patient: Patient) -> Plan | None:
    return (
        Plan.objects.select_related("patient__clinic", "current__product")
        .filter(patient=patient, status=PlanStatus.ACTIVE)
        .first()
    )


def get_own_active_plan(user: User) -> Plan:
    """The signed-in patient's active plan (the newest, as `active_plan_of`), or 404."""
    plans: list[Plan] = _OWN_ACTIVE_PLANS.objects(user_id=user.pk) if user.pk is not None else []
    if not plans:
        raise Http404("You have no active plan.")
    return plans[0]


def get_stock_batch_for_staff(user: User, stock_id: UUID | str) -> StockBatch:
    """A batch of a clinic whose stock the user keeps (b12clinic.core.access.stock_clinics)."""
    return get_object_or_404(
        StockBatch.objects.select_related("product", "clinic"),
        pk=stock_id,
        clinic__in=stock_clinics(user),
    )
