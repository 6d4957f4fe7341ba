"""The blood count, judged on its trajectory (steps 1 to 3 of the rule in __init__)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from ..interpret import fmt
from .model import (
    Course,
    Finding,
    Result,
    Rules,
    Status,
    Treatment,
    Verdict,
    baseline_of,
    day_of,
    results_between,
)


def _retics(treatment: Treatment, results: Sequence[Result], today: int, rules: Rules) -> Finding:
    hb = baseline_of(treatment, results, "hb")
    if hb is not None and not hb.below:
        # The reference rechecks reticulocytes when haemoglobin and reticulocytes were low.
        return Finding(
            Status.NOT_APPLICABLE, "Not anaemic at baseline: no reticulocyte rise is expected."
        )
    for tests in (("retic_pct",), ("retic_abs",)):
        after = results_between(
            treatment, results, tests, rules.retic_from_day, rules.retic_latest_day
        )
        if not after:
            continue
        latest = max(after, key=lambda r: r.value or 0)
        assert latest.value is not None
        base = baseline_of(treatment, results, *tests)
        when = f"day {day_of(treatment, latest.on)}"
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
    base = baseline_of(treatment, results, "hb")
    if base is None:
        return Finding(Status.MISSING, "No baseline haemoglobin: a rise cannot be judged.")
    assert base.value is not None
    if not base.below:
        return Finding(
            Status.NOT_APPLICABLE, f"Not anaemic at baseline (haemoglobin {base.text()})."
        )
    after = results_between(
        treatment, results, ("hb",), rules.hb_rise_from_day, rules.hb_rise_latest_day
    )
    if not after:
        # A later count answers "did it rise?" too, when none was taken in weeks 2-6.
        after = results_between(treatment, results, ("hb",), rules.hb_rise_latest_day + 1, 10**6)[
            :1
        ]
    if after:
        latest = after[-1]
        assert latest.value is not None
        rise = latest.value - base.value
        day = day_of(treatment, latest.on)
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
    later = results_between(treatment, results, ("hb", "mcv"), rules.normal_from_day, 10**6)
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
        where = f"{name} {result.text()} on day {day_of(treatment, result.on)}"
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
        f"{'haemoglobin' if r.test == 'hb' else 'MCV'} {r.text()} on day {day_of(treatment, r.on)}"
        for r in latest
    )
    return Finding(Status.OK, f"Normal by 8 weeks: {shown}.")


def haematological(
    treatment: Treatment, results: Sequence[Result], today: date, rules: Rules
) -> Verdict:
    day = day_of(treatment, today)
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
