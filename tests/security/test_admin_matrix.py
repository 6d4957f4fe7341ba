"""The admin site, as a clinic admin of clinic A: every change, add, delete, history and
password URL of B's people and objects, of a superuser, and of someone who also works in B,
by GET and by POST. None opens, and none changes anything; A's own still work."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from b12clinic.core.models import AuditEvent
from b12clinic.core.roles import CLINIC_ADMIN, CLINICIAN, NURSE, PATIENT
from monitoring.models import LabTest, ReferenceRange
from tests.conftest import PASSWORD, make_user


@pytest.fixture
def admin_world(clinic, other_clinic, clinic_admin, nurse, outsider):
    both = make_user("shared", NURSE, clinic=clinic)
    other_clinic.staff.add(both)
    boss = make_user("root", is_superuser=True, is_staff=True)
    b_patient = make_user("bpatient", PATIENT)
    b_admin = make_user("badmin", CLINIC_ADMIN, clinic=other_clinic, is_staff=True)
    from datetime import date

    from b12clinic.core.models import Patient

    Patient.objects.create(
        clinic=other_clinic,
        record_number="B-1",
        given_name="Bea",
        family_name="Elsewhere",
        date_of_birth=date(1960, 1, 1),
        created_by=outsider,
        user=b_patient,
    )
    test = LabTest.objects.get(code="hb")
    b_range = ReferenceRange.objects.create(
        test=test, clinic=other_clinic, low=Decimal(120), high=Decimal(160)
    )
    a_range = ReferenceRange.objects.create(
        test=test, clinic=clinic, low=Decimal(115), high=Decimal(165)
    )
    return {
        "outsider": outsider,
        "both": both,
        "boss": boss,
        "b_patient": b_patient,
        "b_admin": b_admin,
        "b_range": b_range,
        "a_range": a_range,
        "own_nurse": nurse,
        "test": test,
    }


FORBIDDEN_USERS = ["outsider", "both", "boss", "b_patient", "b_admin"]
USER_URLS = [
    "admin:auth_user_change",
    "admin:auth_user_password_change",
    "admin:auth_user_delete",
    "admin:auth_user_history",
]


def _form_data(client, url):
    """What the admin's change form would send back unchanged."""
    form = client.get(url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def _opened(response, text):
    """Whether the page shows the object: a 200 that names it."""
    return response.status_code == 200 and text in response.content.decode()


@pytest.mark.parametrize("who", FORBIDDEN_USERS)
@pytest.mark.parametrize("name", USER_URLS)
def test_a_clinic_admin_cannot_open_users_outside_their_clinics(
    client, clinic_admin, admin_world, who, name
):
    target = admin_world[who]
    client.force_login(clinic_admin)
    url = reverse(name, args=[target.pk])
    assert not _opened(client.get(url), target.username)
    before = User.objects.get(pk=target.pk)
    data = {
        "username": "taken-over",
        "password1": "a fresh password 123",
        "password2": "a fresh password 123",
        "usable_password": "true",
        "post": "yes",
        "is_active": "on",
    }
    response = client.post(url, data)
    assert response.status_code in (302, 403, 404)
    after = User.objects.get(pk=target.pk)
    assert after.username == before.username
    assert after.password == before.password
    assert after.is_active


def test_the_user_list_holds_only_the_admins_clinics(client, clinic_admin, admin_world):
    client.force_login(clinic_admin)
    page = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert admin_world["own_nurse"].username in page
    for who in FORBIDDEN_USERS:
        assert f">{admin_world[who].username}<" not in page


def test_a_clinic_admin_can_reset_a_password_in_their_clinic(client, clinic_admin, admin_world):
    nurse = admin_world["own_nurse"]
    client.force_login(clinic_admin)
    url = reverse("admin:auth_user_password_change", args=[nurse.pk])
    response = client.post(
        url,
        {"password1": "a fresh password 123", "password2": "a fresh password 123"},
    )
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert nurse.check_password("a fresh password 123")
    assert AuditEvent.objects.filter(actor=clinic_admin, object_id=str(nurse.pk)).exists()


@pytest.mark.parametrize("who", ["outsider", "boss", "b_admin"])
def test_staff_choices_hold_only_people_already_in_the_admins_clinics(
    client, clinic, clinic_admin, admin_world, who
):
    client.force_login(clinic_admin)
    url = reverse("admin:b12clinic_clinic_change", args=[clinic.pk])
    page = client.get(url).content.decode()
    # The staff choices are <option>s; other fields hold small numbers too (value="3").
    assert f'<option value="{admin_world[who].pk}"' not in page
    staff = list(clinic.staff.values_list("pk", flat=True))
    response = client.post(
        url,
        {
            "name": clinic.name,
            "time_zone": clinic.time_zone,
            "phone": clinic.phone,
            "open_weekdays": clinic.open_weekdays,
            "staff": [*staff, admin_world[who].pk],
        },
    )
    assert response.status_code == 200  # the form again, with its error
    assert not clinic.staff.filter(pk=admin_world[who].pk).exists()


def test_another_clinic_cannot_be_opened_or_changed(
    client, other_clinic, clinic_admin, admin_world
):
    client.force_login(clinic_admin)
    url = reverse("admin:b12clinic_clinic_change", args=[other_clinic.pk])
    assert not _opened(client.get(url), other_clinic.name)
    client.post(url, {"name": "Renamed", "staff": [clinic_admin.pk]})
    other_clinic.refresh_from_db()
    assert other_clinic.name == "Southbank Practice"
    assert not other_clinic.staff.filter(pk=clinic_admin.pk).exists()


def test_a_clinic_admin_cannot_give_themselves_a_role(client, clinic_admin, admin_world):
    client.force_login(clinic_admin)
    url = reverse("admin:auth_user_change", args=[clinic_admin.pk])
    clinician = Group.objects.get(name=CLINICIAN)
    client.post(
        url,
        {
            "username": clinic_admin.username,
            "is_active": "on",
            "groups": [clinician.pk],
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    clinic_admin.refresh_from_db()
    assert not clinic_admin.groups.filter(name=CLINICIAN).exists()
    assert not clinic_admin.is_superuser


@pytest.mark.parametrize(
    "name",
    [
        "admin:monitoring_referencerange_change",
        "admin:monitoring_referencerange_delete",
        "admin:monitoring_referencerange_history",
    ],
)
def test_another_clinics_range_cannot_be_opened_or_changed(client, clinic_admin, admin_world, name):
    b_range = admin_world["b_range"]
    client.force_login(clinic_admin)
    url = reverse(name, args=[b_range.pk])
    assert client.get(url).status_code in (302, 403, 404)
    client.post(
        url,
        {
            "test": b_range.test_id,
            "clinic": b_range.clinic_id,
            "low": "1",
            "high": "2",
            "post": "yes",
        },
    )
    assert ReferenceRange.objects.get(pk=b_range.pk).low == Decimal(120)


def test_the_range_filter_names_only_the_admins_clinics(client, clinic_admin, admin_world):
    client.force_login(clinic_admin)
    page = client.get(reverse("admin:monitoring_referencerange_changelist")).content.decode()
    assert "Northgate Surgery" in page
    assert "Southbank Practice" not in page


def test_a_new_user_joins_the_admins_clinic_with_a_staff_role_and_is_audited(
    client, clinic, clinic_admin, admin_world
):
    client.force_login(clinic_admin)
    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newnurse",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "clinic": clinic.pk,
            "role": NURSE,
            "groups": [Group.objects.get(name=CLINIC_ADMIN).pk],
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = User.objects.get(username="newnurse")
    assert list(new.groups.values_list("name", flat=True)) == [NURSE]
    assert not new.is_superuser and not new.is_staff
    assert clinic.staff.filter(pk=new.pk).exists()
    event = AuditEvent.objects.get(object_id=str(new.pk), action="create")
    assert event.actor == clinic_admin and event.changes["groups"] == [NURSE]


def test_a_new_user_cannot_be_put_in_another_clinic(
    client, other_clinic, clinic_admin, admin_world
):
    client.force_login(clinic_admin)
    client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "plant",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "clinic": other_clinic.pk,
            "role": CLINICIAN,
        },
    )
    assert not User.objects.filter(username="plant").exists()


def test_admin_changes_of_staff_and_ranges_are_in_the_audit_chain(
    client, clinic, clinic_admin, admin_world
):
    from b12clinic.core.audit_verify import verify_chains

    client.force_login(clinic_admin)
    nurse = admin_world["own_nurse"]
    url = reverse("admin:b12clinic_clinic_change", args=[clinic.pk])
    response = client.post(url, {**_form_data(client, url), "staff": [clinic_admin.pk]})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not clinic.staff.filter(pk=nurse.pk).exists()
    event = AuditEvent.objects.get(object_type="plans.clinic", action="change")
    assert event.changes["staff"] == [clinic_admin.username]
    a_range = admin_world["a_range"]
    url = reverse("admin:monitoring_referencerange_change", args=[a_range.pk])
    response = client.post(url, {**_form_data(client, url), "low": "110"})
    assert response.status_code == 302, response.content.decode()[:3000]
    changed = AuditEvent.objects.get(object_type="monitoring.referencerange")
    assert Decimal(changed.changes["low"]) == Decimal(110)
    assert all(report.broken is None for report in verify_chains(full=True))


@pytest.mark.parametrize(
    "name", ["admin:auth_group_change", "admin:auth_group_delete", "admin:auth_group_add"]
)
def test_roles_cannot_be_changed_or_added_by_a_clinic_admin(client, clinic_admin, name):
    group = Group.objects.get(name=NURSE)
    before = set(group.permissions.values_list("pk", flat=True))
    client.force_login(clinic_admin)
    url = reverse(name) if name.endswith("_add") else reverse(name, args=[group.pk])
    everything = list(Permission.objects.values_list("pk", flat=True))
    response = client.post(url, {"name": "nurse", "permissions": everything, "post": "yes"})
    assert response.status_code == 403
    assert set(group.permissions.values_list("pk", flat=True)) == before
    assert Group.objects.filter(name=NURSE).exists()


@pytest.mark.parametrize("name", ["admin:b12clinic_clinic_add", "admin:b12clinic_clinic_delete"])
def test_clinics_are_made_and_removed_only_by_a_superuser(client, clinic, clinic_admin, name):
    client.force_login(clinic_admin)
    url = reverse(name) if name.endswith("_add") else reverse(name, args=[clinic.pk])
    assert client.post(url, {"name": "New clinic", "post": "yes"}).status_code == 403


def test_api_tokens_and_laboratory_codes_stay_in_their_clinic(
    client, clinic, other_clinic, clinic_admin, admin_world
):
    from django.utils import timezone

    from b12clinic.core.api_tokens import api_token_create
    from b12clinic.core.models import ApiToken
    from monitoring.models import LabCodeMapping

    theirs = api_token_create(
        clinic=other_clinic, name="Their lab", by=admin_world["b_admin"], now=timezone.now()
    ).token
    their_code = LabCodeMapping.objects.create(
        clinic=other_clinic, code="HB1", test=admin_world["test"]
    )
    clinic_admin.is_staff = True
    clinic_admin.save()
    client.force_login(clinic_admin)
    for name, obj, text in [
        ("admin:b12clinic_apitoken_change", theirs, "Their lab"),
        ("admin:monitoring_labcodemapping_change", their_code, "HB1"),
        ("admin:monitoring_labcodemapping_delete", their_code, "HB1"),
    ]:
        assert not _opened(client.get(reverse(name, args=[obj.pk])), text)
    listing = client.get(reverse("admin:b12clinic_apitoken_changelist")).content.decode()
    assert "Their lab" not in listing
    client.post(
        reverse("admin:b12clinic_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [str(theirs.pk)]},
    )
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    client.post(
        reverse("admin:b12clinic_apitoken_add"),
        {"clinic": other_clinic.pk, "name": "Sneaky", "valid_for_days": "30"},
    )
    client.post(
        reverse("admin:monitoring_labcodemapping_delete", args=[their_code.pk]), {"post": "yes"}
    )
    assert not ApiToken.objects.filter(name="Sneaky").exists()
    assert LabCodeMapping.objects.filter(pk=their_code.pk).exists()

    # Their own clinic's work.
    response = client.post(
        reverse("admin:monitoring_labcodemapping_add"),
        {"clinic": clinic.pk, "sender": "", "code": "HB9", "test": admin_world["test"].pk},
    )
    assert response.status_code == 302
    assert LabCodeMapping.objects.get(code="HB9").clinic == clinic
    ours = client.post(
        reverse("admin:b12clinic_apitoken_add"),
        {"clinic": clinic.pk, "name": "Our lab", "valid_for_days": "30"},
    )
    assert ours.status_code == 302
    token = ApiToken.objects.get(name="Our lab")
    client.post(
        reverse("admin:b12clinic_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [str(token.pk)]},
    )
    token.refresh_from_db()
    assert token.revoked_by == clinic_admin
