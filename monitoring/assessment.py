"""Is the patient responding to treatment? Pure: no Django; the caller passes the results,
check-ins, adherence and "today" (clinical-reference.md §4).

The response is counted from the first injection of the current course of treatment
(`course_start`: across the patient's plans, a break of more than six months starting a new
course), not from the date a plan was written: a first dose given weeks late moves every day
below with it, a plan paused and prescribed again does not restart it, and nothing is judged
before the first injection. The blood count is judged on its trajectory, in three steps
(every number is a default in `Rules`):

1. Reticulocyte peak. The highest count between day 3 and day 14 has at least doubled from
   baseline, or is above the range. Checked only when the patient was anaemic at baseline.
   With no baseline count, one below the range shows no rise, and one within it cannot be
   judged either way.
2. Rise per week. From the end of week 1 haemoglobin rises at least `hb_min_weekly_rise` g/L
   a week (about half the usual 10) until it is normal: a count in weeks 2–6 is at least that
   much above baseline for each week since day 7, or already in range. When no count was taken
   in weeks 2–6, a later one answers the same question.
3. Normal by about 8 weeks. From day 49 the latest haemoglobin and MCV are in range, or they
   are still on track: short of the range, moving towards it at least `hb_min_weekly_rise`
   g/L (MCV `mcv_min_weekly_fall` fL) a week, measured over the last two weeks or more, and at
   that rate in range within `catch_up_weeks`. On track is not a failure: the verdict stays
   "responding so far" and names the date to recheck. A count that has stopped moving, or is
   so far short that it would take longer, is. When that recheck date has passed by
   `recheck_grace_days` with no new count, the response cannot be judged until it is taken.

An inadequate response is answered with the four questions of §4, each from the data: dose,
adherence, diagnosis, ongoing cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum

from plans.adherence import Adherence

from .interpret import fmt

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


def assess(
    *,
    treatment: Treatment,
    results: Sequence[Result],
    checkins: Sequence[CheckIn],
    adherence: Adherence,
    today: date,
    rules: Rules = Rules(),
) -> Assessment:
    if treatment.first_injection is None:
        return _before_the_first_injection(treatment, checkins, today, rules)
    # The body answers the first injection, not the date the plan was written: days count
    # from it, and whatever was measured up to that day is the baseline.
    treatment = replace(treatment, start=treatment.first_injection)
    ordered = sorted(results, key=lambda r: (r.on, r.ref))
    haem = _haematological(treatment, ordered, today, rules)
    neuro = _neurological(treatment, sorted(checkins, key=lambda c: (c.on, c.ref)), today, rules)
    bio = _biochemical(treatment, ordered)
    questions = (
        _questions(treatment, ordered, adherence) if haem.course == Course.INADEQUATE else ()
    )
    return Assessment(
        day=(today - treatment.start).days,
        haematological=haem,
        neurological=neuro,
        biochemical=bio,
        questions=questions,
        urgent=tuple(_urgent(treatment, ordered, checkins, rules)),
    )


def course_start(injections: Sequence[date], *, gap_days: int) -> date | None:
    """The first injection of the current course of treatment: the latest run of injections
    with no break longer than `gap_days` between them, across the patient's plans. A plan
    paused and prescribed again continues the course (the body does not start its response
    again); after a long break, deficiency may have returned, and a new course starts."""
    ordered = sorted(set(injections))
    if not ordered:
        return None
    start = ordered[-1]
    for earlier in reversed(ordered[:-1]):
        if (start - earlier).days > gap_days:
            break
        start = earlier
    return start


def _before_the_first_injection(
    treatment: Treatment, checkins: Sequence[CheckIn], today: date, rules: Rules
) -> Assessment:
    """Nothing to judge yet; worse nerve symptoms are urgent all the same."""
    waiting = "No injection given yet: the response is judged from the first one."
    return Assessment(
        day=(today - treatment.start).days,
        haematological=Verdict(Course.TOO_EARLY, waiting),
        neurological=Verdict(Course.NOT_JUDGED, waiting),
        biochemical=Verdict(Course.NOT_JUDGED, waiting),
        urgent=tuple(_urgent(treatment, (), checkins, rules)),
    )


def _day(treatment: Treatment, on: date) -> int:
    return (on - treatment.start).days


def _baseline(treatment: Treatment, results: Sequence[Result], *tests: str) -> Result | None:
    before = [
        r for r in results if r.test in tests and r.on <= treatment.start and r.value is not None
    ]
    return before[-1] if before else None


def _between(
    treatment: Treatment, results: Sequence[Result], tests: tuple[str, ...], first: int, last: int
) -> list[Result]:
    return [
        r
        for r in results
        if r.test in tests and r.value is not None and first <= _day(treatment, r.on) <= last
    ]


def _retics(treatment: Treatment, results: Sequence[Result], today: int, rules: Rules) -> Finding:
    hb = _baseline(treatment, results, "hb")
    if hb is not None and not hb.below:
        # The reference rechecks reticulocytes when haemoglobin and reticulocytes were low.
        return Finding(
            Status.NOT_APPLICABLE, "Not anaemic at baseline: no reticulocyte rise is expected."
        )
    for tests in (("retic_pct",), ("retic_abs",)):
        after = _between(treatment, results, tests, rules.retic_from_day, rules.retic_latest_day)
        if not after:
            continue
        latest = max(after, key=lambda r: r.value or 0)
        assert latest.value is not None
        base = _baseline(treatment, results, *tests)
        when = f"day {_day(treatment, latest.on)}"
        if latest.above or (
            base is not None
            and base.value is not None
            and latest.value >= base.value * rules.retic_min_fold
        ):
            since = f"from {base.text()} " if base is not None else ""
            return Finding(Status.OK, f"Reticulocytes rose {since}to {latest.text()} by {when}.")
        if base is not None:
            return Finding(
                Status.CONCERN,
                f"Reticulocytes did not rise: {base.text()} at baseline, {latest.text()} on "
                f"{when}.",
            )
        if latest.below:
            return Finding(
                Status.CONCERN,
                f"Reticulocytes {latest.text()} on {when}: not raised (below the range; no "
                "baseline count).",
            )
        # In range with nothing to compare it with: no rise shown, and no failure either.
        return Finding(
            Status.MISSING,
            f"Reticulocytes {latest.text()} on {when}, within the range: with no baseline "
            "count a rise cannot be judged.",
        )
    if today <= rules.retic_latest_day:
        return Finding(
            Status.PENDING,
            f"Reticulocytes should rise by day {rules.retic_by_day}: check at day 7–"
            f"{rules.retic_by_day}.",
        )
    return Finding(
        Status.MISSING,
        f"No reticulocyte count between day {rules.retic_from_day} and "
        f"{rules.retic_latest_day}: the early response cannot be judged.",
    )


def _hb_rise(treatment: Treatment, results: Sequence[Result], today: int, rules: Rules) -> Finding:
    base = _baseline(treatment, results, "hb")
    if base is None:
        return Finding(Status.MISSING, "No baseline haemoglobin: a rise cannot be judged.")
    assert base.value is not None
    if not base.below:
        return Finding(
            Status.NOT_APPLICABLE, f"Not anaemic at baseline (haemoglobin {base.text()})."
        )
    after = _between(treatment, results, ("hb",), rules.hb_rise_from_day, rules.hb_rise_latest_day)
    if not after:
        # A later count answers "did it rise?" too, when none was taken in weeks 2-6.
        after = _between(treatment, results, ("hb",), rules.hb_rise_latest_day + 1, 10**6)[:1]
    if after:
        latest = after[-1]
        assert latest.value is not None
        rise = latest.value - base.value
        day = _day(treatment, latest.on)
        weeks = max(Decimal(day - rules.rise_starts_day) / 7, Decimal(1))
        expected = (rules.hb_min_weekly_rise * weeks).quantize(Decimal(1), rounding=ROUND_DOWN)
        if rise >= expected or (rise > 0 and not latest.below):
            return Finding(
                Status.OK, f"Haemoglobin rose from {base.text()} to {latest.text()} by day {day}."
            )
        return Finding(
            Status.CONCERN,
            f"Haemoglobin {latest.text()} on day {day}: up {fmt(rise)} from {base.text()}, "
            f"less than the {fmt(expected)} expected by then "
            f"({fmt(rules.hb_min_weekly_rise)} g/L a week from the end of week 1).",
        )
    if today < rules.hb_rise_latest_day:
        return Finding(
            Status.PENDING,
            f"Haemoglobin should rise by weeks {rules.hb_rise_from_day // 7}–"
            f"{rules.hb_rise_by_day // 7}.",
        )
    return Finding(
        Status.MISSING,
        f"No haemoglobin between weeks {rules.hb_rise_from_day // 7} and "
        f"{rules.hb_rise_latest_day // 7}.",
    )


@dataclass(frozen=True)
class Track:
    """Where a count short of its range is heading: its rate towards the range, a week's
    worth, and the date it would reach it at that rate."""

    per_week: Decimal
    weeks_left: Decimal
    reaches_on: date


def _towards_range(
    results: Sequence[Result], latest: Result, *, rising: bool, rules: Rules
) -> Track | None:
    """The rate towards the range over the last two weeks or more: from the latest earlier
    count at least `trend_min_days` before (the baseline, if no other). None without one."""
    assert latest.value is not None
    earlier = [
        r
        for r in results
        if r.test == latest.test
        and r.value is not None
        and (latest.on - r.on).days >= rules.trend_min_days
    ]
    if not earlier:
        return None
    start = earlier[-1]
    assert start.value is not None
    weeks = Decimal((latest.on - start.on).days) / 7
    moved = latest.value - start.value if rising else start.value - latest.value
    per_week = moved / weeks
    limit = latest.low if rising else latest.high
    assert limit is not None
    short = limit - latest.value if rising else latest.value - limit
    if per_week <= 0:
        return Track(per_week, Decimal("Infinity"), date.max)
    weeks_left = short / per_week
    days = int((weeks_left * 7).to_integral_value(rounding=ROUND_HALF_UP))
    return Track(per_week, weeks_left, latest.on + timedelta(days=days))


def _rate(value: Decimal) -> str:
    return fmt(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _normal_by_8_weeks(
    treatment: Treatment, results: Sequence[Result], today: int, rules: Rules
) -> Finding:
    later = _between(treatment, results, ("hb", "mcv"), rules.normal_from_day, 10**6)
    latest = [
        found[-1] for found in ([r for r in later if r.test == t] for t in ("hb", "mcv")) if found
    ]
    if not latest:
        if today <= rules.normal_by_day:
            return Finding(Status.PENDING, "Haemoglobin and MCV should be normal by about 8 weeks.")
        return Finding(
            Status.MISSING, "No blood count since week 7: check haemoglobin and MCV are normal."
        )
    failing: list[str] = []
    on_track: list[tuple[Result, Track, str]] = []
    for result in latest:
        name = "haemoglobin" if result.test == "hb" else "MCV"
        where = f"{name} {result.text()} on day {_day(treatment, result.on)}"
        # Short of the range on the side treatment corrects: Hb low, MCV high.
        rising = result.test == "hb"
        short = result.below if rising else result.above
        if not (result.below or result.above):
            continue
        if not short:
            failing.append(where)
            continue
        minimum = rules.hb_min_weekly_rise if rising else rules.mcv_min_weekly_fall
        unit = result.unit
        track = _towards_range(results, result, rising=rising, rules=rules)
        if track is None:
            failing.append(where)
        elif track.per_week < minimum:
            verb = "rising" if rising else "falling"
            failing.append(
                f"{where}, {verb} only {_rate(max(track.per_week, Decimal(0)))} {unit} a week"
            )
        elif track.weeks_left > rules.catch_up_weeks:
            weeks = fmt(track.weeks_left.to_integral_value(rounding=ROUND_HALF_UP))
            failing.append(
                f"{where}: at {_rate(track.per_week)} {unit} a week it would take {weeks} "
                "weeks more"
            )
        else:
            side = "under" if rising else "above"
            verb = "rising" if rising else "falling"
            on_track.append(
                (
                    result,
                    track,
                    f"{where} is just {side} the range and still {verb} "
                    f"{_rate(track.per_week)} {unit} a week",
                )
            )
    if failing:
        also = [text for _, _, text in on_track]
        return Finding(Status.CONCERN, f"Not normal by 8 weeks: {'; '.join(failing + also)}.")
    if on_track:
        expected = max(track.reaches_on for _, track, _ in on_track)
        words = "; ".join(text for _, _, text in on_track)
        words = words[0].upper() + words[1:]
        overdue = treatment.start + timedelta(days=today) > expected + timedelta(
            days=rules.recheck_grace_days
        )
        if overdue:
            return Finding(
                Status.MISSING,
                f"{words}, expected normal by about {expected:%-d %b %Y}: recheck haemoglobin "
                "and MCV.",
            )
        return Finding(
            Status.PENDING,
            f"{words}: expect it normal by about {expected:%-d %b %Y} (recheck then).",
        )
    shown = ", ".join(
        f"{'haemoglobin' if r.test == 'hb' else 'MCV'} {r.text()} on day {_day(treatment, r.on)}"
        for r in latest
    )
    return Finding(Status.OK, f"Normal by 8 weeks: {shown}.")


def _haematological(
    treatment: Treatment, results: Sequence[Result], today: date, rules: Rules
) -> Verdict:
    day = _day(treatment, today)
    findings = (
        _retics(treatment, results, day, rules),
        _hb_rise(treatment, results, day, rules),
        _normal_by_8_weeks(treatment, results, day, rules),
    )
    statuses = {f.status for f in findings}
    if Status.CONCERN in statuses:
        course, summary = Course.INADEQUATE, "Inadequate response: check the four questions."
    elif Status.MISSING in statuses:
        course, summary = Course.NOT_JUDGED, "Cannot be judged: results are missing."
    elif Status.OK in statuses and Status.PENDING not in statuses:
        course, summary = Course.RESPONDING, "Responding as expected."
    elif Status.OK in statuses:
        course, summary = Course.RESPONDING, "Responding so far."
    else:
        course, summary = Course.TOO_EARLY, "Too early to judge."
    return Verdict(course=course, summary=summary, findings=findings)


def _neurological(
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
    if same and _day(treatment, latest.on) >= rules.neuro_review_day:
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


def _biochemical(treatment: Treatment, results: Sequence[Result]) -> Verdict:
    findings: list[Finding] = []
    for test, name in BIOCHEMICAL.items():
        after = [r for r in results if r.test == test and r.value is not None]
        after = [r for r in after if _day(treatment, r.on) >= 7]
        if not after:
            continue
        latest = after[-1]
        base = _baseline(treatment, results, test)
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


# --- The four questions ---------------------------------------------------------------------


def _questions(
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


# --- Urgent ---------------------------------------------------------------------------------


def _urgent(
    treatment: Treatment,
    results: Sequence[Result],
    checkins: Sequence[CheckIn],
    rules: Rules,
) -> list[Urgent]:
    found = []
    for result in results:
        if result.test != "potassium" or result.value is None or not result.below:
            continue
        day = _day(treatment, result.on)
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
