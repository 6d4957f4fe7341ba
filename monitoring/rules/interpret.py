"""What a laboratory value means: plausibility, flag, interpretation band. Pure: no Django."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .catalogue import Band
from .units import to_canonical


class Flag(StrEnum):
    NORMAL = "normal"
    LOW = "low"
    HIGH = "high"
    CRITICAL_LOW = "critical_low"
    CRITICAL_HIGH = "critical_high"
    POSITIVE = "positive"
    NEGATIVE = "negative"
    EQUIVOCAL = "equivocal"

    @property
    def abnormal(self) -> bool:
        return self not in (Flag.NORMAL, Flag.NEGATIVE)

    @property
    def critical(self) -> bool:
        return self in (Flag.CRITICAL_LOW, Flag.CRITICAL_HIGH)


@dataclass(frozen=True)
class Limits:
    """What one test's value is judged against, in its canonical unit."""

    unit: str
    units: Mapping[str, Decimal]
    low: Decimal | None = None
    high: Decimal | None = None
    critical_low: Decimal | None = None
    critical_high: Decimal | None = None
    plausible_low: Decimal | None = None
    plausible_high: Decimal | None = None
    bands: Sequence[Band] = ()


def fmt(value: Decimal) -> str:
    """A value as a person writes it: no trailing zeros, no exponent."""
    text = f"{value.normalize():f}"
    return text


def span(low: Decimal | None, high: Decimal | None) -> str:
    if low is not None and high is not None:
        return f"{fmt(low)}–{fmt(high)}"
    if low is not None:
        return f"≥ {fmt(low)}"
    if high is not None:
        return f"≤ {fmt(high)}"
    return ""


def implausible(value: Decimal, *, entered_unit: str, canonical: Decimal, limits: Limits) -> str:
    """Why the value cannot be right (empty when it can): outside the plausible limits, with
    the unit it would make sense in when there is one."""
    low, high = limits.plausible_low, limits.plausible_high
    if (low is None or canonical >= low) and (high is None or canonical <= high):
        return ""
    message = f"outside {span(low, high)} {limits.unit}".rstrip()
    for unit, factor in limits.units.items():
        if unit == entered_unit:
            continue
        other = to_canonical(value, factor)
        if (low is None or other >= low) and (high is None or other <= high):
            return (
                f"{message}; was this entered in the wrong unit? {fmt(value)} {unit} would be "
                f"{fmt(other)} {limits.unit}."
            )
    return f"{message}; was this entered in the wrong unit?"


def flag(canonical: Decimal, limits: Limits) -> Flag:
    if limits.critical_low is not None and canonical < limits.critical_low:
        return Flag.CRITICAL_LOW
    if limits.critical_high is not None and canonical > limits.critical_high:
        return Flag.CRITICAL_HIGH
    if limits.low is not None and canonical < limits.low:
        return Flag.LOW
    if limits.high is not None and canonical > limits.high:
        return Flag.HIGH
    return Flag.NORMAL


def band(canonical: Decimal, bands: Sequence[Band]) -> str:
    for candidate in bands:
        if candidate.holds(canonical):
            return candidate.label
    return ""


@dataclass(frozen=True)
class RangeRow:
    clinic_specific: bool
    sex: str  # "" for anyone
    low: Decimal | None
    high: Decimal | None


def pick_range(rows: Sequence[RangeRow], *, sex: str) -> tuple[Decimal | None, Decimal | None]:
    """The clinic's own range before the default; within each, the patient's sex before
    "anyone". A patient whose sex is not recorded gets the span of the sex-specific ranges, so a
    value is flagged only when it is abnormal for either sex."""
    for clinic_specific in (True, False):
        tier = [row for row in rows if row.clinic_specific == clinic_specific]
        for wanted in (sex, ""):
            for row in tier:
                if row.sex == wanted:
                    return row.low, row.high
        if tier:
            lows = [row.low for row in tier]
            highs = [row.high for row in tier]
            low = None if any(v is None for v in lows) else min(v for v in lows if v is not None)
            high = None if any(v is None for v in highs) else max(v for v in highs if v is not None)
            return low, high
    return None, None
