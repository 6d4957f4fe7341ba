"""The response assessment: an example series for every verdict and alert, and properties."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.assessment import (
    CheckIn,
    Course,
    Result,
    Status,
    Treatment,
    assess,
)
from plans.adherence import Adherence

START = date(2026, 3, 2)
D = Decimal
RANGES = {
    "hb": ("g/L", D(120), D(160)),
    "mcv": ("fL", D(80), D(100)),
    "retic_pct": ("%", D("1.0"), D("2.6")),
    "b12": ("pmol/L", D(133), None),
    "folate": ("µg/L", D("4.0"), None),
    "ferritin": ("µg/L", D(30), D(400)),
    "mma": ("µmol/L", None, D("0.40")),
    "homocysteine": ("µmol/L", None, D(15)),
    "potassium": ("mmol/L", D("3.3"), D("5.0")),
}
FULL = Adherence(
    due_so_far=6, given=6, on_time=6, late=0, median_days_late=None, missed=0, overdue=0
)
PATCHY = Adherence(
    due_so_far=6, given=4, on_time=3, late=1, median_days_late=6, missed=1, overdue=1
)
UK = Treatment(
    start=START,
    dose_mcg=1000,
    route="IM",
    regimen="UK standard",
    regimen_dose_mcg=1000,
    cause="pernicious_anaemia",
    lifelong=True,
)


def r(test: str, day: int, value: str, band: str = "") -> Result:
    unit, low, high = RANGES[test]
    return Result(
        ref=f"{test}{day}",
        test=test,
        on=START + timedelta(days=day),
        value=D(value),
        unit=unit,
        low=low,
        high=high,
        band=band,
    )


BASELINE = [
    r("hb", -2, "82"),
    r("mcv", -2, "112"),
    r("retic_pct", -2, "0.8"),
    r("b12", -2, "90", "deficient"),
    r("folate", -2, "7.2"),
    r("ferritin", -2, "85"),
]


def run(results, *, day, checkins=(), adherence=FULL, treatment=UK):
    return assess(
        treatment=treatment,
        results=results,
        checkins=list(checkins),
        adherence=adherence,
        today=START + timedelta(days=day),
    )


def test_too_early_on_day_3():
    found = run(BASELINE, day=3)
    assert found.haematological.course == Course.TOO_EARLY
    assert not found.questions and not found.urgent


def test_responding_at_every_step():
    series = [*BASELINE, r("retic_pct", 7, "4.1"), r("hb", 21, "101")]
    found = run(series, day=21)
    assert found.haematological.course == Course.RESPONDING
    assert found.haematological.summary == "Responding so far."
    texts = [f.text for f in found.haematological.findings]
    assert "Reticulocytes rose from 0.8 % to 4.1 % by day 7." in texts
    assert "Haemoglobin rose from 82 g/L to 101 g/L by day 21." in texts

    series += [r("hb", 56, "131"), r("mcv", 56, "92")]
    found = run(series, day=60)
    assert found.haematological.course == Course.RESPONDING
    assert found.haematological.summary == "Responding as expected."
    assert not found.questions


def test_reticulocytes_not_rising_is_inadequate_and_the_four_questions_are_answered():
    series = [*BASELINE, r("retic_pct", 9, "0.9")]
    found = run(series, day=10, adherence=PATCHY)
    assert found.haematological.course == Course.INADEQUATE
    assert found.inadequate
    retics = found.haematological.findings[0]
    assert retics.status == Status.CONCERN
    assert "0.8 %" in retics.text and "0.9 %" in retics.text
    dose, adherence, diagnosis, cause = found.questions
    assert dose.status == Status.OK and "1000 micrograms IM" in dose.answer
    assert adherence.status == Status.CONCERN
    assert adherence.answer == (
        "No: 4 of 6 doses given, 3 on time, 1 late (median 6 days), 1 not given, 1 overdue."
    )
    assert diagnosis.status == Status.OK
    assert "serum B12 90 pmol/L (deficient)" in diagnosis.answer
    assert "folate 7.2 µg/L" in diagnosis.answer and "ferritin 85 µg/L" in diagnosis.answer
    assert "hypothyroidism" in diagnosis.answer
    assert cause.question == "Is the cause ongoing?"
    assert "Pernicious anaemia continues for life" in cause.answer


def test_haemoglobin_not_normal_at_8_weeks_is_inadequate():
    series = [
        *BASELINE,
        r("retic_pct", 7, "3.5"),
        r("hb", 21, "95"),
        r("hb", 58, "104"),
        r("mcv", 58, "103"),
    ]
    found = run(series, day=60)
    assert found.haematological.course == Course.INADEQUATE
    last = found.haematological.findings[2]
    assert last.status == Status.CONCERN
    assert "haemoglobin 104 g/L on day 58" in last.text and "MCV 103 fL" in last.text


def test_haemoglobin_barely_rising_by_week_4_is_inadequate():
    series = [*BASELINE, r("retic_pct", 7, "3.0"), r("hb", 27, "86")]
    found = run(series, day=28)
    assert found.haematological.course == Course.INADEQUATE
    assert "up 4 from 82 g/L" in found.haematological.findings[1].text


def test_missing_results_are_named_not_judged():
    found = run(BASELINE, day=70)
    assert found.haematological.course == Course.NOT_JUDGED
    statuses = [f.status for f in found.haematological.findings]
    assert statuses == [Status.MISSING, Status.MISSING, Status.MISSING]


def test_not_anaemic_at_baseline_skips_the_haemoglobin_rise():
    series = [r("hb", -1, "131"), r("mcv", -1, "104"), r("retic_pct", -1, "1.1")]
    series += [r("retic_pct", 8, "2.0"), r("hb", 60, "134"), r("mcv", 60, "95")]
    found = run(series, day=61)
    assert found.haematological.findings[1].status == Status.NOT_APPLICABLE
    assert found.haematological.course == Course.RESPONDING


def test_diagnosis_in_doubt_when_folate_or_iron_is_low_or_b12_was_normal():
    series = [
        r("hb", -2, "84"),
        r("retic_pct", -2, "0.9"),
        r("b12", -2, "310", "deficiency unlikely"),
        r("folate", -2, "2.8", "deficient"),
        r("ferritin", -2, "12"),
        r("retic_pct", 8, "0.9"),
    ]
    found = run(series, day=10)
    diagnosis = found.questions[2]
    assert diagnosis.status == Status.CONCERN
    assert "B12 deficiency is not confirmed" in diagnosis.answer
    assert "folate is low" in diagnosis.answer
    assert "ferritin is low" in diagnosis.answer


def test_diagnosis_unknown_names_what_was_not_measured():
    series = [r("hb", -2, "84"), r("retic_pct", -2, "0.9"), r("retic_pct", 8, "0.8")]
    diagnosis = run(series, day=10).questions[2]
    assert diagnosis.status == Status.MISSING
    assert "Not measured: serum B12, folate, ferritin." in diagnosis.answer


def test_a_dose_below_the_regimen_and_a_custom_plan():
    series = [*BASELINE, r("retic_pct", 8, "0.8")]
    low = run(series, day=10, treatment=UK.__class__(**{**UK.__dict__, "dose_mcg": 250}))
    assert low.questions[0].status == Status.CONCERN
    assert "250 micrograms IM is below the 1000 micrograms of the regimen “UK standard”" in (
        low.questions[0].answer
    )
    custom = UK.__class__(**{**UK.__dict__, "regimen": "", "regimen_dose_mcg": None})
    assert run(series, day=10, treatment=custom).questions[0].status == Status.MISSING


def test_nitrous_oxide_cause_points_at_homocysteine():
    treatment = UK.__class__(**{**UK.__dict__, "cause": "nitrous_oxide"})
    series = [*BASELINE, r("retic_pct", 8, "0.8"), r("homocysteine", 8, "38")]
    cause = run(series, day=10, treatment=treatment).questions[3]
    assert cause.status == Status.CONCERN
    assert "Latest homocysteine 38 µmol/L" in cause.answer


def test_low_potassium_in_the_first_days_is_urgent_but_not_later():
    found = run([*BASELINE, r("potassium", 2, "3.1")], day=2)
    assert [u.key for u in found.urgent] == ["potassium-low:potassium2"]
    assert "day 2" in found.urgent[0].title
    assert run([*BASELINE, r("potassium", 30, "3.1")], day=30).urgent == ()
    assert run([*BASELINE, r("potassium", 2, "3.9")], day=2).urgent == ()


def answers(**given):
    base = dict.fromkeys(["fatigue", "numbness", "weakness", "balance", "vision", "memory"], "none")
    return base | given


def test_worsening_nerve_symptoms_are_urgent():
    checkin = CheckIn(ref="c1", on=START + timedelta(days=20), answers=answers(balance="worse"))
    found = run(BASELINE, day=20, checkins=[checkin])
    assert found.neurological.course == Course.WORSENING
    assert found.urgent[0].key == "neuro-worse:c1"
    assert "balance or walking" in found.urgent[0].title


def test_worse_tiredness_alone_is_not_a_nerve_emergency():
    checkin = CheckIn(ref="c1", on=START + timedelta(days=20), answers=answers(fatigue="worse"))
    found = run(BASELINE, day=20, checkins=[checkin])
    assert found.neurological.course != Course.WORSENING
    assert found.urgent == ()


def test_neurological_course_improving_and_unchanged_at_3_months():
    early = CheckIn("c1", START + timedelta(days=30), answers(fatigue="better", numbness="better"))
    assert run(BASELINE, day=30, checkins=[early]).neurological.course == Course.IMPROVING
    later = CheckIn("c2", START + timedelta(days=95), answers(numbness="same"))
    found = run(BASELINE, day=95, checkins=[early, later])
    assert found.neurological.course == Course.UNCHANGED
    assert "at 3 months" in found.neurological.summary
    assert run(BASELINE, day=5).neurological.course == Course.NOT_JUDGED


def test_biochemical_markers():
    series = [*BASELINE, r("mma", -2, "1.2"), r("mma", 30, "0.3"), r("homocysteine", -2, "40")]
    series += [r("homocysteine", 30, "41")]
    found = run(series, day=31)
    assert found.biochemical.course == Course.INADEQUATE
    texts = [f.text for f in found.biochemical.findings]
    assert texts[0].startswith("Methylmalonic acid 0.3 µmol/L: normal")
    assert "Homocysteine 41 µmol/L: not improving" in texts[1]
    assert run(BASELINE, day=31).biochemical.course == Course.NOT_JUDGED


results = st.lists(
    st.builds(
        r,
        st.sampled_from(sorted(RANGES)),
        st.integers(min_value=-30, max_value=400),
        st.decimals(min_value=0, max_value=500, places=1).map(str),
    ),
    max_size=25,
    unique_by=lambda result: result.ref,
)
checkin_answers = st.fixed_dictionaries(
    {
        k: st.sampled_from(["none", "better", "same", "worse"])
        for k in ["fatigue", "numbness", "weakness", "balance", "vision", "memory"]
    }
)


@settings(max_examples=200)
@given(
    series=results,
    day=st.integers(min_value=0, max_value=500),
    checkins=st.lists(
        st.builds(
            lambda n, a: CheckIn(f"c{n}", START + timedelta(days=n), a),
            st.integers(min_value=0, max_value=400),
            checkin_answers,
        ),
        max_size=5,
        unique_by=lambda checkin: checkin.ref,
    ),
)
def test_properties(series, day, checkins):
    found = run(series, day=day, checkins=checkins)
    concerns = [f for f in found.haematological.findings if f.status == Status.CONCERN]
    assert found.inadequate == bool(concerns)
    assert bool(found.questions) == found.inadequate
    assert len({u.key for u in found.urgent}) == len(found.urgent)
    # Results after "today" can only be entered by mistake; what matters is no crash.
    assert found.day == day
