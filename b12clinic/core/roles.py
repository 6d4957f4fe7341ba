"""The four roles, as Django groups named exactly as design.md says.

Which pages a role may open is decided by `b12clinic.core.access`; the model permissions
granted here are what the Django admin honours. Each migration that adds models grants their
permissions with `grant_permissions`, naming them literally, so replaying old migrations never
refers to models that do not exist yet.
"""

from collections.abc import Iterable, Mapping

from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions

CLINICIAN = "clinician"
NURSE = "nurse"
PATIENT = "patient"
CLINIC_ADMIN = "clinic_admin"

# Most specific first: a user in several groups gets the home of the first one here.
ROLES: tuple[str, ...] = (CLINICIAN, NURSE, CLINIC_ADMIN, PATIENT)
STAFF_ROLES: frozenset[str] = frozenset({CLINICIAN, NURSE, CLINIC_ADMIN})


def grant_permissions(apps: Apps, grants: Mapping[str, Iterable[str]]) -> None:
    """Create the role groups if needed and add `app_label.codename` permissions to them."""
    # Permissions are normally created by post_migrate, after every migration has run; on a fresh
    # database that is too late for a data migration, so create them now.
    for app_config in apps.get_app_configs():
        # create_permissions skips an app without a models module; a historical one has none.
        setattr(app_config, "models_module", True)  # noqa: B010
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role in ROLES:
        group_model.objects.get_or_create(name=role)
    for role, permission_names in grants.items():
        group = group_model.objects.get(name=role)
        for name in permission_names:
            app_label, codename = name.split(".")
            group.permissions.add(
                permission_model.objects.get(
                    content_type__app_label=_owner(apps, app_label, codename), codename=codename
                )
            )


def _owner(apps: Apps, app_label: str, codename: str) -> str:
    """The app that holds the permission's model in `apps`: clinics, patients and products moved
    from plans into the kernel, and a test that replays an old grant sees them there."""
    model_name = codename.partition("_")[2]
    try:
        apps.get_model(app_label, model_name)
    except LookupError:
        for model in apps.get_models():
            if model._meta.model_name == model_name:
                return model._meta.app_label
    return app_label
