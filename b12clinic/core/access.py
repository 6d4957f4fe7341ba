"""Who may open what, and act on which clinic's records. Every view and service asks here (or
through the getters built on `staff_clinics`: plans/access.py, monitoring/access.py); nothing
else decides access (tests/security/test_one_access_rule.py looks for other shapes of it)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from .models import ApiToken, Clinic
from .prepared import CompiledQuery, StandIn
from .roles import CLINIC_ADMIN, CLINICIAN, NURSE, PATIENT, ROLES

AnyUser = User | AnonymousUser


class AuthenticatedRequest(HttpRequest):
    """What a view behind one of the role decorators below receives: a signed-in account."""

    user: User


View = Callable[..., HttpResponse]


ROLES_CACHE_SECONDS = 60


def _roles_key(user_id: object) -> str:
    return f"roles:{user_id}"


def user_roles(user: AnyUser) -> frozenset[str]:
    """The user's roles: kept on the user object for the request, and in the cache for a minute
    (adding or removing a group clears it at once; see `forget_roles`)."""
    if isinstance(user, AnonymousUser) or not user.is_authenticated:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_b12_roles", None)
    if cached is None:
        from django.core.cache import cache

        stored = cache.get(_roles_key(user.pk))
        if stored is None:
            names = set(user.groups.values_list("name", flat=True))
            stored = sorted(role for role in ROLES if role in names)
            cache.set(_roles_key(user.pk), stored, ROLES_CACHE_SECONDS)
        cached = frozenset(stored)
        setattr(user, "_b12_roles", cached)  # noqa: B010  (kept on the user for the request)
    return cached


def forget_roles(
    sender: object,
    instance: Any,
    action: str,
    reverse: bool,
    pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    """m2m_changed on user.groups: the next request reads the user's roles again."""
    if not action.startswith("post_"):
        return
    from django.core.cache import cache

    users = (pk_set or set()) if reverse else {instance.pk}
    if reverse and action == "post_clear":
        users = set(instance.user_set.values_list("pk", flat=True))
    cache.delete_many([_roles_key(pk) for pk in users])


def primary_role(user: AnyUser) -> str | None:
    roles = user_roles(user)
    return next((role for role in ROLES if role in roles), None)


def role_required(*roles: str) -> Callable[[View], View]:
    """Anonymous visitors go to the login page; signed-in users without the role get 403."""
    allowed = frozenset(roles)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_roles(request.user) & allowed:
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required(CLINICIAN, NURSE)
clinician_required = role_required(CLINICIAN)
patient_required = role_required(PATIENT)
clinic_admin_required = role_required(CLINIC_ADMIN)


# Who works on a clinic's patients: its clinicians and nurses (a clinic admin manages the clinic
# in the admin, and sees no patient).
WORK_ROLES = frozenset({CLINICIAN, NURSE})


def staff_clinics(user: AnyUser) -> QuerySet[Clinic]:
    """The clinics whose records this user works on. The one rule: every getter filters by it,
    and every service asks `works_in`, which reads it."""
    worker = staff_worker(user)
    return Clinic.objects.none() if worker is None else clinics_of_worker(worker)


def staff_worker(user: AnyUser) -> int | None:
    """The id `staff_clinics` reads the clinics of, or None when the user works on none (for a
    getter compiled once with the id as a parameter)."""
    if isinstance(user, AnonymousUser) or not user_roles(user) & WORK_ROLES:
        return None
    return int(user.pk)


def clinics_of_worker(worker: int) -> QuerySet[Clinic]:
    return Clinic.objects.filter(staff=worker)


# The day list's and the patient list's first read, compiled once per process.
_CLINICS_OF_WORKER = CompiledQuery(Clinic, clinics_of_worker, worker=StandIn.int(1))


def staff_clinic_list(user: AnyUser) -> list[Clinic]:
    """`staff_clinics` read, by name."""
    worker = staff_worker(user)
    return [] if worker is None else _CLINICS_OF_WORKER.objects(worker=worker)


# Asked of every record written.
_WORKS_IN = CompiledQuery(
    Clinic,
    lambda worker, clinic: clinics_of_worker(worker).filter(pk=clinic).values_list("pk")[:1],
    worker=StandIn.int(1),
    clinic=StandIn.uuid(1),
)


def works_in(user: AnyUser, clinic: Clinic, *, as_clinician: bool = False) -> bool:
    """Whether the user may act on this clinic's records (as its clinician, when asked)."""
    if as_clinician and CLINICIAN not in user_roles(user):
        return False
    worker = staff_worker(user)
    return worker is not None and bool(_WORKS_IN.rows(worker=worker, clinic=clinic.pk))


def administered_clinics(user: AnyUser) -> QuerySet[Clinic]:
    """The clinics a (non-superuser) clinic admin manages in the admin: those they are staff of.
    They see no patient's records: that takes `staff_clinics`."""
    if isinstance(user, AnonymousUser):
        return Clinic.objects.none()
    return Clinic.objects.filter(staff=user)


# What reads the FHIR API: a clinician signed in to the app, or another system of one clinic.
Reader = User | ApiToken


def reader_clinics(reader: Reader) -> QuerySet[Clinic]:
    """The clinics whose records a FHIR reader may read: an API token's one clinic, or the
    clinics a clinician works in (a nurse or an admin reads no export)."""
    if isinstance(reader, ApiToken):
        return Clinic.objects.filter(pk=reader.clinic_id)
    if CLINICIAN not in user_roles(reader):
        return Clinic.objects.none()
    return staff_clinics(reader)


def recall_clinics(user: AnyUser) -> QuerySet[Clinic]:
    """The clinics whose batch recalls this user may run: a clinician's, and a clinic admin's
    (a recall reaches patients' contact details, not their charts)."""
    roles = user_roles(user)
    if isinstance(user, AnonymousUser) or not roles & {CLINICIAN, CLINIC_ADMIN}:
        return Clinic.objects.none()
    return Clinic.objects.filter(staff=user)


def stock_clinics(user: AnyUser) -> QuerySet[Clinic]:
    """The clinics whose stock of batches this user sees and keeps: its nurses, clinicians and
    clinic admins (a batch is a product, not a patient's record)."""
    if isinstance(user, AnonymousUser) or not user_roles(user) & {CLINICIAN, NURSE, CLINIC_ADMIN}:
        return Clinic.objects.none()
    return Clinic.objects.filter(staff=user)
