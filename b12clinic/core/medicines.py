"""Medicines as every part of the clinic names them: routes and amounts. Pure: no Django."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class Route(StrEnum):
    IM = "IM"
    SC = "SC"  # deep subcutaneous
    IV = "IV"


ROUTE_LABELS = {
    Route.IM: "Intramuscular (IM)",
    Route.SC: "Deep subcutaneous (SC)",
    Route.IV: "Intravenous (IV)",
}


def format_amount(amount: Decimal) -> str:
    return format(amount.normalize(), "f")


def format_dose(amount: Decimal, unit: str) -> str:
    """An amount in the unit it was prescribed in: '1 mg', '0.5 mL'."""
    return f"{format_amount(amount)} {unit}"


def format_mcg(mcg: int) -> str:
    """1000 -> '1 mg', 250 -> '250 mcg', 1500 -> '1.5 mg', 1001 -> '1001 mcg' (never a
    three-decimal milligram figure, which could be read as thousands)."""
    if mcg >= 1000 and mcg % 10 == 0:
        return f"{format_amount(Decimal(mcg) / 1000)} mg"
    return f"{mcg} mcg"
