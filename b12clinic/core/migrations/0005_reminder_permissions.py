from django.db import migrations

from b12clinic.core.roles import grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        {
            "clinician": ["monitoring.view_reminder", "monitoring.change_reminder"],
            "nurse": ["monitoring.view_reminder", "monitoring.change_reminder"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("b12clinic", "0004_monitoring_permissions"),
        ("monitoring", "0004_reminders"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
