"""Planned rechecks from the plan start (clinical-reference.md §4). Pure: no Django.

Each recheck has a window; a result for each of its tests collected inside the window completes
it (a symptom review is completed by a check-in). Days count from the plan start, day 0.

A first-course recheck also has a day after which its purpose has passed (the reticulocyte
rise is over by day 14; a year into maintenance, the 8-week count tells nothing new): a
pending one is then lapsed, with that reason, and drops off every list and document, while
its row stays in the history. The days are defaults, like every number here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from .catalogue import TESTS

SERUM_B12_CAVEAT = (
    "UK guidance advises against retesting serum B12 routinely once injections have started: "
    "judge the response on the blood count and symptoms. Offered because this clinic checks "
    "repletion."
)
IFAB_CAVEAT = (
    "Draw the intrinsic factor antibody before the first injection, not within 2 weeks of one."
)


class Kind(StrEnum):
    BASELINE = "baseline"
    POTASSIUM = "potassium_48h"
    RETICULOCYTES = "retics_day7"
    BLOOD_COUNT_8W = "fbc_8w"
    SYMPTOM_REVIEW = "symptom_review_3m"
    YEARLY_BLOOD_COUNT = "fbc_yearly"
    SERUM_B12 = "serum_b12"
    OTHER = "other"


class State(StrEnum):
    PENDING = "pending"
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"


@dataclass(frozen=True)
class Rule:
    kind: Kind
    title: str
    tests: tuple[str, ...]  # catalogue codes; empty for a symptom review
    purpose: str
    opens: int  # days from the start
    due: int
    closes: int
    caveat: str = ""
    lapses: int | None = None  # days from the start after which its purpose has passed
    why_it_lapses: str = ""


BASELINE = Rule(
    Kind.BASELINE,
    "Baseline bloods",
    ("hb", "mcv", "retic_pct", "b12", "folate", "ferritin", "ifab"),
    "Before the first dose: blood count, reticulocytes, B12, folate, iron stores, and the "
    "intrinsic factor antibody (before any injection).",
    opens=-60,
    due=0,
    closes=0,
    caveat=IFAB_CAVEAT,
    lapses=28,
    why_it_lapses="four weeks into treatment, results no longer show where the patient started",
)
POTASSIUM = Rule(
    Kind.POTASSIUM,
    "Potassium within 48 hours",
    ("potassium",),
    "Severe anaemia at baseline: potassium can fall as new red cells are made.",
    opens=0,
    due=2,
    closes=2,
    lapses=7,
    why_it_lapses="the first days, when potassium can fall, are over",
)
RETICULOCYTES = Rule(
    Kind.RETICULOCYTES,
    "Reticulocytes at day 7–10",
    ("retic_pct",),
    "Reticulocytes should rise, peaking about day 5–7: the first sign of response.",
    opens=7,
    due=10,
    closes=10,
    lapses=14,
    why_it_lapses="the early reticulocyte rise is over; the blood count shows the response now",
)
BLOOD_COUNT_8W = Rule(
    Kind.BLOOD_COUNT_8W,
    "Blood count and reticulocytes at 8 weeks",
    ("hb", "mcv", "retic_pct"),
    "Haemoglobin and MCV should be normal by about 8 weeks.",
    opens=49,
    due=56,
    closes=70,
    lapses=120,
    why_it_lapses="four months in, the first-course count is past; later counts follow on",
)
SYMPTOM_REVIEW = Rule(
    Kind.SYMPTOM_REVIEW,
    "Symptom review at 3 months",
    (),
    "Review tiredness and nerve symptoms (NG239); refer if haemoglobin has not risen.",
    opens=77,
    due=91,
    closes=105,
    lapses=183,
    why_it_lapses="six months in, the first-course review is past; symptoms are asked about "
    "at each visit",
)
YEARLY_BLOOD_COUNT = Rule(
    Kind.YEARLY_BLOOD_COUNT,
    "Yearly blood count",
    ("hb", "mcv"),
    "Maintenance: a yearly blood count.",
    opens=335,
    due=365,
    closes=395,
)
SERUM_B12 = Rule(
    Kind.SERUM_B12,
    "Serum B12 recheck",
    ("b12",),
    "Serum B12 to confirm repletion (this clinic's choice).",
    opens=49,
    due=56,
    closes=70,
    caveat=SERUM_B12_CAVEAT,
    lapses=120,
    why_it_lapses="four months in, a first-course level is past its use",
)

# The first course, counted from the first injection (the baseline is before it, and the
# yearly count belongs to maintenance).
AFTER_FIRST_INJECTION = frozenset(
    {Kind.POTASSIUM, Kind.RETICULOCYTES, Kind.BLOOD_COUNT_8W, Kind.SYMPTOM_REVIEW, Kind.SERUM_B12}
)

RULES: dict[Kind, Rule] = {
    rule.kind: rule
    for rule in (
        BASELINE,
        POTASSIUM,
        RETICULOCYTES,
        BLOOD_COUNT_8W,
        SYMPTOM_REVIEW,
        YEARLY_BLOOD_COUNT,
        SERUM_B12,
    )
}


@dataclass(frozen=True)
class Planned:
    rule: Rule
    opens: date
    due: date
    closes: date
    lapses_on: date | None = None


def place(rule: Rule, anchor: date) -> Planned:
    return Planned(
        rule=rule,
        opens=anchor + timedelta(days=rule.opens),
        due=anchor + timedelta(days=rule.due),
        closes=anchor + timedelta(days=rule.closes),
        lapses_on=anchor + timedelta(days=rule.lapses) if rule.lapses is not None else None,
    )


def default_rechecks(*, start: date, serum_b12: bool, maintenance: bool) -> list[Planned]:
    """The rechecks a new plan gets. Potassium is added later, when a baseline haemoglobin
    shows severe anaemia (`needs_potassium`)."""
    rules = [BASELINE, RETICULOCYTES, BLOOD_COUNT_8W, SYMPTOM_REVIEW]
    if serum_b12:
        rules.append(SERUM_B12)
    if maintenance:
        rules.append(YEARLY_BLOOD_COUNT)
    return [place(rule, start) for rule in rules]


def next_yearly(*, done_on: date) -> Planned:
    """The next yearly blood count, a year after the last one was done."""
    return place(YEARLY_BLOOD_COUNT, done_on)


def needs_potassium(*, hb_g_per_l: float, collected: date, start: date, severe_below: int) -> bool:
    """A baseline haemoglobin (before or on the start day) showing severe anaemia."""
    return collected <= start and hb_g_per_l < severe_below


def state(
    *, status: str, opens: date, closes: date, today: date, lapses_on: date | None = None
) -> State:
    """The stored status is pending / done / cancelled / lapsed; due and overdue follow from
    the date, and a pending recheck is lapsed from the day after its lapse date, whether or
    not the nightly run has recorded it yet."""
    if status in (State.DONE, State.CANCELLED, State.LAPSED):
        return State(status)
    if lapses_on is not None and today > lapses_on:
        return State.LAPSED
    if today > closes:
        return State.OVERDUE
    if today >= opens:
        return State.DUE
    return State.PENDING


def completes(
    *, tests: tuple[str, ...], opens: date, closes: date, results: list[tuple[str, date]]
) -> bool:
    """Whether results (test code, collected date) cover every test inside the window."""
    inside = {code for code, collected in results if opens <= collected <= closes}
    return bool(tests) and set(tests) <= inside


def lapse_reason(*, closes: date, kind: str) -> str:
    rule = next((rule for rule in RULES.values() if rule.kind == kind), None)
    why = (rule.why_it_lapses if rule is not None else "") or "its purpose has passed"
    return f"Lapsed: the window closed on {closes:%-d %b %Y} and {why}."


def waiting_for(
    *, tests: tuple[str, ...], opens: date, closes: date, results: list[tuple[str, date]]
) -> tuple[str, ...]:
    """The tests of a recheck with no result collected inside its window, in its order."""
    inside = {code for code, collected in results if opens <= collected <= closes}
    return tuple(code for code in tests if code not in inside)


def test_names(codes: tuple[str, ...] | list[str]) -> str:
    """'intrinsic factor antibody', 'folate and ferritin': catalogue names in a sentence."""
    names = {test.code: test.name for test in TESTS}
    words = [_lower_first(names.get(code, code)) for code in codes]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _lower_first(name: str) -> str:
    """'Intrinsic factor antibody' -> 'intrinsic factor antibody'; 'MCV' stays 'MCV'."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]
