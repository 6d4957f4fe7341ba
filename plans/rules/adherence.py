"""How well a plan's doses were kept. Pure: the caller passes the doses and "today".

Every scheduled appointment counts, including a make-up dose after a missed one: a loading dose
not given and made up two days later shows as one missed and one given.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DoseFact:
    phase_kind: str  # loading / maintenance
    due: date
    status: str  # due / given / not_given (cancelled doses are left out by the caller)
    given_on: date | None = None


@dataclass(frozen=True)
class Adherence:
    due_so_far: int
    given: int
    on_time: int
    late: int
    median_days_late: float | None
    missed: int  # marked not given
    overdue: int  # still open after their due date

    @property
    def complete(self) -> bool:
        """Every dose due so far was given (late or not) and none is outstanding."""
        return self.missed == 0 and self.overdue == 0

    @property
    def percent_given(self) -> int | None:
        if self.due_so_far == 0:
            return None
        return round(100 * self.given / self.due_so_far)


def adherence(doses: Iterable[DoseFact], *, today: date, on_time_days: int) -> Adherence:
    """Doses due up to and including today. A dose due today and not yet given is neither
    overdue nor missed: the day is not over."""
    due_so_far = given = on_time = missed = overdue = 0
    days_late: list[int] = []
    for dose in doses:
        if dose.status == "given":
            # Counted as soon as it is given, even ahead of its date.
            given_on = dose.given_on or dose.due
            due_so_far += 1
            given += 1
            late_by = (given_on - dose.due).days
            if late_by <= on_time_days:
                on_time += 1
            else:
                days_late.append(late_by)
        elif dose.due > today:
            continue
        elif dose.status == "not_given":
            due_so_far += 1
            missed += 1
        elif dose.status == "due" and dose.due < today:
            due_so_far += 1
            overdue += 1
    return Adherence(
        due_so_far=due_so_far,
        given=given,
        on_time=on_time,
        late=len(days_late),
        median_days_late=statistics.median(days_late) if days_late else None,
        missed=missed,
        overdue=overdue,
    )


def adherence_by_phase(
    doses: Iterable[DoseFact], *, today: date, on_time_days: int
) -> dict[str, Adherence]:
    """The same figures for each phase kind present, loading first."""
    kinds: dict[str, list[DoseFact]] = {}
    for dose in sorted(doses, key=lambda d: d.phase_kind != "loading"):
        kinds.setdefault(dose.phase_kind, []).append(dose)
    return {
        kind: adherence(facts, today=today, on_time_days=on_time_days)
        for kind, facts in kinds.items()
    }
