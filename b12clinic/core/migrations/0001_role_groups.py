from django.db import migrations

from b12clinic.core.roles import grant_permissions


def create_role_groups(apps, schema_editor):
    grant_permissions(
        apps,
        {
            "clinician": ["plans.view_clinic"],
            "nurse": ["plans.view_clinic"],
            "clinic_admin": [
                "plans.view_clinic",
                "plans.change_clinic",
                "auth.view_user",
                "auth.add_user",
                "auth.change_user",
                "auth.view_group",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("plans", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
