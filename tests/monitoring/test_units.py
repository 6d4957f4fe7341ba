"""Unit conversion: pure, property-tested."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.rules.catalogue import BY_CODE, TESTS
from monitoring.rules.units import UnknownUnit, convert, find_unit, from_canonical, to_canonical

FACTORS = sorted({factor for test in TESTS for factor in test.units.values()})
entered = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99999"), places=3)


@given(value=entered, factor=st.sampled_from(FACTORS))
def test_a_value_converted_and_back_is_what_was_entered(value, factor):
    assert from_canonical(to_canonical(value, factor), factor) == value


@given(
    value=entered,
    test=st.sampled_from([t for t in TESTS if len(t.units) > 1]),
    data=st.data(),
)
def test_converting_between_any_two_units_round_trips(value, test, data):
    first, second = data.draw(st.permutations(list(test.units)))[:2]
    there = convert(value, unit=first, to=second, units=test.units)
    back = convert(there, unit=second, to=first, units=test.units)
    assert abs(back - value) <= Decimal("0.001")


@pytest.mark.parametrize(
    "code, value, unit, canonical",
    [
        ("b12", "200", "pg/mL", "147.6"),  # the US deficiency threshold, 148 pmol/L
        ("b12", "180", "ng/L", "132.84"),  # NG239: 180 ng/L ≈ 133 pmol/L
        ("hb", "12.5", "g/dL", "125"),
        ("folate", "4", "ng/mL", "4"),
        ("folate", "10", "nmol/L", "4.41"),
        ("mma", "350", "nmol/L", "0.35"),
        ("retic_abs", "0.08", "10^12/L", "80"),
    ],
)
def test_known_conversions(code, value, unit, canonical):
    test = BY_CODE[code]
    assert convert(Decimal(value), unit=unit, to=test.unit, units=test.units) == Decimal(canonical)


@pytest.mark.parametrize("typed", ["umol/L", "UMOL/L", " µmol/l ", "μmol/L"])
def test_unit_spellings_are_recognised(typed):
    assert find_unit(typed, BY_CODE["mma"].units) == "µmol/L"


def test_an_unknown_unit_is_refused():
    with pytest.raises(UnknownUnit):
        find_unit("mg/dL", BY_CODE["b12"].units)
