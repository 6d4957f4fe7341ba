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
from dataclasses import replace
from datetime import date

from plans.rules.adherence import Adherence

from .blood import haematological
from .model import (
    ANSWERS,
    NEURO_SYMPTOMS,
    SYMPTOMS,
    Assessment,
    CheckIn,
    Course,
    Finding,
    Question,
    Result,
    Rules,
    Status,
    Treatment,
    Urgent,
    Verdict,
)
from .questions import four_questions
from .urgent import urgent
from .verdicts import biochemical, neurological

__all__ = [
    "ANSWERS",
    "NEURO_SYMPTOMS",
    "SYMPTOMS",
    "Assessment",
    "CheckIn",
    "Course",
    "Finding",
    "Question",
    "Result",
    "Rules",
    "Status",
    "Treatment",
    "Urgent",
    "Verdict",
    "assess",
    "course_start",
]

DEFAULT_RULES = Rules()


def assess(
    *,
    treatment: Treatment,
    results: Sequence[Result],
    checkins: Sequence[CheckIn],
    adherence: Adherence,
    today: date,
    rules: Rules = DEFAULT_RULES,
) -> Assessment:
    if treatment.first_injection is None:
        return _before_the_first_injection(treatment, checkins, today, rules)
    # The body answers the first injection, not the date the plan was written: days count
    # from it, and whatever was measured up to that day is the baseline.
    treatment = replace(treatment, start=treatment.first_injection)
    ordered = sorted(results, key=lambda r: (r.on, r.ref))
    haem = haematological(treatment, ordered, today, rules)
    neuro = neurological(treatment, sorted(checkins, key=lambda c: (c.on, c.ref)), today, rules)
    bio = biochemical(treatment, ordered)
    questions = (
        four_questions(treatment, ordered, adherence) if haem.course == Course.INADEQUATE else ()
    )
    return Assessment(
        day=(today - treatment.start).days,
        haematological=haem,
        neurological=neuro,
        biochemical=bio,
        questions=questions,
        urgent=tuple(urgent(treatment, ordered, checkins, rules)),
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
        urgent=tuple(urgent(treatment, (), checkins, rules)),
    )
