"""Administration.patient, copied from the dose's plan: added empty, filled in one statement,
then required and indexed for a patient's injections, newest first."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery


def copy_patients(apps, schema_editor):
    Administration = apps.get_model("plans", "Administration")
    Dose = apps.get_model("plans", "Dose")
    Administration.objects.filter(patient__isnull=True).update(
        patient_id=Subquery(
            Dose.objects.filter(pk=OuterRef("dose_id")).values("plan__patient_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("b12clinic", "0013_api_tokens"),
        ("plans", "0014_stock_batches"),
    ]

    operations = [
        migrations.AddField(
            model_name="administration",
            name="patient",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="b12clinic.patient",
            ),
        ),
        migrations.RunPython(copy_patients, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="administration",
            name="patient",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="b12clinic.patient",
            ),
        ),
        migrations.AddIndex(
            model_name="administration",
            index=models.Index(
                models.F("patient"),
                F("given_on").desc(),
                F("recorded_at").desc(),
                condition=Q(is_void=False) & ~Q(site=""),
                name="administration_site_by_patient",
            ),
        ),
    ]
