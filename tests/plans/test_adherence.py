"""Adherence figures from a plan's doses: pure, so checked over generated histories too."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from plans.rules.adherence import DoseFact, adherence, adherence_by_phase

TODAY = date(2026, 6, 1)


def fact(due: str, status: str, given_on: str | None = None, kind: str = "maintenance"):
    return DoseFact(
        phase_kind=kind,
        due=date.fromisoformat(due),
        status=status,
        given_on=date.fromisoformat(given_on) if given_on else None,
    )


def test_counts_on_time_late_missed_and_overdue():
    doses = [
        fact("2026-01-05", "given", "2026-01-05", kind="loading"),
        fact("2026-01-07", "given", "2026-01-09", kind="loading"),  # 2 days: on time
        fact("2026-01-09", "not_given", kind="loading"),
        fact("2026-01-12", "given", "2026-01-20", kind="loading"),  # 8 days late
        fact("2026-04-12", "given", "2026-04-16"),  # 4 days late
        fact("2026-05-20", "due"),  # overdue
        fact("2026-06-01", "due"),  # due today: not yet counted
        fact("2026-09-01", "due"),  # future
    ]

    result = adherence(doses, today=TODAY, on_time_days=3)

    assert result.due_so_far == 6
    assert result.given == 4
    assert (result.on_time, result.late, result.median_days_late) == (2, 2, 6)
    assert (result.missed, result.overdue) == (1, 1)
    assert result.percent_given == 67
    assert not result.complete


def test_by_phase_lists_loading_first():
    doses = [
        fact("2026-04-12", "given", "2026-04-12"),
        fact("2026-01-05", "not_given", kind="loading"),
    ]

    phases = adherence_by_phase(doses, today=TODAY, on_time_days=3)

    assert list(phases) == ["loading", "maintenance"]
    assert phases["loading"].missed == 1
    assert phases["maintenance"].complete


def test_nothing_due_yet():
    result = adherence([fact("2026-09-01", "due")], today=TODAY, on_time_days=3)
    assert result.due_so_far == 0
    assert result.percent_given is None
    assert result.complete


@st.composite
def histories(draw):
    doses = []
    for _ in range(draw(st.integers(0, 30))):
        due = TODAY + timedelta(days=draw(st.integers(-400, 200)))
        status = draw(st.sampled_from(["due", "given", "not_given"]))
        given_on = None
        if status == "given":
            given_on = due + timedelta(days=draw(st.integers(-3, 60)))
            if given_on > TODAY:
                given_on = TODAY
        kind = draw(st.sampled_from(["loading", "maintenance"]))
        doses.append(DoseFact(phase_kind=kind, due=due, status=status, given_on=given_on))
    return doses


@given(doses=histories(), window=st.integers(0, 14))
def test_the_figures_always_add_up(doses, window):
    result = adherence(doses, today=TODAY, on_time_days=window)

    assert result.due_so_far == result.given + result.missed + result.overdue
    assert result.given == result.on_time + result.late
    assert result.given == sum(1 for d in doses if d.status == "given")
    if result.late:
        assert result.median_days_late is not None and result.median_days_late > window
    phases = adherence_by_phase(doses, today=TODAY, on_time_days=window)
    assert sum(p.due_so_far for p in phases.values()) == result.due_so_far
