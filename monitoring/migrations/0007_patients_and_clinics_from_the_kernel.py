"""Monitoring's links to patients and clinics now point into the kernel; no column changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("b12clinic", "0011_clinics_patients_products_join_the_kernel"),
        ("monitoring", "0006_recheck_lapses"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="alert",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="alerts",
                to="b12clinic.patient",
            ),
        ),
        migrations.AlterField(
            model_name="labresult",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="results",
                to="b12clinic.patient",
            ),
        ),
        migrations.AlterField(
            model_name="recheck",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rechecks",
                to="b12clinic.patient",
            ),
        ),
        migrations.AlterField(
            model_name="referencerange",
            name="clinic",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="b12clinic.clinic",
            ),
        ),
        migrations.AlterField(
            model_name="reminder",
            name="clinic",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="b12clinic.clinic"
            ),
        ),
        migrations.AlterField(
            model_name="reminder",
            name="patient",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reminders",
                to="b12clinic.patient",
            ),
        ),
        migrations.AlterField(
            model_name="symptomcheckin",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="checkins",
                to="b12clinic.patient",
            ),
        ),
    ]

    # The tables stay where they are: only Django's picture of who owns them moves.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations, database_operations=[]
        )
    ]
