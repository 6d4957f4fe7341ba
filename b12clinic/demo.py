"""Demo data for `make run`: one clinic and a user per role. Running it again changes nothing."""

from dataclasses import dataclass

from django.contrib.auth.models import Group, User
from django.db import transaction

from plans.models import Clinic

from .roles import CLINIC_ADMIN, CLINICIAN, NURSE, PATIENT

DEMO_PASSWORD = "b12demo"
DEMO_CLINIC_NAME = "Riverside Health Centre (demo)"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    staff_of_clinic: bool


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("clinician", CLINICIAN, "Asha", "Patel", True),
    DemoUser("nurse", NURSE, "Tom", "Okafor", True),
    DemoUser("patient", PATIENT, "Margaret", "Hughes", False),
    DemoUser("admin", CLINIC_ADMIN, "Ruth", "Evans", True),
)


@dataclass(frozen=True)
class DemoSummary:
    clinic: Clinic
    created: tuple[str, ...]


@transaction.atomic
def demo_seed() -> DemoSummary:
    clinic, _ = Clinic.objects.get_or_create(
        name=DEMO_CLINIC_NAME,
        defaults={
            "time_zone": "Europe/London",
            "address": "12 River Street\nRiverside RV1 2AB",
            "phone": "01632 960 000",
            "email": "riverside.clinic@example.org",
        },
    )
    created: list[str] = []
    for demo in DEMO_USERS:
        user, was_created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@example.org",
                "is_staff": demo.role == CLINIC_ADMIN,
                "is_superuser": demo.role == CLINIC_ADMIN,
            },
        )
        if was_created:
            # Only on creation: re-hashing on every run would change the row each time.
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created.append(demo.username)
        # get_or_create: the role groups come from a migration, but a flushed test database
        # (or a hand-deleted group) should not break the demo.
        group, _ = Group.objects.get_or_create(name=demo.role)
        user.groups.add(group)
        if demo.staff_of_clinic:
            clinic.staff.add(user)
    return DemoSummary(clinic=clinic, created=tuple(created))
