"""Nerve symptoms and the B12 markers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from .model import (
    NEURO_SYMPTOMS,
    SYMPTOMS,
    CheckIn,
    Course,
    Finding,
    Result,
    Rules,
    Status,
    Treatment,
    Verdict,
    baseline_of,
    day_of,
)


def neurological(
    treatment: Treatment, checkins: Sequence[CheckIn], today: date, rules: Rules
) -> Verdict:
    if not checkins:
        return Verdict(Course.NOT_JUDGED, "No symptom check-in recorded yet.")
    latest = checkins[-1]
    when = f"{latest.on:%-d %b %Y}"
    worse = [SYMPTOMS[s] for s in SYMPTOMS if latest.answers.get(s) == "worse"]
    same = [NEURO_SYMPTOMS[s] for s in NEURO_SYMPTOMS if latest.answers.get(s) == "same"]
    better = [SYMPTOMS[s] for s in SYMPTOMS if latest.answers.get(s) == "better"]
    findings = []
    if better:
        findings.append(Finding(Status.OK, f"Better: {', '.join(better)}."))
    if same:
        findings.append(Finding(Status.PENDING, f"Unchanged: {', '.join(same)}."))
    if worse:
        findings.append(Finding(Status.CONCERN, f"Worse: {', '.join(worse)}."))
    neuro_worse = [NEURO_SYMPTOMS[s] for s in NEURO_SYMPTOMS if latest.answers.get(s) == "worse"]
    if neuro_worse:
        return Verdict(
            Course.WORSENING,
            f"Nerve symptoms worse on {when}: same-day review.",
            tuple(findings),
        )
    if same and day_of(treatment, latest.on) >= rules.neuro_review_day:
        return Verdict(
            Course.UNCHANGED,
            "Nerve symptoms unchanged at 3 months: recovery is slower and may be incomplete; "
            "review at the symptom review.",
            tuple(findings),
        )
    if same:
        return Verdict(
            Course.UNCHANGED,
            "Nerve symptoms unchanged so far: they improve more slowly than the blood count.",
            tuple(findings),
        )
    if better:
        return Verdict(Course.IMPROVING, f"Improving ({when}).", tuple(findings))
    return Verdict(Course.NO_SYMPTOMS, f"No nerve symptoms reported ({when}).", tuple(findings))


BIOCHEMICAL: dict[str, str] = {
    "mma": "Methylmalonic acid",
    "homocysteine": "Homocysteine",
    "b12": "Serum B12",
    "active_b12": "Active B12",
}
NOT_FALLING_HINT = {
    "mma": "also raised in renal impairment",
    "homocysteine": "also raised in folate or B6 deficiency and renal impairment",
    "b12": "check doses were given and when the sample was taken",
    "active_b12": "check doses were given and when the sample was taken",
}


def biochemical(treatment: Treatment, results: Sequence[Result]) -> Verdict:
    findings: list[Finding] = []
    for test, name in BIOCHEMICAL.items():
        after = [r for r in results if r.test == test and r.value is not None]
        after = [r for r in after if day_of(treatment, r.on) >= 7]
        if not after:
            continue
        latest = after[-1]
        base = baseline_of(treatment, results, test)
        rising_is_good = test in ("b12", "active_b12")
        normal = not (latest.above if not rising_is_good else latest.below)
        assert latest.value is not None
        improved = (
            base is not None
            and base.value is not None
            and (latest.value > base.value if rising_is_good else latest.value < base.value)
        )
        since = f" (baseline {base.text()})" if base else ""
        if normal:
            findings.append(Finding(Status.OK, f"{name} {latest.text()}: normal{since}."))
        elif improved:
            findings.append(
                Finding(Status.OK, f"{name} {latest.text()}: improving but not normal{since}.")
            )
        else:
            findings.append(
                Finding(
                    Status.CONCERN,
                    f"{name} {latest.text()}: not improving{since}; {NOT_FALLING_HINT[test]}.",
                )
            )
    if not findings:
        return Verdict(Course.NOT_JUDGED, "No B12 markers measured since treatment started.")
    if any(f.status == Status.CONCERN for f in findings):
        return Verdict(Course.INADEQUATE, "B12 markers not improving.", tuple(findings))
    return Verdict(Course.RESPONDING, "B12 markers improving.", tuple(findings))
