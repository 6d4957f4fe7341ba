"""What the assessment reads and says: results, check-ins, the treatment, the rules' numbers,
and the verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ..interpret import fmt

NEURO_SYMPTOMS: dict[str, str] = {
    "numbness": "numbness or tingling",
    "weakness": "weakness",
    "balance": "balance or walking",
    "vision": "vision",
    "memory": "memory or concentration",
}
SYMPTOMS: dict[str, str] = {"fatigue": "tiredness", **NEURO_SYMPTOMS}
ANSWERS = ("none", "better", "same", "worse")


class Status(StrEnum):
    OK = "ok"
    CONCERN = "concern"
    PENDING = "pending"  # too early to judge
    MISSING = "missing"  # should have been measured by now
    NOT_APPLICABLE = "not_applicable"


class Course(StrEnum):
    RESPONDING = "responding"
    INADEQUATE = "inadequate"
    TOO_EARLY = "too_early"
    NOT_JUDGED = "not_judged"  # results missing
    IMPROVING = "improving"
    UNCHANGED = "unchanged"
    WORSENING = "worsening"
    NO_SYMPTOMS = "no_symptoms"


@dataclass(frozen=True)
class Result:
    ref: str
    test: str  # catalogue code
    on: date
    value: Decimal | None
    unit: str = ""
    low: Decimal | None = None
    high: Decimal | None = None
    qualitative: str = ""
    band: str = ""

    def text(self) -> str:
        if self.value is None:
            return self.qualitative
        shown = f"{fmt(self.value)} {self.unit}".strip()
        return f"{shown} ({self.band})" if self.band else shown

    @property
    def below(self) -> bool:
        return self.value is not None and self.low is not None and self.value < self.low

    @property
    def above(self) -> bool:
        return self.value is not None and self.high is not None and self.value > self.high


@dataclass(frozen=True)
class CheckIn:
    ref: str
    on: date
    answers: dict[str, str]  # symptom → none / better / same / worse


@dataclass(frozen=True)
class Treatment:
    start: date  # the plan's start
    dose_mcg: int
    route: str
    regimen: str  # its title, or "" for a custom plan
    regimen_dose_mcg: int | None
    cause: str  # plans.Cause value
    lifelong: bool
    first_injection: date | None  # of the course (`course_start`); None: none given yet


@dataclass(frozen=True)
class Rules:
    """Defaults from clinical-reference.md §4; a clinic could pass its own."""

    retic_from_day: int = 3
    retic_by_day: int = 10
    retic_latest_day: int = 14  # a late count still answers "did they rise?"
    retic_min_fold: Decimal = Decimal(2)  # or above the reference range: a real rise
    hb_rise_from_day: int = 14
    hb_rise_by_day: int = 28
    hb_rise_latest_day: int = 42
    rise_starts_day: int = 7  # haemoglobin starts to rise at the end of week 1
    normal_from_day: int = 49
    normal_by_day: int = 63
    # The slowest rise that is still a response (a default to review: the reference gives
    # the usual rise, about 10 g/L a week, not a lower limit).
    hb_min_weekly_rise: Decimal = Decimal(5)  # g/L a week
    mcv_min_weekly_fall: Decimal = Decimal(1)  # fL a week
    catch_up_weeks: int = 4
    trend_min_days: int = 14  # the rate is read over two weeks or more: a week is too noisy
    recheck_grace_days: int = 14
    neuro_review_day: int = 91
    potassium_days: int = 7
    course_gap_days: int = 183  # a longer break in injections starts a new course


@dataclass(frozen=True)
class Finding:
    status: Status
    text: str


@dataclass(frozen=True)
class Verdict:
    course: Course
    summary: str
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class Question:
    question: str
    answer: str
    status: Status


@dataclass(frozen=True)
class Urgent:
    key: str
    title: str
    detail: str


@dataclass(frozen=True)
class Assessment:
    day: int  # days since the start
    haematological: Verdict
    neurological: Verdict
    biochemical: Verdict
    questions: tuple[Question, ...] = ()
    urgent: tuple[Urgent, ...] = field(default_factory=tuple)

    @property
    def inadequate(self) -> bool:
        return self.haematological.course == Course.INADEQUATE


def day_of(treatment: Treatment, on: date) -> int:
    return (on - treatment.start).days


def baseline_of(treatment: Treatment, results: Sequence[Result], *tests: str) -> Result | None:
    before = [
        r for r in results if r.test in tests and r.on <= treatment.start and r.value is not None
    ]
    return before[-1] if before else None


def results_between(
    treatment: Treatment, results: Sequence[Result], tests: tuple[str, ...], first: int, last: int
) -> list[Result]:
    return [
        r
        for r in results
        if r.test in tests and r.value is not None and first <= day_of(treatment, r.on) <= last
    ]
