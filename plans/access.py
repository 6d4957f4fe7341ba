"""One helper per object type: the object if this user may see it, else 404."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from b12clinic.access import user_roles
from b12clinic.roles import CLINICIAN, NURSE

from .models import Clinic, Patient, Plan


def staff_clinics(user: AbstractBaseUser) -> QuerySet[Clinic]:
    if not user_roles(user) & {CLINICIAN, NURSE}:
        return Clinic.objects.none()
    return Clinic.objects.filter(staff=user)


def get_patient_for_staff(user: AbstractBaseUser, patient_id: object) -> Patient:
    try:
        return Patient.objects.select_related("clinic").get(
            pk=patient_id, clinic__in=staff_clinics(user)
        )
    except (Patient.DoesNotExist, ValueError) as exc:
        raise Http404("No such patient.") from exc


def get_plan_for_staff(user: AbstractBaseUser, plan_id: object) -> Plan:
    try:
        return Plan.objects.select_related(
            "patient__clinic", "current__product", "current__prescriber"
        ).get(pk=plan_id, patient__clinic__in=staff_clinics(user))
    except (Plan.DoesNotExist, ValueError) as exc:
        raise Http404("No such plan.") from exc
