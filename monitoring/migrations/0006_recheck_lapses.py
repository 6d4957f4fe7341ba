from datetime import timedelta

from django.conf import settings
from django.db import migrations, models

# Days from the plan start after which each first-course recheck has lapsed, and the day of
# the start its due date falls on, as monitoring/rules/rechecks.py had them when this ran.
LAPSES = {
    "baseline": (28, 0),
    "potassium_48h": (7, 2),
    "retics_day7": (14, 10),
    "fbc_8w": (120, 56),
    "symptom_review_3m": (183, 91),
    "serum_b12": (120, 56),
}


def fill_lapse_dates(apps, schema_editor):
    Recheck = apps.get_model("monitoring", "Recheck")
    for kind, (lapses, due) in LAPSES.items():
        rows = list(Recheck.objects.filter(kind=kind))
        for row in rows:
            row.lapses_on = row.due_date - timedelta(days=due) + timedelta(days=lapses)
        Recheck.objects.bulk_update(rows, ["lapses_on"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0005_recheck_updated_at"),
        ("plans", "0010_clinic_second_factor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="recheck",
            name="lapsed_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="recheck",
            name="lapsed_reason",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="recheck",
            name="lapses_on",
            field=models.DateField(
                blank=True,
                help_text="After this day its purpose has passed (first course).",
                null=True,
            ),
        ),
        migrations.RunPython(fill_lapse_dates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="recheck",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("done", "Done"),
                    ("cancelled", "Not needed"),
                    ("lapsed", "Lapsed"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="recheck",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "lapsed"), _negated=True),
                    models.Q(
                        ("lapsed_on__isnull", False), models.Q(("lapsed_reason", ""), _negated=True)
                    ),
                    _connector="OR",
                ),
                name="recheck_lapse_has_date_and_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="recheck",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("lapses_on__isnull", True),
                    ("lapses_on__gt", models.F("closes")),
                    _connector="OR",
                ),
                name="recheck_lapses_after_its_window",
            ),
        ),
    ]
