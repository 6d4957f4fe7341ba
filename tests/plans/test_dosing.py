"""Dose parsing and the dose-safety rules of clinical-reference §2–§3, one test per rule."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plans.rules.dosing import (
    DoseLimits,
    DoseParseError,
    Indication,
    ParsedDose,
    PatientFacts,
    ProductFacts,
    Route,
    Severity,
    blocking,
    check_dose,
    dose_as_read,
    format_mcg,
    parse_dose,
)

HYDROXO = ProductFacts(
    "hydroxocobalamin-1mg-ml", "hydroxocobalamin", 1000, frozenset({Route.IM}), False
)
CYANO = ProductFacts(
    "cyanocobalamin-1000mcg-ml", "cyanocobalamin", 1000, frozenset({Route.IM, Route.SC}), True
)
WELL = PatientFacts()


@pytest.mark.parametrize(
    ("text", "mcg", "unit"),
    [
        ("1 mg", 1000, "mg"),
        ("1mg", 1000, "mg"),
        ("0.5 mg", 500, "mg"),
        (".5 mg", 500, "mg"),
        ("0.250 mg", 250, "mg"),  # a leading nought cannot start a thousands group
        ("1000 mcg", 1000, "mcg"),
        ("250 µg", 250, "mcg"),
        ("250 μg", 250, "mcg"),
        ("250 ug", 250, "mcg"),
        ("100 micrograms", 100, "mcg"),
        ("1 microgram", 1, "mcg"),
        ("1 MG", 1000, "mg"),
        ("1 mL", 1000, "mL"),
        ("0.25 ml", 250, "mL"),
        ("1 g", 1_000_000, "g"),
    ],
)
def test_doses_parse_to_whole_micrograms_keeping_the_unit(text, mcg, unit):
    dose = parse_dose(text, strength_mcg_per_ml=1000)
    assert (dose.mcg, dose.unit) == (mcg, unit)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1000", "Give a unit"),
        ("", "Enter the dose as a number and a unit"),
        ("one mg", "Enter the dose as a number and a unit"),
        ("1 tsp", "Unknown unit “tsp”"),
        ("0 mg", "more than zero"),
        ("0.0001 mg", "not a whole number of micrograms"),
        ("-1 mg", "Enter the dose as a number and a unit"),
    ],
)
def test_bad_doses_are_refused_with_a_message(text, message):
    with pytest.raises(DoseParseError, match=message):
        parse_dose(text, strength_mcg_per_ml=1000)


@pytest.mark.parametrize(
    ("text", "mcg"),
    [
        ("1,000 micrograms", 1000),
        ("1,000 mcg", 1000),
        ("1 000 mcg", 1000),
        ("1\u2009000 mcg", 1000),  # thin space
        ("1\u202f000 mcg", 1000),  # narrow no-break space
        ("1\u00a0000 mcg", 1000),  # no-break space
        ("2,500 mcg", 2500),
        ("1,000,000 mcg", 1_000_000),
        ("1,000.0 mcg", 1000),
    ],
)
def test_thousands_separators_are_read_as_thousands(text, mcg):
    """Defect: "1,000 micrograms" was read as 1 microgram, a thousand-fold under-dose."""
    assert parse_dose(text, strength_mcg_per_ml=1000).mcg == mcg


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("1.000 mg", "1 mg or 1000 mg?"),
        ("1.250 mg", "1.25 mg or 1250 mg?"),
        ("1,5 mg", "Did you mean 1.5 mg?"),
        ("0,5 mg", "Did you mean 0.5 mg?"),
        ("1,00 mg", "Did you mean 1.00 mg?"),
        ("1,0000 mcg", "Did you mean 1.0000 mcg?"),
        ("1.000.000 mcg", "Is each comma"),
        ("1 000,5 mcg", "?"),
        ("1.000,5 mcg", "?"),
        ("1,000,00 mcg", "?"),
        ("1 00 mcg", "?"),
        ("1, 000 mcg", "?"),
    ],
)
def test_an_ambiguous_number_is_refused_with_a_question(text, question):
    with pytest.raises(DoseParseError) as refused:
        parse_dose(text, strength_mcg_per_ml=1000)
    assert question in refused.value.message
    assert refused.value.message.rstrip().endswith("?") or "Write" in refused.value.message


def _reading(text: str, *, thousands: str, decimal: str) -> Decimal | None:
    """One convention's reading of a number, written independently of plans.rules.dosing: groups
    of three after the first, one decimal mark. None when the text breaks the convention."""
    whole, _, fraction = text.partition(decimal) if decimal in text else (text, "", "")
    if decimal in fraction or thousands in fraction or (decimal in text and not fraction):
        return None
    groups = whole.split(thousands)
    if not groups[0] or (len(groups[0]) > 3 and len(groups) > 1):
        return None
    if any(len(g) != 3 for g in groups[1:]):
        return None
    digits = "".join(groups)
    if not digits.isdigit() or (fraction and not fraction.isdigit()):
        return None
    return Decimal(f"{digits}.{fraction}" if fraction else digits)


@given(st.text(alphabet="0123456789.,", min_size=1, max_size=9).filter(lambda t: t[0].isdigit()))
def test_a_number_is_read_the_one_way_we_write_numbers_and_never_guessed(text):
    """Whatever is read is the reading with a decimal point and thousands commas. Where the
    continental reading (decimal comma, thousands points) would give another amount, the
    number is refused, except for commas between groups of three, which are thousands."""
    english = _reading(text, thousands=",", decimal=".")
    european = _reading(text, thousands=".", decimal=",")
    try:
        read = parse_dose(f"{text} mcg").amount
    except DoseParseError:
        return
    assert read == english
    if european is not None and european != english:
        assert "." not in text and "," in text


@given(st.integers(min_value=1, max_value=10_000_000))
def test_a_whole_number_of_micrograms_written_with_thousands_separators_reads_back(mcg):
    assert parse_dose(f"{mcg:,} mcg").mcg == mcg
    assert parse_dose(f"{mcg:,} mcg".replace(",", "\u202f")).mcg == mcg


def test_the_dose_as_read_is_echoed_in_words():
    assert dose_as_read(parse_dose("1,000 micrograms"), strength_mcg_per_ml=1000) == (
        "= 1,000 micrograms = 1 mL of 1 mg/mL"
    )
    assert dose_as_read(parse_dose("0.25 mL", strength_mcg_per_ml=1000), 1000) == (
        "= 250 micrograms = 0.25 mL of 1 mg/mL"
    )
    assert dose_as_read(parse_dose("1 mcg"), strength_mcg_per_ml=1000) == (
        "= 1 microgram = 0.001 mL of 1 mg/mL"
    )


def test_a_dose_in_ml_needs_the_product_strength():
    with pytest.raises(DoseParseError, match="Choose the product first"):
        parse_dose("1 mL")


@given(st.integers(min_value=1, max_value=10_000_000))
def test_parsing_what_we_display_gives_back_the_same_micrograms(mcg):
    assert parse_dose(format_mcg(mcg)).mcg == mcg
    assert parse_dose(f"{mcg} mcg").mcg == mcg


def problems(text, *, route=Route.IM, product=HYDROXO, patient=WELL, **kwargs):
    dose = parse_dose(text, strength_mcg_per_ml=product.strength_mcg_per_ml)
    return check_dose(dose=dose, route=route, product=product, patient=patient, **kwargs)


def codes(found):
    return {(p.field, p.code, p.severity) for p in found}


def test_a_usual_dose_by_the_licensed_route_is_clear():
    assert problems("1 mg") == []
    assert problems("1000 mcg", product=CYANO, route=Route.SC) == []


@pytest.mark.parametrize("text", ["1000 mg", "1 g", "5 g", "100 mg"])
def test_gram_and_large_milligram_doses_are_named_a_probable_unit_error(text):
    found = problems(text)
    assert ("dose", "probable_unit_error", Severity.BLOCK) in codes(found)
    message = next(p.message for p in found if p.code == "probable_unit_error")
    assert "probable" in message


def test_1000_mg_suggests_micrograms():
    message = problems("1000 mg")[0].message
    assert "Did you mean 1000 mcg?" in message


def test_5_g_names_the_cyanide_antidote():
    assert "Cyanokit" in problems("5 g")[0].message


def test_above_1_mg_is_blocked_for_deficiency():
    found = problems("2 mg")
    assert ("dose", "above_max_single_dose", Severity.BLOCK) in codes(found)


def test_above_1_mg_needs_a_reason_for_leber_optic_atrophy_with_hydroxocobalamin():
    found = problems("2 mg", indication=Indication.LEBER_OPTIC_ATROPHY)
    assert ("dose", "above_max_single_dose", Severity.NEEDS_REASON) in codes(found)
    assert blocking(found, {}) != []
    assert blocking(found, {"above_max_single_dose": "Specialist advice"}) == []


def test_above_1_mg_stays_blocked_for_cyanocobalamin_whatever_the_indication():
    found = problems("2 mg", product=CYANO, indication=Indication.TOBACCO_AMBLYOPIA)
    assert ("dose", "above_max_single_dose", Severity.BLOCK) in codes(found)


def test_intravenous_is_blocked_on_the_route_field():
    found = problems("1 mg", route=Route.IV)
    assert ("route", "intravenous", Severity.BLOCK) in codes(found)
    assert blocking(found, {"intravenous": "please"}) != []


def test_a_volume_above_1_ml_warns():
    weak = ProductFacts("weak", "hydroxocobalamin", 500, frozenset({Route.IM}), False)
    found = problems("1 mg", product=weak)
    assert codes(found) == {("dose", "volume_above_limit", Severity.WARN)}
    assert "2 mL" in found[0].message
    assert blocking(found, {}) == []


def test_a_route_outside_the_licence_needs_a_reason():
    found = problems("1 mg", route=Route.SC)
    assert codes(found) == {("route", "route_outside_licence", Severity.NEEDS_REASON)}
    assert blocking(found, {"route_outside_licence": "  "}) != []
    assert blocking(found, {"route_outside_licence": "Bleeding disorder: IM unsafe"}) == []


def test_cyanocobalamin_is_blocked_with_cobalt_or_b12_sensitivity():
    found = problems(
        "1000 mcg", product=CYANO, patient=PatientFacts(cobalt_or_b12_sensitivity=True)
    )
    assert ("product", "cobalt_sensitivity", Severity.BLOCK) in codes(found)
    assert problems("1 mg", patient=PatientFacts(cobalt_or_b12_sensitivity=True)) == []


def test_cyanocobalamin_is_blocked_in_leber_optic_neuropathy():
    found = problems("1000 mcg", product=CYANO, patient=PatientFacts(leber_optic_neuropathy=True))
    assert ("product", "leber_optic_neuropathy", Severity.BLOCK) in codes(found)
    assert problems("1 mg", patient=PatientFacts(leber_optic_neuropathy=True)) == []


def test_a_dose_below_the_usual_minimum_warns_when_the_clinic_sets_one():
    limits = DoseLimits(usual_min_mcg={HYDROXO.code: 250})
    found = problems("100 mcg", limits=limits)
    assert codes(found) == {("dose", "below_usual_dose", Severity.WARN)}


def test_limits_are_the_clinics_to_change():
    strict = DoseLimits(max_single_mcg=500)
    assert ("dose", "above_max_single_dose", Severity.BLOCK) in codes(
        problems("1 mg", limits=strict)
    )


def test_parsed_dose_displays_in_the_unit_chosen():
    assert ParsedDose(mcg=1000, unit="mg", amount=Decimal("1.0")).display == "1 mg"
