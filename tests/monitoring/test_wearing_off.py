"""Symptoms coming back before maintenance injections: the pattern rule (pure)."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from monitoring.rules.wearing_off import Interval, comes_back, intervals

START = date(2027, 1, 4)


def run(*answers):
    return [Interval(str(i), START + timedelta(days=91 * i), a) for i, a in enumerate(answers)]


def test_two_yes_in_a_row_is_a_pattern_and_one_is_not():
    assert comes_back(run(True)) is None
    assert comes_back(run(True, False, True)) is None
    assert comes_back(run(True, None, True)) is None  # not asked in between: not seen
    found = comes_back(run(False, True, True))
    assert found is not None and [i.dose_id for i in found] == ["1", "2"]
    found = comes_back(run(True, True, False, True, True))
    assert found is not None and [i.dose_id for i in found] == ["3", "4"]


def test_intervals_follow_the_dates_not_the_order_given():
    doses = [("b", START + timedelta(days=90)), ("a", START)]
    assert [i.dose_id for i in intervals(doses, {"a": True})] == ["a", "b"]
    assert [i.came_back for i in intervals(doses, {"a": True})] == [True, None]


@given(st.lists(st.sampled_from([True, False, None]), max_size=30))
def test_a_pattern_is_exactly_two_consecutive_yes_answers(answers):
    found = comes_back(run(*answers))
    pairs = [i for i in range(len(answers) - 1) if answers[i] is True and answers[i + 1] is True]
    assert (found is not None) == bool(pairs)
    if found is not None:
        last = pairs[-1]
        assert [i.dose_id for i in found] == [str(last), str(last + 1)]
        assert all(i.came_back for i in found)
