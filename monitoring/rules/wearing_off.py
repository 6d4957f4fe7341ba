"""Symptoms that come back before the next maintenance injection is due: the complaint patients
with pernicious anaemia raise most. NICE NG239 advises considering more frequent injections
when symptoms are not sufficiently improved. Pure: no Django."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

# Two intervals in a row: one bad month can be anything; two is a pattern worth a review.
IN_A_ROW = 2


@dataclass(frozen=True)
class Interval:
    """The time before one maintenance dose, and what the patient said of it: True (the
    symptoms came back before it was due), False (they did not), None (not asked)."""

    dose_id: str
    due: date
    came_back: bool | None


def intervals(doses: Sequence[tuple[str, date]], answers: Mapping[str, bool]) -> list[Interval]:
    """The maintenance doses in date order, each with the patient's answer about the weeks
    before it."""
    ordered = sorted(doses, key=lambda dose: (dose[1], dose[0]))
    return [Interval(dose_id, due, answers.get(dose_id)) for dose_id, due in ordered]


def comes_back(found: Sequence[Interval], *, in_a_row: int = IN_A_ROW) -> list[Interval] | None:
    """The latest run of `in_a_row` consecutive intervals answered yes, or None. An interval
    not asked breaks the run: the pattern must be seen, not assumed."""
    run: list[Interval] = []
    latest: list[Interval] | None = None
    for interval in found:
        if interval.came_back:
            run.append(interval)
            if len(run) >= in_a_row:
                latest = run[-in_a_row:]
        else:
            run = []
    return latest
