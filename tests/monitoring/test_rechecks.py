"""Planned rechecks: pure rules."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from monitoring.rules import rechecks
from monitoring.rules.rechecks import Kind, State

START = date(2026, 3, 2)


def test_default_rechecks_follow_the_monitoring_timeline():
    planned = rechecks.default_rechecks(start=START, serum_b12=False, maintenance=True)
    by_kind = {p.rule.kind: p for p in planned}
    assert set(by_kind) == {
        Kind.BASELINE,
        Kind.RETICULOCYTES,
        Kind.BLOOD_COUNT_8W,
        Kind.SYMPTOM_REVIEW,
        Kind.YEARLY_BLOOD_COUNT,
    }
    assert by_kind[Kind.BASELINE].closes == START  # before the first dose
    assert "intrinsic factor" in by_kind[Kind.BASELINE].rule.caveat
    retics = by_kind[Kind.RETICULOCYTES]
    assert (retics.opens, retics.due) == (START + timedelta(7), START + timedelta(10))
    assert by_kind[Kind.BLOOD_COUNT_8W].due == START + timedelta(weeks=8)
    assert by_kind[Kind.SYMPTOM_REVIEW].due == START + timedelta(days=91)
    assert by_kind[Kind.SYMPTOM_REVIEW].rule.tests == ()


def test_serum_b12_only_when_the_clinic_opts_in_and_with_the_caveat():
    without = rechecks.default_rechecks(start=START, serum_b12=False, maintenance=False)
    assert Kind.SERUM_B12 not in {p.rule.kind for p in without}
    assert Kind.YEARLY_BLOOD_COUNT not in {p.rule.kind for p in without}
    with_b12 = rechecks.default_rechecks(start=START, serum_b12=True, maintenance=False)
    b12 = next(p for p in with_b12 if p.rule.kind == Kind.SERUM_B12)
    assert "advises against retesting serum B12 routinely" in b12.rule.caveat


def test_potassium_only_after_a_severe_baseline_anaemia():
    assert rechecks.needs_potassium(hb_g_per_l=72, collected=START, start=START, severe_below=80)
    assert not rechecks.needs_potassium(
        hb_g_per_l=95, collected=START, start=START, severe_below=80
    )
    later = START + timedelta(days=20)
    assert not rechecks.needs_potassium(
        hb_g_per_l=72, collected=later, start=START, severe_below=80
    )


def test_completes_needs_every_test_inside_the_window():
    opens, closes = START + timedelta(49), START + timedelta(70)
    tests = ("hb", "mcv", "retic_pct")
    inside = START + timedelta(55)
    assert not rechecks.completes(
        tests=tests, opens=opens, closes=closes, results=[("hb", inside), ("mcv", inside)]
    )
    assert rechecks.completes(
        tests=tests,
        opens=opens,
        closes=closes,
        results=[("hb", inside), ("mcv", inside), ("retic_pct", closes)],
    )
    assert not rechecks.completes(
        tests=tests,
        opens=opens,
        closes=closes,
        results=[("hb", inside), ("mcv", inside), ("retic_pct", closes + timedelta(1))],
    )


ORDER = [State.PENDING, State.DUE, State.OVERDUE]


@given(
    first=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 1, 1)),
    second=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 1, 1)),
    length=st.integers(min_value=0, max_value=60),
)
def test_a_pending_recheck_only_moves_forward_in_time(first, second, length):
    opens = date(2026, 6, 1)
    closes = opens + timedelta(days=length)
    a, b = sorted([first, second])
    state_a = rechecks.state(status="pending", opens=opens, closes=closes, today=a)
    state_b = rechecks.state(status="pending", opens=opens, closes=closes, today=b)
    assert ORDER.index(state_a) <= ORDER.index(state_b)
    assert rechecks.state(status="done", opens=opens, closes=closes, today=a) == State.DONE


def test_each_first_course_recheck_lapses_once_its_purpose_has_passed():
    planned = rechecks.default_rechecks(start=START, serum_b12=True, maintenance=True)
    lapses = {p.rule.kind: p.lapses_on for p in planned}
    assert lapses[Kind.BASELINE] == START + timedelta(days=28)
    assert lapses[Kind.RETICULOCYTES] == START + timedelta(days=14)
    assert lapses[Kind.BLOOD_COUNT_8W] == START + timedelta(days=120)
    assert lapses[Kind.SERUM_B12] == START + timedelta(days=120)
    assert lapses[Kind.SYMPTOM_REVIEW] == START + timedelta(days=183)
    assert lapses[Kind.YEARLY_BLOOD_COUNT] is None, "maintenance checks stay until done"
    for plan in planned:
        assert plan.lapses_on is None or plan.lapses_on > plan.closes


def test_a_pending_recheck_is_lapsed_the_day_after_its_lapse_date_and_done_stays_done():
    retics = rechecks.place(rechecks.RETICULOCYTES, START)
    kwargs = dict(opens=retics.opens, closes=retics.closes, lapses_on=retics.lapses_on)
    on = retics.lapses_on
    assert rechecks.state(status="pending", today=on, **kwargs) == State.OVERDUE
    assert rechecks.state(status="pending", today=on + timedelta(1), **kwargs) == State.LAPSED
    assert rechecks.state(status="lapsed", today=on, **kwargs) == State.LAPSED
    assert rechecks.state(status="done", today=on + timedelta(99), **kwargs) == State.DONE


def test_waiting_for_names_the_tests_without_a_result_in_the_window():
    baseline = rechecks.place(rechecks.BASELINE, START)
    taken = START - timedelta(days=3)
    results = [(code, taken) for code in ("hb", "mcv", "retic_pct", "b12", "folate", "ferritin")]
    results.append(("ifab", START - timedelta(days=90)))  # before the window opened
    missing = rechecks.waiting_for(
        tests=baseline.rule.tests, opens=baseline.opens, closes=baseline.closes, results=results
    )
    assert missing == ("ifab",)
    assert rechecks.test_names(missing) == "intrinsic factor antibody"
