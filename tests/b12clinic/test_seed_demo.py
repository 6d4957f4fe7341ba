from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from b12clinic.core.access import primary_role
from b12clinic.core.models import Clinic


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--allow-without-debug", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "users": sorted(
            User.objects.values_list(
                "username", "password", "is_staff", "is_superuser", "first_name", "email"
            )
        ),
        "memberships": sorted(User.groups.through.objects.values_list("user_id", "group_id")),
        "groups": sorted(Group.objects.values_list("name", flat=True)),
        "clinics": sorted(Clinic.objects.values_list("id", "name", "phone", "address")),
        "staff": sorted(Clinic.staff.through.objects.values_list("clinic_id", "user_id")),
    }


@pytest.mark.django_db
def test_seed_demo_creates_one_login_per_role_and_prints_them():
    output = seed()

    for username, role in [
        ("clinician", "clinician"),
        ("nurse", "nurse"),
        ("patient", "patient"),
        ("admin", "clinic_admin"),
    ]:
        request = RequestFactory().post("/accounts/login/")
        user = authenticate(request, username=username, password="b12demo")
        assert user is not None, username
        assert primary_role(user) == role
        assert username in output
    assert "b12demo" in output
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    clinic = Clinic.objects.get()
    assert set(clinic.staff.values_list("username", flat=True)) == {"clinician", "nurse", "admin"}


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    seed()
    before = snapshot()
    output = seed()
    assert snapshot() == before
    assert "(new)" not in output


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug_unless_told(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_leaves_the_nurse_due_and_overdue_patients_today():
    from django.utils import timezone

    from monitoring.models import Alert
    from plans.day_list import day_list
    from plans.models import Administration

    seed()
    clinic = Clinic.objects.get()
    listing = day_list(clinic=clinic, day=timezone.localdate(timezone=clinic.zone))

    assert listing.due, "nothing due today"
    assert len(listing.overdue) >= 2
    # Past doses were recorded by the demo nurse, so rows have a last site to rotate from
    # (except the patient who starts today).
    started = [r for r in listing.overdue + listing.due if r.patient.record_number != "RV-1001"]
    assert started and all(row.last_site for row in started)
    assert Alert.objects.filter(patient__record_number="RV-1006").exists()

    records = Administration.objects.count()
    seed()
    assert Administration.objects.count() == records
