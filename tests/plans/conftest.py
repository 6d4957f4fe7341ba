from datetime import date

import pytest

from b12clinic.core.models import Patient, Product
from plans.rules import dosing
from plans.rules.regimens import CYANOCOBALAMIN, HYDROXOCOBALAMIN, REGIMENS
from plans.services.prescriptions import Prescription

TODAY = date(2026, 1, 5)  # a Monday


@pytest.fixture
def hydroxo(db) -> Product:
    return Product.objects.get(code=HYDROXOCOBALAMIN)


@pytest.fixture
def cyano(db) -> Product:
    return Product.objects.get(code=CYANOCOBALAMIN)


@pytest.fixture
def patient(clinic, clinician) -> Patient:
    return Patient.objects.create(
        clinic=clinic,
        record_number="RX1001",
        given_name="Nora",
        family_name="Quinn",
        date_of_birth=date(1961, 4, 2),
        sex="female",
        created_by=clinician,
    )


def prescription(code: str = "uk_standard", *, start: date = TODAY, **changes) -> Prescription:
    regimen = REGIMENS[code]
    product = Product.objects.get(code=regimen.product)
    values = dict(
        regimen=code,
        product=product,
        dose=dosing.parse_dose(regimen.dose_text, strength_mcg_per_ml=product.strength_mcg_per_ml),
        route=dosing.Route(regimen.route),
        cause="pernicious_anaemia",
        neurological=regimen.neurological,
        start_date=start,
        review_date=regimen.review_date(start),
        phases=regimen.phases,
    )
    values.update(changes)
    return Prescription(**values)
