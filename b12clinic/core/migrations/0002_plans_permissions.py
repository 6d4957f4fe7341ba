from django.db import migrations

from b12clinic.core.roles import grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        {
            "clinician": [
                "plans.view_patient",
                "plans.add_patient",
                "plans.change_patient",
                "plans.view_product",
                "plans.view_plan",
                "plans.add_plan",
                "plans.change_plan",
                "plans.view_planversion",
                "plans.add_planversion",
                "plans.view_phase",
                "plans.view_dose",
            ],
            "nurse": [
                "plans.view_patient",
                "plans.view_product",
                "plans.view_plan",
                "plans.view_planversion",
                "plans.view_phase",
                "plans.view_dose",
                "plans.change_dose",
            ],
            "clinic_admin": [
                "plans.view_patient",
                "plans.view_product",
                "plans.add_product",
                "plans.change_product",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("b12clinic", "0001_role_groups"),
        ("plans", "0003_seed_products"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
