from django.db import migrations

from b12clinic.core.roles import grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        {
            "clinician": [
                "plans.view_sharelink",
                "plans.add_sharelink",
                "plans.change_sharelink",
                "plans.view_sharelinkuse",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("b12clinic", "0005_reminder_permissions"),
        ("plans", "0009_schedule_documents"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
