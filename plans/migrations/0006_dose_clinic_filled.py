import django.db.models.deletion
from django.db import migrations, models


def fill_clinic(apps, schema_editor):
    Dose = apps.get_model("plans", "Dose")
    Patient = apps.get_model("plans", "Patient")
    clinics = dict(Patient.objects.values_list("plans__id", "clinic_id"))
    for plan_id, clinic_id in clinics.items():
        if plan_id is not None:
            Dose.objects.filter(plan_id=plan_id).update(clinic_id=clinic_id)


class Migration(migrations.Migration):
    dependencies = [("plans", "0005_administration")]

    operations = [
        migrations.RunPython(fill_clinic, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="dose",
            name="clinic",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="plans.clinic",
            ),
        ),
    ]
