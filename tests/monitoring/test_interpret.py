"""Plausibility, flags, bands and ranges: pure."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.rules.catalogue import BY_CODE, TESTS
from monitoring.rules.interpret import Flag, Limits, RangeRow, band, flag, implausible, pick_range

D = Decimal


def limits_of(code: str, sex: str = "female") -> Limits:
    spec = BY_CODE[code]
    rows = [RangeRow(False, r.sex, r.low, r.high) for r in spec.ranges]
    low, high = pick_range(rows, sex=sex)
    return Limits(
        unit=spec.unit,
        units=spec.units,
        low=low,
        high=high,
        critical_low=spec.critical_low,
        critical_high=spec.critical_high,
        plausible_low=spec.plausible_low,
        plausible_high=spec.plausible_high,
        bands=spec.bands,
    )


NUMERIC = [t for t in TESTS if not t.qualitative]
LIMITS = [
    (t.code, end, value)
    for t in NUMERIC
    for end, value in (("low", t.plausible_low), ("high", t.plausible_high))
    if value  # a plausible low of 0 is enforced as "cannot be negative", tested elsewhere
]


@pytest.mark.parametrize("code, end, limit", LIMITS, ids=[f"{c}-{e}" for c, e, _ in LIMITS])
def test_every_plausibility_limit_accepts_its_edge_and_refuses_beyond(code, end, limit):
    limits = limits_of(code)
    unit = BY_CODE[code].unit
    assert implausible(limit, entered_unit=unit, canonical=limit, limits=limits) == ""
    beyond = limit - D("0.001") if end == "low" else limit + D("0.01")
    message = implausible(beyond, entered_unit=unit, canonical=beyond, limits=limits)
    assert message.startswith("outside ")
    assert "wrong unit" in message


def test_haemoglobin_1400_suggests_the_unit_it_was_probably_in():
    limits = limits_of("hb")
    message = implausible(D(1400), entered_unit="g/L", canonical=D(1400), limits=limits)
    assert message.startswith("outside 30–250 g/L; was this entered in the wrong unit?")


def test_haemoglobin_12_in_g_per_l_points_at_g_per_dl():
    message = implausible(D(12), entered_unit="g/L", canonical=D(12), limits=limits_of("hb"))
    assert "12 g/dL would be 120 g/L" in message


@pytest.mark.parametrize(
    "code, value, sex, expected",
    [
        ("hb", "119", "female", Flag.LOW),
        ("hb", "125", "female", Flag.NORMAL),
        ("hb", "125", "male", Flag.LOW),
        ("hb", "170", "female", Flag.HIGH),
        ("hb", "55", "female", Flag.CRITICAL_LOW),
        ("potassium", "3.2", "", Flag.LOW),
        ("potassium", "2.9", "", Flag.CRITICAL_LOW),
        ("potassium", "3.0", "", Flag.LOW),
        ("potassium", "7", "", Flag.CRITICAL_HIGH),
        ("mcv", "104", "", Flag.HIGH),
        ("mma", "0.40", "", Flag.NORMAL),
        ("mma", "0.41", "", Flag.HIGH),
        ("b12", "120", "", Flag.LOW),
    ],
)
def test_flags(code, value, sex, expected):
    assert flag(D(value), limits_of(code, sex)) == expected


@pytest.mark.parametrize(
    "code, value, expected",
    [
        ("b12", "132.9", "deficient"),
        ("b12", "133", "indeterminate"),
        ("b12", "258", "indeterminate"),
        ("b12", "258.1", "deficiency unlikely"),
        ("active_b12", "24", "deficient"),
        ("active_b12", "70", "indeterminate"),
        ("active_b12", "71", "deficiency unlikely"),
        ("folate", "3.9", "deficient"),
        ("folate", "4.0", "indeterminate"),
        ("folate", "5.8", "indeterminate"),
        ("folate", "5.9", "normal"),
        ("hb", "100", ""),
    ],
)
def test_interpretation_bands(code, value, expected):
    assert band(D(value), BY_CODE[code].bands) == expected


def test_a_clinic_range_wins_over_the_default_and_sex_over_anyone():
    rows = [
        RangeRow(False, "male", D(135), D(175)),
        RangeRow(False, "female", D(120), D(160)),
        RangeRow(True, "", D(115), D(165)),
    ]
    assert pick_range(rows, sex="male") == (D(115), D(165))
    assert pick_range(rows[:2], sex="male") == (D(135), D(175))
    # Sex not recorded: flagged only when abnormal for either sex.
    assert pick_range(rows[:2], sex="unknown") == (D(120), D(175))
    assert pick_range([], sex="female") == (None, None)


@given(
    value=st.decimals(min_value=0, max_value=100000, places=2),
    code=st.sampled_from([t.code for t in NUMERIC]),
)
def test_flag_and_band_are_total(value, code):
    limits = limits_of(code)
    assert flag(value, limits) in Flag
    if BY_CODE[code].bands:
        assert band(value, BY_CODE[code].bands)
