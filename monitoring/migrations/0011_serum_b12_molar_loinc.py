"""Serum B12 results are kept in pmol/L, which LOINC names 14685-2 (cobalamin, moles per
volume); the catalogue listed the mass code 2132-9 first, and exports name a result by the
first code."""

from django.db import migrations

OLD = "2132-9, 14685-2"
NEW = "14685-2, 2132-9"


def molar_first(apps, schema_editor):
    apps.get_model("monitoring", "LabTest").objects.filter(code="b12", loinc=OLD).update(loinc=NEW)


def mass_first(apps, schema_editor):
    apps.get_model("monitoring", "LabTest").objects.filter(code="b12", loinc=NEW).update(loinc=OLD)


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0010_checkins_from_home")]

    operations = [migrations.RunPython(molar_first, mass_first)]
