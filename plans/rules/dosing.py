"""Dose parsing and dose-safety rules (clinical-reference.md §2–§3). Pure: no Django.

Every problem names the form field it concerns, so the form can show it in the right place.
The numbers are defaults in `DoseLimits`; a clinic can pass its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from b12clinic.core.medicines import Route, format_amount, format_dose, format_mcg


class Severity(StrEnum):
    BLOCK = "block"  # cannot be saved
    NEEDS_REASON = "needs_reason"  # can be saved with a recorded reason
    WARN = "warn"  # shown; saving goes ahead


class Indication(StrEnum):
    DEFICIENCY = "deficiency"
    LEBER_OPTIC_ATROPHY = "leber_optic_atrophy"
    TOBACCO_AMBLYOPIA = "tobacco_amblyopia"


HIGH_DOSE_INDICATIONS = frozenset({Indication.LEBER_OPTIC_ATROPHY, Indication.TOBACCO_AMBLYOPIA})

_UNITS: dict[str, tuple[str, Decimal]] = {}
for _names, _canonical, _factor in (
    (("mcg", "µg", "μg", "ug", "microgram", "micrograms"), "mcg", Decimal(1)),
    (("mg", "milligram", "milligrams"), "mg", Decimal(1000)),
    (("g", "gram", "grams"), "g", Decimal(1_000_000)),
):
    for _name in _names:
        _UNITS[_name] = (_canonical, _factor)
_VOLUME_UNITS = ("ml", "millilitre", "millilitres", "milliliter", "milliliters")
# Spaces people put between groups of digits: plain, no-break, thin, narrow no-break, figure.
_GROUP_SPACES = " \u00a0\u2009\u202f\u2007"
_DOSE_PATTERN = re.compile(
    rf"^\s*(?P<number>[0-9.,][0-9.,{_GROUP_SPACES}]*?)\s*(?P<unit>[^\d\s.,].*?)?\s*$"
)
_GROUPED = re.compile(r"^[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?$")
_SPACED = re.compile(r"^[1-9][0-9]{0,2}(?: [0-9]{3})+(?:\.[0-9]+)?$")
_PLAIN = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$")
_POINT_LIKE_THOUSANDS = re.compile(r"^[1-9][0-9]{0,2}\.[0-9]{3}$")
_COMMA_DECIMAL = re.compile(r"^[0-9]+,[0-9]+$")


@dataclass(frozen=True)
class DoseLimits:
    max_single_mcg: int = 1000
    probable_error_mcg: int = 100_000  # 100 mg and above is a unit or product mistake
    max_volume_ml: Decimal = Decimal(1)
    usual_min_mcg: dict[str, int] | None = None  # per product code; None: no low warning


@dataclass(frozen=True)
class ParsedDose:
    mcg: int
    unit: str  # the unit the clinician used: mcg, mg, g or mL
    amount: Decimal  # the number as entered, in that unit

    @property
    def display(self) -> str:
        return format_dose(self.amount, self.unit)


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class ProductFacts:
    code: str
    generic_name: str
    strength_mcg_per_ml: int
    licensed_routes: frozenset[Route]
    is_cyanocobalamin: bool


@dataclass(frozen=True)
class PatientFacts:
    cobalt_or_b12_sensitivity: bool = False
    leber_optic_neuropathy: bool = False


class DoseParseError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def dose_as_read(dose: ParsedDose, strength_mcg_per_ml: int) -> str:
    """The dose echoed back in full beside the field, before anything is saved:
    "= 1,000 micrograms = 1 mL of 1 mg/mL"."""
    micrograms = "microgram" if dose.mcg == 1 else "micrograms"
    volume = format_amount(Decimal(dose.mcg) / strength_mcg_per_ml)
    return f"= {dose.mcg:,} {micrograms} = {volume} mL of {format_mcg(strength_mcg_per_ml)}/mL"


def read_number(text: str, unit: str = "") -> Decimal:
    """A number as a clinician typed it, read without guessing.

    A comma or a space (no-break, thin) between groups of three digits separates thousands:
    "1,000" and "1 000" are a thousand. A point is the decimal mark. A number that reads as
    two different amounts, "1.000" (one, or a thousand written the continental way) or "1,5"
    (a decimal comma), is refused with a question, whichever reading is likelier.
    """
    compact = text.strip()
    for space in _GROUP_SPACES:
        compact = compact.replace(space, " ")
    unit = f" {unit}" if unit else ""
    unclear = f"“{text.strip()}{unit}” is not clear."
    if _PLAIN.match(compact):
        if _POINT_LIKE_THOUSANDS.match(compact):
            small = format_amount(Decimal(compact))
            large = compact.replace(".", "")
            raise DoseParseError(
                f"{unclear} Did you mean {small}{unit} or {large}{unit}? Write a thousand "
                "without a point (1000 or 1,000), and decimals with a point (1.25)."
            )
        return Decimal(compact)
    if _GROUPED.match(compact):
        return Decimal(compact.replace(",", ""))
    if _SPACED.match(compact):
        return Decimal(compact.replace(" ", ""))
    if _COMMA_DECIMAL.match(compact):
        raise DoseParseError(
            f"{unclear} Did you mean {compact.replace(',', '.')}{unit}? Write decimals with a "
            "point, and thousands as 1,000 or 1000."
        )
    raise DoseParseError(
        f"{unclear} Is each comma, point or space a thousands separator or a decimal mark? "
        "Write thousands as 1,000 or 1000, and decimals with a point."
    )


def parse_dose(text: str, *, strength_mcg_per_ml: int | None = None) -> ParsedDose:
    """'1 mg', '1000 mcg', '1,000 mcg', '500µg', '1 mL' (with the product strength) -> whole
    micrograms. A number that could be misread is refused (`read_number`), never guessed."""
    match = _DOSE_PATTERN.match(text or "")
    if not match:
        raise DoseParseError("Enter the dose as a number and a unit, e.g. 1 mg or 1000 mcg.")
    unit_text = (match["unit"] or "").strip()
    try:
        amount = read_number(match["number"], unit_text)
    except InvalidOperation as exc:  # pragma: no cover - the patterns admit only numbers
        raise DoseParseError("Enter the dose as a number, e.g. 1 mg.") from exc
    if not unit_text:
        raise DoseParseError(
            f"Give a unit with the number ({format_amount(amount)} what?), e.g. 1 mg or 1000 mcg."
        )
    if amount <= 0:
        raise DoseParseError("The dose must be more than zero.")
    key = unit_text.lower()
    if key in _VOLUME_UNITS:
        if strength_mcg_per_ml is None:
            raise DoseParseError("Choose the product first: a dose in mL depends on its strength.")
        mcg = amount * strength_mcg_per_ml
        unit = "mL"
    elif key in _UNITS or unit_text in _UNITS:
        unit, factor = _UNITS.get(key) or _UNITS[unit_text]
        mcg = amount * factor
    else:
        raise DoseParseError(f"Unknown unit “{unit_text}”: use mcg, mg, g or mL.")
    if mcg != mcg.to_integral_value():
        raise DoseParseError(
            f"{format_amount(amount)} {unit} is not a whole number of micrograms "
            f"({format_amount(mcg)} mcg); check the dose."
        )
    return ParsedDose(mcg=int(mcg), unit=unit, amount=amount)


def check_dose(
    *,
    dose: ParsedDose,
    route: Route,
    product: ProductFacts,
    patient: PatientFacts,
    indication: Indication = Indication.DEFICIENCY,
    limits: DoseLimits = DoseLimits(),
) -> list[Problem]:
    """Every safety problem with a prescription, each tied to a field. Empty: all clear."""
    problems: list[Problem] = []
    name = product.generic_name

    if dose.mcg >= limits.probable_error_mcg:
        problems.append(
            Problem(
                "dose",
                "probable_unit_error",
                Severity.BLOCK,
                _unit_error(dose, name, limits.max_single_mcg),
            )
        )
    elif dose.mcg > limits.max_single_mcg:
        allowed = indication in HIGH_DOSE_INDICATIONS and not product.is_cyanocobalamin
        if allowed:
            problems.append(
                Problem(
                    "dose",
                    "above_max_single_dose",
                    Severity.NEEDS_REASON,
                    f"{format_mcg(dose.mcg)} is above the usual single dose of "
                    f"{format_mcg(limits.max_single_mcg)}; record why it is needed for this "
                    "indication.",
                )
            )
        else:
            problems.append(
                Problem(
                    "dose",
                    "above_max_single_dose",
                    Severity.BLOCK,
                    f"{format_mcg(dose.mcg)} is more than the {format_mcg(limits.max_single_mcg)} "
                    "single dose used for B12 deficiency. Higher doses are only for Leber's optic "
                    "atrophy or tobacco amblyopia with hydroxocobalamin.",
                )
            )

    volume = Decimal(dose.mcg) / product.strength_mcg_per_ml
    if volume > limits.max_volume_ml and dose.mcg < limits.probable_error_mcg:
        problems.append(
            Problem(
                "dose",
                "volume_above_limit",
                Severity.WARN,
                f"That is {format_amount(volume.quantize(Decimal('0.01')))} mL of {name}: more "
                f"than the {format_amount(limits.max_volume_ml)} mL one injection site takes. "
                "Split it between sites.",
            )
        )

    usual_min = (limits.usual_min_mcg or {}).get(product.code)
    if usual_min is not None and dose.mcg < usual_min:
        problems.append(
            Problem(
                "dose",
                "below_usual_dose",
                Severity.WARN,
                f"{format_mcg(dose.mcg)} is below the usual {format_mcg(usual_min)} minimum "
                f"single dose of {name}.",
            )
        )

    if route is Route.IV:
        problems.append(
            Problem(
                "route",
                "intravenous",
                Severity.BLOCK,
                "Never give B12 intravenously for deficiency: most of the dose is lost in the "
                "urine. Use IM (or deep SC for cyanocobalamin).",
            )
        )
    elif route not in product.licensed_routes:
        licensed = " or ".join(sorted(r.value for r in product.licensed_routes))
        problems.append(
            Problem(
                "route",
                "route_outside_licence",
                Severity.NEEDS_REASON,
                f"{route.value} is outside the licence of {name} ({licensed} only): record the "
                "reason to prescribe it.",
            )
        )

    if product.is_cyanocobalamin and patient.cobalt_or_b12_sensitivity:
        problems.append(
            Problem(
                "product",
                "cobalt_sensitivity",
                Severity.BLOCK,
                "Cyanocobalamin is contraindicated: the patient has a recorded sensitivity to "
                "cobalt or vitamin B12.",
            )
        )
    if product.is_cyanocobalamin and patient.leber_optic_neuropathy:
        problems.append(
            Problem(
                "product",
                "leber_optic_neuropathy",
                Severity.BLOCK,
                "Cyanocobalamin must not be used in Leber's hereditary optic neuropathy; "
                "hydroxocobalamin is the licensed choice.",
            )
        )
    return problems


def _unit_error(dose: ParsedDose, name: str, usual_mcg: int) -> str:
    given = dose.display
    if dose.unit == "g" and dose.mcg >= 5_000_000:
        return (
            f"{given} is a probable product or unit error: grams of hydroxocobalamin is the "
            "cyanide antidote (Cyanokit), not a B12 deficiency dose. Did you mean mcg or mg?"
        )
    if dose.unit == "mg":
        return (
            f"{given} is {dose.mcg // usual_mcg:,} times the usual {format_mcg(usual_mcg)} dose: "
            f"a probable unit error. Did you mean {format_amount(dose.amount)} mcg?"
        )
    if dose.unit == "g":
        return (
            f"{given} is a probable unit error ({dose.mcg:,} mcg of {name}). Did you mean "
            f"{format_amount(dose.amount)} mg?"
        )
    return f"{given} ({dose.mcg:,} mcg) is a probable unit or product error; check the dose."


def blocking(problems: list[Problem], reasons: dict[str, str]) -> list[Problem]:
    """The problems that stop a save: blocks, and reason-needing ones with no reason given."""
    return [
        problem
        for problem in problems
        if problem.severity is Severity.BLOCK
        or (problem.severity is Severity.NEEDS_REASON and not reasons.get(problem.code, "").strip())
    ]
