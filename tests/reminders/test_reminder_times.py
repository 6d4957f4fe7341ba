"""Send times: pure, and right across daylight-saving changes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from monitoring.reminders.times import after_quiet_hours, backoff, in_quiet_hours, send_time

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def test_nine_oclock_stays_nine_oclock_across_the_clock_change():
    # UK clocks go forward on 29 March 2026 and back on 25 October 2026.
    before = send_time(due=date(2026, 3, 29), lead_days=1, hour=9, zone=LONDON)
    after = send_time(due=date(2026, 3, 30), lead_days=1, hour=9, zone=LONDON)
    assert before.astimezone(UTC).hour == 9  # 28 March, GMT
    assert after.astimezone(UTC).hour == 8  # 29 March, BST
    assert before.astimezone(LONDON).hour == after.astimezone(LONDON).hour == 9
    autumn = send_time(due=date(2026, 10, 26), lead_days=1, hour=9, zone=LONDON)
    assert autumn.astimezone(UTC).hour == 9


@given(
    due=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
    lead=st.integers(min_value=0, max_value=14),
    hour=st.integers(min_value=0, max_value=23),
    zone=st.sampled_from([LONDON, NEW_YORK, ZoneInfo("Australia/Sydney")]),
)
def test_the_local_hour_and_day_are_always_as_asked(due, lead, hour, zone):
    at = send_time(due=due, lead_days=lead, hour=hour, zone=zone).astimezone(UTC)
    local = at.astimezone(zone)
    assert local.date() == due - timedelta(days=lead)
    # An hour that does not exist (the spring gap) lands an hour later, never earlier.
    assert local.hour in (hour, hour + 1)


def test_quiet_hours_across_midnight():
    start, end = time(21), time(8)
    late = datetime(2026, 6, 1, 22, 30, tzinfo=LONDON)
    early = datetime(2026, 6, 2, 6, 0, tzinfo=LONDON)
    day = datetime(2026, 6, 2, 12, 0, tzinfo=LONDON)
    assert in_quiet_hours(late, zone=LONDON, start=start, end=end)
    assert in_quiet_hours(early, zone=LONDON, start=start, end=end)
    assert not in_quiet_hours(day, zone=LONDON, start=start, end=end)
    assert after_quiet_hours(late, zone=LONDON, start=start, end=end) == datetime(
        2026, 6, 2, 8, 0, tzinfo=LONDON
    )
    assert after_quiet_hours(early, zone=LONDON, start=start, end=end) == datetime(
        2026, 6, 2, 8, 0, tzinfo=LONDON
    )
    assert after_quiet_hours(day, zone=LONDON, start=start, end=end) == day


@given(
    at=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    start=st.times(),
    end=st.times(),
)
def test_after_quiet_hours_is_never_earlier_and_never_quiet(at, start, end):
    start, end = start.replace(microsecond=0, second=0), end.replace(microsecond=0, second=0)
    moved = after_quiet_hours(at, zone=LONDON, start=start, end=end)
    assert moved >= at
    assert moved - at <= timedelta(hours=25)
    assert not in_quiet_hours(moved, zone=LONDON, start=start, end=end) or moved == at


def test_backoff_doubles_up_to_a_cap():
    waits = [backoff(n, base_seconds=60).total_seconds() for n in range(1, 6)]
    assert waits == [60, 120, 240, 480, 960]
    assert backoff(30, base_seconds=60) == timedelta(hours=6)
