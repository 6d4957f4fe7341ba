import pytest
from django.contrib.auth.models import Group

from b12clinic.core.roles import ROLES


@pytest.mark.django_db
def test_migration_creates_the_four_role_groups_with_their_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)

    def perms(role: str) -> set[str]:
        return {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=role).permissions.select_related("content_type")
        }

    assert {"b12clinic.change_clinic", "auth.add_user", "auth.change_user"} <= perms("clinic_admin")
    assert "b12clinic.view_clinic" in perms("clinician")
    assert "b12clinic.change_clinic" not in perms("clinician")
    assert "b12clinic.change_clinic" not in perms("nurse")
    assert perms("patient") == set()


def test_clinic_admin_reaches_the_admin_and_can_edit_clinics(client, clinic_admin, clinic):
    client.force_login(clinic_admin)
    response = client.get(f"/admin/b12clinic/clinic/{clinic.pk}/change/")
    assert response.status_code == 200
    assert clinic.name in response.content.decode()
