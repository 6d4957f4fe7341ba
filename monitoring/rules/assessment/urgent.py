"""What needs a clinician today: low potassium early in treatment, worse nerve symptoms."""

from __future__ import annotations

from collections.abc import Sequence

from .model import (
    NEURO_SYMPTOMS,
    CheckIn,
    Result,
    Rules,
    Treatment,
    Urgent,
    day_of,
)


def urgent(
    treatment: Treatment,
    results: Sequence[Result],
    checkins: Sequence[CheckIn],
    rules: Rules,
) -> list[Urgent]:
    found = []
    for result in results:
        if result.test != "potassium" or result.value is None or not result.below:
            continue
        day = day_of(treatment, result.on)
        if 0 <= day <= rules.potassium_days:
            found.append(
                Urgent(
                    key=f"potassium-low:{result.ref}",
                    title=f"Low potassium {result.text()} on day {day} of treatment",
                    detail="Potassium can fall in the first days as new red cells are made. "
                    "Review today and consider replacement.",
                )
            )
    for checkin in checkins:
        worse = [NEURO_SYMPTOMS[s] for s in NEURO_SYMPTOMS if checkin.answers.get(s) == "worse"]
        if worse:
            found.append(
                Urgent(
                    key=f"neuro-worse:{checkin.ref}",
                    title=f"Nerve symptoms worse: {', '.join(worse)}",
                    detail=f"Reported on {checkin.on:%-d %b %Y}. New or worsening numbness, "
                    "weakness, balance, vision or memory problems need same-day review.",
                )
            )
    return found
