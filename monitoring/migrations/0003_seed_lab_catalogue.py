from django.db import migrations

from monitoring.rules.catalogue import TESTS


def seed(apps, schema_editor):
    lab_test = apps.get_model("monitoring", "LabTest")
    reference_range = apps.get_model("monitoring", "ReferenceRange")
    for order, spec in enumerate(TESTS):
        test, _ = lab_test.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "loinc": ", ".join(spec.loinc),
                "unit": spec.unit,
                "units": {unit: str(factor) for unit, factor in spec.units.items()},
                "qualitative": spec.qualitative,
                "bands": [
                    {
                        "label": band.label,
                        "limit": None if band.limit is None else str(band.limit),
                        "inclusive": band.inclusive,
                    }
                    for band in spec.bands
                ],
                "critical_low": spec.critical_low,
                "critical_high": spec.critical_high,
                "plausible_low": spec.plausible_low,
                "plausible_high": spec.plausible_high,
                "note": spec.note,
                "order": order,
            },
        )
        for limits in spec.ranges:
            reference_range.objects.update_or_create(
                test=test,
                clinic=None,
                sex=limits.sex,
                defaults={"low": limits.low, "high": limits.high},
            )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_monitoring_labs")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
