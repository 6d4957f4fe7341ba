from django.db import migrations

from b12clinic.core.roles import grant_permissions


def grant(apps, schema_editor):
    staff = [
        "monitoring.view_labtest",
        "monitoring.view_labresult",
        "monitoring.add_labresult",
        "monitoring.view_recheck",
        "monitoring.view_symptomcheckin",
        "monitoring.add_symptomcheckin",
    ]
    grant_permissions(
        apps,
        {
            "clinician": [*staff, "monitoring.add_recheck", "monitoring.change_recheck"],
            "nurse": staff,
            "clinic_admin": [
                "monitoring.view_labtest",
                "monitoring.change_labtest",
                "monitoring.view_referencerange",
                "monitoring.add_referencerange",
                "monitoring.change_referencerange",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("b12clinic", "0003_administration_permissions"),
        ("monitoring", "0003_seed_lab_catalogue"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
