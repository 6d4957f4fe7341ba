"""One helper per object type: the object if this user may see it, else 404."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from b12clinic.access import user_roles
from b12clinic.roles import CLINICIAN, NURSE

from .models import Administration, Clinic, Dose, Patient, Plan


def staff_clinics(user: AbstractBaseUser) -> QuerySet[Clinic]:
    if not user_roles(user) & {CLINICIAN, NURSE}:
        return Clinic.objects.none()
    return Clinic.objects.filter(staff=user)


def get_patient_for_staff(user: AbstractBaseUser, patient_id: object) -> Patient:
    try:
        return Patient.objects.select_related("clinic").get(
            pk=patient_id, clinic__in=staff_clinics(user)
        )
    except (Patient.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such patient.") from exc


def get_plan_for_staff(user: AbstractBaseUser, plan_id: object) -> Plan:
    try:
        return Plan.objects.select_related(
            "patient__clinic", "current__product", "current__prescriber"
        ).get(pk=plan_id, patient__clinic__in=staff_clinics(user))
    except (Plan.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such plan.") from exc


def get_plan_for_patient(user: AbstractBaseUser, plan_id: object) -> Plan:
    """A plan of the signed-in patient's own, or 404: never 403, which would tell them that
    someone else's plan exists."""
    try:
        return Plan.objects.select_related(
            "patient__clinic", "current__product", "current__prescriber"
        ).get(pk=plan_id, patient__user=user)
    except (Plan.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such plan.") from exc


def get_dose_for_staff(user: AbstractBaseUser, dose_id: object) -> Dose:
    try:
        return Dose.objects.select_related(
            "phase", "plan__current__product", "plan__patient__clinic"
        ).get(pk=dose_id, plan__patient__clinic__in=staff_clinics(user))
    except (Dose.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such dose in your clinics.") from exc


def get_dose_for_patient(user: AbstractBaseUser, dose_id: object) -> Dose:
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


def get_administration_for_staff(
    user: AbstractBaseUser, administration_id: object
) -> Administration:
    try:
        return Administration.objects.select_related(
            "dose__phase", "dose__plan__current__product", "dose__plan__patient__clinic"
        ).get(pk=administration_id, dose__plan__patient__clinic__in=staff_clinics(user))
    except (Administration.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("No such record in your clinics.") from exc
