"""Clinics, patients and products leave the plans app's state for the kernel's.

It waits for monitoring to point its links at the kernel first: a model can leave the state
only when nothing there still points at its old name.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0007_patients_and_clinics_from_the_kernel"),
        ("b12clinic", "0011_clinics_patients_products_join_the_kernel"),
        ("plans", "0012_bad_share_tokens"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="dose",
            name="clinic",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="b12clinic.clinic"
            ),
        ),
        migrations.RemoveField(
            model_name="patient",
            name="clinic",
        ),
        migrations.RemoveField(
            model_name="patient",
            name="created_by",
        ),
        migrations.RemoveField(
            model_name="patient",
            name="user",
        ),
        migrations.AlterField(
            model_name="plan",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="plans",
                to="b12clinic.patient",
            ),
        ),
        migrations.AlterField(
            model_name="planversion",
            name="product",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="b12clinic.product",
            ),
        ),
        migrations.DeleteModel(
            name="Clinic",
        ),
        migrations.DeleteModel(
            name="Patient",
        ),
        migrations.DeleteModel(
            name="Product",
        ),
    ]

    # The tables stay where they are: only Django's picture of who owns them moves.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=state_operations, database_operations=[]
        )
    ]
