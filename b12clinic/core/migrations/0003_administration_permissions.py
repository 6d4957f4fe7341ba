from django.db import migrations

from b12clinic.core.roles import grant_permissions


def grant(apps, schema_editor):
    records = [
        "plans.view_administration",
        "plans.add_administration",
        "plans.view_dosenotgiven",
        "plans.add_dosenotgiven",
    ]
    grant_permissions(
        apps,
        {
            "clinician": [*records, "monitoring.view_alert", "monitoring.change_alert"],
            "nurse": records,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("b12clinic", "0002_plans_permissions"),
        ("plans", "0006_dose_clinic_filled"),
        ("monitoring", "0001_alerts"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
