from django.db import migrations

# clinical-reference.md §1: the two injectable products. Clinics can add or change them in admin.
PRODUCTS = [
    {
        "code": "hydroxocobalamin-1mg-ml",
        "generic_name": "hydroxocobalamin",
        "strength_mcg_per_ml": 1000,
        "licensed_routes": "IM",
        "is_cyanocobalamin": False,
        "usual_min_dose_mcg": 250,
    },
    {
        "code": "cyanocobalamin-1000mcg-ml",
        "generic_name": "cyanocobalamin",
        "strength_mcg_per_ml": 1000,
        "licensed_routes": "IM,SC",
        "is_cyanocobalamin": True,
        "usual_min_dose_mcg": 100,
    },
]


def seed_products(apps, schema_editor):
    product_model = apps.get_model("plans", "Product")
    for product in PRODUCTS:
        product_model.objects.get_or_create(code=product["code"], defaults=product)


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_patients_plans_doses")]

    operations = [migrations.RunPython(seed_products, migrations.RunPython.noop)]
