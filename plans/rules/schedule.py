"""The injection schedule engine: prescription rules in, due dates out.

Pure: no Django, no clock. Callers pass "today" and the doses that already happened (or are
already on someone's list), and get back the doses still to schedule. Building again with some
of those doses passed back as pending gives the same remaining dates, which is what makes
materialising a rolling horizon idempotent.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class PhaseKind(StrEnum):
    LOADING = "loading"
    MAINTENANCE = "maintenance"


class IntervalUnit(StrEnum):
    DAYS = "days"  # every N days
    WEEKDAYS = "weekdays"  # on chosen weekdays (N times a week)
    WEEKS = "weeks"  # every N weeks
    MONTHS = "months"  # every N months, month-end clamped


class EndRule(StrEnum):
    AFTER_DOSES = "after_doses"
    ON_DATE = "on_date"
    AT_REVIEW = "at_review"  # open-ended until a clinician ends it
    NEVER = "never"


class DoseOutcome(StrEnum):
    GIVEN = "given"
    NOT_GIVEN = "not_given"
    PENDING = "pending"  # on the list, not yet recorded (due or overdue)


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_DOSES_PER_BUILD = 2000


class ScheduleError(ValueError):
    """A rule that cannot produce a schedule; `field` names what to correct."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PhaseRule:
    kind: PhaseKind
    unit: IntervalUnit
    every: int = 1
    weekdays: frozenset[int] = frozenset()
    end: EndRule = EndRule.NEVER
    doses: int | None = None  # with AFTER_DOSES
    end_date: date | None = None  # with ON_DATE; also set when a review ends the phase
    start_on: date | None = None  # first dose no earlier than this (e.g. maintenance after review)
    min_interval_days: int | None = None  # None: default_min_interval(unit, every)

    @property
    def min_interval(self) -> int:
        if self.min_interval_days is not None:
            return self.min_interval_days
        return default_min_interval(self.unit, self.every)


@dataclass(frozen=True)
class PastDose:
    """A dose that must not move: recorded given / not given, or already due on a list."""

    phase_index: int
    due: date
    outcome: DoseOutcome
    given_on: date | None = None

    @property
    def counts(self) -> bool:
        """Counts towards a phase's prescribed number of doses."""
        return self.outcome is not DoseOutcome.NOT_GIVEN

    @property
    def anchor(self) -> date:
        """The date the following dose is spaced from."""
        return self.given_on if self.given_on is not None else self.due


@dataclass(frozen=True)
class DueDose:
    phase_index: int
    sequence: int  # 1-based within the phase, continuing after past doses
    due: date


@dataclass
class _Series:
    """Where the current phase's nominal dates count from, and how far they have got."""

    start: date
    step: int = -1  # index of the last dose placed on this series; -1: none yet
    anchor: date | None = None  # the last dose given or due, for the minimum gap
    missed_since: date | None = None  # a loading dose not given: make it up after this
    # A maintenance dose not given: the next one is due again on its date, never before it
    # (an amendment to a shorter interval would otherwise plan it before the one missed).
    missed_on: date | None = None


def default_min_interval(unit: IntervalUnit, every: int) -> int:
    """Smallest spacing allowed when a closed day pushes a dose: clinic defaults, editable."""
    if unit is IntervalUnit.DAYS:
        return every
    if unit is IntervalUnit.WEEKDAYS:
        return 1
    if unit is IntervalUnit.WEEKS:
        return max(1, 7 * every - 3)
    return max(1, 28 * every - 7)


def add_months(start: date, months: int) -> date:
    """Same day of the month `months` later, clamped to the month's last day."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def next_open_day(day: date, closed_weekdays: frozenset[int]) -> date:
    if len(closed_weekdays) >= 7:
        raise ScheduleError("closed_weekdays", "The clinic has no open day in the week.")
    while day.weekday() in closed_weekdays:
        day += timedelta(days=1)
    return day


def validate_phases(phases: Sequence[PhaseRule]) -> None:
    """Raise ScheduleError for a rule set that makes no sense, naming the field."""
    if not phases:
        raise ScheduleError("phases", "A plan needs at least one phase.")
    seen_maintenance = False
    for index, phase in enumerate(phases):
        prefix = f"phases.{index}"
        if phase.kind is PhaseKind.MAINTENANCE:
            seen_maintenance = True
        elif seen_maintenance:
            raise ScheduleError(f"{prefix}.kind", "A loading phase cannot come after maintenance.")
        if phase.unit is IntervalUnit.WEEKDAYS:
            if not phase.weekdays:
                raise ScheduleError(f"{prefix}.weekdays", "Choose the weekdays for the injections.")
            if not all(0 <= day <= 6 for day in phase.weekdays):
                raise ScheduleError(f"{prefix}.weekdays", "Weekdays run from Monday to Sunday.")
        elif phase.every < 1:
            raise ScheduleError(f"{prefix}.every", "The interval must be at least 1.")
        if phase.min_interval < 1:
            raise ScheduleError(f"{prefix}.min_interval_days", "The minimum gap is at least 1 day.")
        if phase.end is EndRule.AFTER_DOSES and (phase.doses is None or phase.doses < 1):
            raise ScheduleError(f"{prefix}.doses", "Give the number of doses (at least 1).")
        if phase.end is EndRule.ON_DATE and phase.end_date is None:
            raise ScheduleError(f"{prefix}.end_date", "Give the date the phase ends.")
        if index < len(phases) - 1 and phase.end is EndRule.NEVER:
            raise ScheduleError(f"{prefix}.end", "Only the last phase can go on for ever.")


def _next_chosen_weekday(on_or_after: date, weekdays: frozenset[int]) -> date:
    day = on_or_after
    while day.weekday() not in weekdays:
        day += timedelta(days=1)
    return day


def _nominal(phase: PhaseRule, series: _Series) -> date:
    """The date the rule asks for next, before closed days and minimum gaps."""
    step = series.step + 1
    if phase.unit is IntervalUnit.DAYS:
        return series.start + timedelta(days=step * phase.every)
    if phase.unit is IntervalUnit.WEEKS:
        return series.start + timedelta(weeks=step * phase.every)
    if phase.unit is IntervalUnit.MONTHS:
        # Counted from the series start, not the previous dose, so the 31st stays the 31st.
        return add_months(series.start, step * phase.every)
    if step == 0 or series.anchor is None:
        return _next_chosen_weekday(series.start, phase.weekdays)
    return _next_chosen_weekday(series.anchor + timedelta(days=1), phase.weekdays)


def _first_of_phase(phase: PhaseRule, *, start: date, last: date | None) -> date:
    """A phase starts on its own date, on the plan start, or one interval after the last dose."""
    if phase.start_on is not None:
        return phase.start_on
    if last is None:
        return start
    if phase.unit is IntervalUnit.DAYS:
        return last + timedelta(days=phase.every)
    if phase.unit is IntervalUnit.WEEKS:
        return last + timedelta(weeks=phase.every)
    if phase.unit is IntervalUnit.MONTHS:
        return add_months(last, phase.every)
    return last + timedelta(days=1)


def _replay(
    phase: PhaseRule, series: _Series, history: Sequence[PastDose], closed: frozenset[int]
) -> int:
    """Walk the doses already on record; return how many count towards the phase."""
    counted = 0
    for dose in history:
        if dose.outcome is DoseOutcome.GIVEN:
            # Re-anchor on the date it was really given.
            series.start, series.step = dose.anchor, 0
        elif dose.outcome is DoseOutcome.PENDING:
            nominal = _nominal(phase, series)
            if phase.start_on is not None:
                nominal = max(nominal, phase.start_on)
            # As the build placed it: a date the minimum gap or a missed maintenance dose moved
            # restarted the cadence, even where a closed day would have led to the same date.
            moved = (
                series.anchor is not None
                and nominal < series.anchor + timedelta(days=phase.min_interval)
            ) or (series.missed_on is not None and nominal < series.missed_on)
            on_cadence = (
                series.missed_since is None
                and not moved
                and dose.due == next_open_day(nominal, closed)
            )
            if on_cadence:
                series.step += 1
            else:
                # A make-up dose, or one the minimum gap moved: the cadence runs on from it.
                series.start, series.step = dose.due, 0
        else:
            if phase.kind is PhaseKind.LOADING:
                series.missed_since = dose.due
            else:
                series.missed_on = max(series.missed_on or dose.due, dose.due)
            continue  # a missed maintenance dose is due again on the same date
        counted += 1
        series.anchor = dose.anchor
        series.missed_since = None
        series.missed_on = None
    return counted


def build_schedule(
    phases: Sequence[PhaseRule],
    *,
    start: date,
    past: Sequence[PastDose] = (),
    closed_weekdays: frozenset[int] = frozenset(),
    today: date,
    until: date,
    min_future_maintenance: int = 0,
) -> list[DueDose]:
    """The doses to schedule after `past`, up to `until`.

    `past` lists, in date order, the doses given, not given, or already due, each with the
    index of its phase. A maintenance phase keeps going past `until` until
    `min_future_maintenance` of its doses fall on or after `today`.

    The rule, dose by dose:
    - Dates follow the phase's cadence from its anchor: the phase's first date (its own start,
      the plan's start, or one interval after the last dose of the phase before), then each
      dose really given (the cadence restarts on the date given).
    - A date on a closed weekday moves that dose to the next open day; the cadence stays.
    - A dose that would fall sooner than the phase's minimum gap after the dose before it (a
      dose given, or a closed day having pushed the one before) moves to the end of the gap,
      and the cadence restarts from it, as it will when it is given. The gap moves at most
      that one dose: it never pushes the dates after it again and again.
    - A missed loading dose is made up on the next open day, and the cadence restarts from it.
    - A missed maintenance dose is due again on its date; never sooner, even when the interval
      was shortened since (the cadence then restarts from it).
    """
    validate_phases(phases)
    by_phase: dict[int, list[PastDose]] = {}
    for dose in past:
        by_phase.setdefault(min(max(dose.phase_index, 0), len(phases) - 1), []).append(dose)

    generated: list[DueDose] = []
    last: date | None = None
    for index, phase in enumerate(phases):
        history = by_phase.get(index, [])
        series = _Series(start=_first_of_phase(phase, start=start, last=last), anchor=last)
        counted = _replay(phase, series, history, closed_weekdays)
        sequence = len(history)
        upcoming = sum(1 for dose in history if dose.counts and dose.anchor >= today)
        while len(generated) < MAX_DOSES_PER_BUILD:
            if phase.end is EndRule.AFTER_DOSES and counted >= (phase.doses or 0):
                break
            candidate = _nominal(phase, series)
            if series.missed_since is not None:
                # A missed loading dose is made up on the next open day, never in the past.
                candidate = max(candidate, series.missed_since + timedelta(days=1), today)
            if phase.start_on is not None:
                candidate = max(candidate, phase.start_on)
            missed_moves_it = series.missed_on is not None and candidate < series.missed_on
            if missed_moves_it:
                assert series.missed_on is not None
                candidate = series.missed_on
            gap_moves_it = series.anchor is not None and candidate < series.anchor + timedelta(
                days=phase.min_interval
            )
            if gap_moves_it:
                assert series.anchor is not None
                candidate = series.anchor + timedelta(days=phase.min_interval)
            placed = next_open_day(candidate, closed_weekdays)
            if phase.end_date is not None and placed > phase.end_date:
                break
            wants_more = phase.kind is PhaseKind.MAINTENANCE and upcoming < min_future_maintenance
            if placed > until and not wants_more:
                return generated
            if series.missed_since is not None or gap_moves_it or missed_moves_it:
                series.start, series.step = placed, 0
            else:
                series.step += 1
            series.anchor = placed
            series.missed_since = None
            series.missed_on = None
            sequence += 1
            counted += 1
            upcoming += placed >= today
            generated.append(DueDose(phase_index=index, sequence=sequence, due=placed))
        else:
            return generated
        if phase.end in (EndRule.AT_REVIEW, EndRule.NEVER) and phase.end_date is None:
            return generated
        last = series.anchor
    return generated


def describe_phase(phase: PhaseRule) -> str:
    """The rule in the words a clinician would write it."""
    if phase.unit is IntervalUnit.DAYS:
        interval = {1: "daily", 2: "alternate days"}.get(phase.every, f"every {phase.every} days")
    elif phase.unit is IntervalUnit.WEEKDAYS:
        days = "/".join(WEEKDAY_NAMES[d] for d in sorted(phase.weekdays))
        interval = f"{len(phase.weekdays)} times a week ({days})"
    elif phase.unit is IntervalUnit.WEEKS:
        interval = "weekly" if phase.every == 1 else f"every {phase.every} weeks"
    else:
        interval = "monthly" if phase.every == 1 else f"every {phase.every} months"
    if phase.end is EndRule.AFTER_DOSES:
        ending = f"for {phase.doses} doses"
    elif phase.end is EndRule.ON_DATE and phase.end_date is not None:
        ending = f"until {phase.end_date:%-d %b %Y}"
    elif phase.end is EndRule.AT_REVIEW:
        ending = (
            f"ended at review on {phase.end_date:%-d %b %Y}" if phase.end_date else "until review"
        )
    else:
        ending = "for life" if phase.kind is PhaseKind.MAINTENANCE else "with no set end"
    return f"{interval} {ending}"
