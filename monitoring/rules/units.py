"""Laboratory units. Pure: no Django.

Each test is stored in one canonical unit; a laboratory may report in another. A unit's factor
turns a value in that unit into the canonical unit (canonical = value × factor). The value as
entered is kept beside the canonical one, so a conversion never loses what the laboratory sent.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal

# Canonical values keep six decimal places: enough for any entered value with three decimal
# places multiplied by any factor below with three significant decimals.
CANONICAL_PLACES = Decimal("0.000001")


class UnknownUnit(ValueError):
    pass


def unit_key(unit: str) -> str:
    """How units are matched: case, spaces and the micro sign do not matter ("umol/l" is
    "µmol/L")."""
    text = unicodedata.normalize("NFKC", unit).strip().lower().replace(" ", "")
    return text.replace("μ", "u").replace("µ", "u").replace("mcg", "ug")


def find_unit(unit: str, units: Mapping[str, Decimal]) -> str:
    """The catalogue's spelling of `unit`, or UnknownUnit."""
    wanted = unit_key(unit)
    for known in units:
        if unit_key(known) == wanted:
            return known
    raise UnknownUnit(unit)


def to_canonical(value: Decimal, factor: Decimal) -> Decimal:
    return (value * factor).quantize(CANONICAL_PLACES, rounding=ROUND_HALF_EVEN)


def from_canonical(value: Decimal, factor: Decimal, *, places: int = 3) -> Decimal:
    exponent = Decimal(1).scaleb(-places)
    return (value / factor).quantize(exponent, rounding=ROUND_HALF_EVEN)


def convert(value: Decimal, *, unit: str, to: str, units: Mapping[str, Decimal]) -> Decimal:
    """`value` in `unit` expressed in `to`, both among `units` (unit → factor to canonical)."""
    source, target = units[find_unit(unit, units)], units[find_unit(to, units)]
    return from_canonical(to_canonical(value, source), target, places=6).normalize()
