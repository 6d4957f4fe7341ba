"""The four questions asked of an inadequate response (clinical-reference.md §4): dose,
adherence, diagnosis, ongoing cause."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from plans.rules.adherence import Adherence

from ..interpret import fmt
from .model import (
    Question,
    Result,
    Status,
    Treatment,
)


def four_questions(
    treatment: Treatment, results: Sequence[Result], adherence: Adherence
) -> tuple[Question, ...]:
    return (
        _dose_question(treatment),
        _adherence_question(adherence),
        _diagnosis_question(treatment, results),
        _cause_question(treatment, results),
    )


def _dose_question(treatment: Treatment) -> Question:
    asked = "Was the dose adequate?"
    given = f"{treatment.dose_mcg} micrograms {treatment.route}"
    if treatment.regimen_dose_mcg is None:
        return Question(
            asked,
            f"Custom plan: {given}. Compare it with a standard regimen (1000 micrograms).",
            Status.MISSING,
        )
    if treatment.dose_mcg < treatment.regimen_dose_mcg:
        return Question(
            asked,
            f"No: {given} is below the {treatment.regimen_dose_mcg} micrograms of the "
            f"regimen “{treatment.regimen}”.",
            Status.CONCERN,
        )
    return Question(
        asked,
        f"Yes: {given}, the dose of the regimen “{treatment.regimen}”.",
        Status.OK,
    )


def _adherence_question(adherence: Adherence) -> Question:
    asked = "Was adherence complete?"
    if adherence.due_so_far == 0:
        return Question(asked, "No doses were due yet.", Status.MISSING)
    parts = [
        f"{adherence.given} of {adherence.due_so_far} doses given",
        f"{adherence.on_time} on time",
    ]
    if adherence.late:
        parts.append(
            f"{adherence.late} late (median {fmt(Decimal(str(adherence.median_days_late)))} days)"
        )
    if adherence.missed:
        parts.append(f"{adherence.missed} not given")
    if adherence.overdue:
        parts.append(f"{adherence.overdue} overdue")
    summary = ", ".join(parts)
    if adherence.complete:
        return Question(asked, f"Yes: {summary}.", Status.OK)
    return Question(asked, f"No: {summary}.", Status.CONCERN)


DIAGNOSIS_TESTS = (
    ("b12", "serum B12"),
    ("active_b12", "active B12"),
    ("mma", "MMA"),
    ("homocysteine", "homocysteine"),
    ("folate", "folate"),
    ("ferritin", "ferritin"),
    ("ifab", "intrinsic factor antibody"),
)


def _diagnosis_question(treatment: Treatment, results: Sequence[Result]) -> Question:
    asked = "Was the diagnosis right?"
    at_start = {
        code: [r for r in results if r.test == code and r.on <= treatment.start]
        for code, _ in DIAGNOSIS_TESTS
    }
    latest = {code: found[-1] for code, found in at_start.items() if found}
    shown = [f"{name} {latest[code].text()}" for code, name in DIAGNOSIS_TESTS if code in latest]
    problems = []
    b12_low = any(
        code in latest and (latest[code].below or latest[code].band == "deficient")
        for code in ("b12", "active_b12")
    )
    marker_high = any(code in latest and latest[code].above for code in ("mma", "homocysteine"))
    if not (b12_low or marker_high) and any(
        code in latest for code in ("b12", "active_b12", "mma", "homocysteine")
    ):
        problems.append("B12 deficiency is not confirmed by the baseline results")
    if "folate" in latest and latest["folate"].below:
        problems.append("folate is low: folate deficiency also causes this anaemia")
    if "ferritin" in latest and latest["ferritin"].below:
        problems.append("ferritin is low: iron deficiency can hold back the response")
    missing = [name for code, name in DIAGNOSIS_TESTS[:6] if code not in latest]
    missing = [name for name in missing if name in ("serum B12", "folate", "ferritin")]
    consider = "Also consider hypothyroidism, infection and myelodysplasia."
    measured = f"Baseline: {'; '.join(shown)}." if shown else "No baseline results recorded."
    not_measured = f" Not measured: {', '.join(missing)}." if missing else ""
    if problems:
        return Question(
            asked,
            f"In doubt: {'; '.join(problems)}. {measured}{not_measured} {consider}",
            Status.CONCERN,
        )
    if missing:
        return Question(asked, f"{measured}{not_measured} {consider}", Status.MISSING)
    return Question(asked, f"Supported. {measured} {consider}", Status.OK)


CAUSES: dict[str, tuple[str, Status]] = {
    "pernicious_anaemia": (
        "Pernicious anaemia continues for life; injections bypass it, so it does not explain "
        "a poor response to injections.",
        Status.OK,
    ),
    "malabsorption": (
        "Malabsorption continues; injections bypass the gut, so look for another cause.",
        Status.OK,
    ),
    "dietary": (
        "Dietary: injections bypass the diet; check the diet is being corrected for later.",
        Status.OK,
    ),
    "medication": (
        "Medication: is the patient still taking metformin, a PPI/H2 blocker, colchicine or "
        "topiramate? Review it.",
        Status.MISSING,
    ),
    "nitrous_oxide": (
        "Nitrous oxide: ask about continued use, which inactivates B12 whatever the dose; "
        "homocysteine is the useful test.",
        Status.CONCERN,
    ),
    "other": ("Another cause was recorded: review whether it continues.", Status.MISSING),
    "unknown": ("The cause is not yet known: look for one.", Status.MISSING),
}


def _cause_question(treatment: Treatment, results: Sequence[Result]) -> Question:
    answer, status = CAUSES.get(treatment.cause, CAUSES["unknown"])
    if treatment.cause == "nitrous_oxide":
        hcy = [r for r in results if r.test == "homocysteine"]
        if hcy:
            answer += f" Latest homocysteine {hcy[-1].text()} on {hcy[-1].on:%-d %b %Y}."
    ifab = [r for r in results if r.test == "ifab" and r.qualitative]
    if ifab:
        answer += f" Intrinsic factor antibody {ifab[-1].qualitative}."
    return Question("Is the cause ongoing?", answer, status)
