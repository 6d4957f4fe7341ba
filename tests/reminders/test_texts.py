"""Every text message fits one GSM-7 segment: for every kind, every recheck title (the
catalogue's and any a clinician types), any clinic name and number the clinic's record allows,
any date, and a long site address. Pure: no database."""

from datetime import date, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from monitoring.reminders.texts import SHORT_TITLE, Sms, sms_text
from monitoring.rules.gsm7 import is_gsm7, segments, septets, to_gsm7
from monitoring.rules.rechecks import RULES, Kind

RECHECK_TITLES = {kind.value: rule.title for kind, rule in RULES.items()}

KINDS = ("injection_due", "overdue", "recheck_due")
LONGEST_SITE = "https://b12-injections.riverside-health.example.org"  # 51 characters
STOP = st.builds(
    lambda site, code: f"{site}/r/{code}",
    st.sampled_from(["http://localhost:8000", "https://b12.example.org", LONGEST_SITE]),
    st.text(
        alphabet="23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ", min_size=9, max_size=9
    ),
)
# Anything a clinic's record may hold: names to 200 characters, numbers to 40, in any script.
NAMES = st.text(min_size=1, max_size=200)
PHONES = st.one_of(
    st.just(""), st.from_regex(r"\+?[0-9 ()-]{6,40}", fullmatch=True), st.text(max_size=40)
)
TITLES = st.one_of(st.sampled_from(sorted(RECHECK_TITLES.values())), st.text(max_size=100))
DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2040, 12, 31))


def longest_overdue(digits: int) -> example:
    """An overdue text on the longest site, with a clinic number of `digits` digits."""
    return example(
        kind="overdue",
        clinic="0",
        phone="0" * digits,
        day=date(2026, 1, 1),
        ahead=1,
        stop_url=f"{LONGEST_SITE}/r/222222222",
        recheck_kind="baseline",
        title="Baseline bloods",
    )


@settings(max_examples=600, deadline=None)
@longest_overdue(35)  # found by hypothesis: a 35-digit number left no room
@longest_overdue(39)  # and a 39-digit one, with nothing left to give way but "your"
@given(
    kind=st.sampled_from(KINDS),
    clinic=NAMES,
    phone=PHONES,
    day=DAYS,
    ahead=st.integers(min_value=-400, max_value=400),
    stop_url=STOP,
    recheck_kind=st.sampled_from([k.value for k in Kind]),
    title=TITLES,
)
def test_every_text_is_one_gsm7_segment(
    kind, clinic, phone, day, ahead, stop_url, recheck_kind, title
):
    text = sms_text(
        Sms(
            kind=kind,
            clinic=clinic,
            phone=phone,
            day=day,
            today=day - timedelta(days=ahead),
            stop_url=stop_url,
            recheck_kind=recheck_kind if kind == "recheck_due" else "",
            recheck_title=title if kind == "recheck_due" else "",
        )
    )
    assert is_gsm7(text), [c for c in text if not is_gsm7(c)]
    assert segments(text) == 1, (septets(text), text)
    # What must never give way: the stop link, the date and the clinic's number.
    assert text.endswith(stop_url)
    assert f"{day:%-d %b}" in text
    number = " ".join(to_gsm7(phone).split()).strip()
    if number and len(number) <= 40:
        assert to_gsm7(phone).strip() in text


@pytest.mark.parametrize("kind", [k.value for k in Kind])
def test_each_planned_test_by_its_patient_name(kind):
    """Defect: the catalogue's 'Reticulocytes at day 7–10' carried an en dash, which made the
    whole text UCS-2 (70 characters a segment), and is a clinician's word."""
    text = sms_text(
        Sms(
            kind="recheck_due",
            clinic="Riverside Health Centre",
            phone="01632 960 000",
            day=date(2026, 12, 7),
            today=date(2026, 12, 5),
            stop_url="https://b12.example.org/r/abcdefghj",
            recheck_kind=kind,
            recheck_title=RECHECK_TITLES.get(kind, "Thyroid function (TSH) – annual"),
        )
    )
    assert is_gsm7(text) and segments(text) == 1
    assert "Riverside Health Centre: your " in text
    if kind in SHORT_TITLE:
        assert SHORT_TITLE[kind] in text
    assert "Mon 7 Dec" in text


def test_a_plain_reminder_reads_in_full():
    text = sms_text(
        Sms(
            kind="injection_due",
            clinic="Riverside Health Centre",
            phone="01632 960 000",
            day=date(2026, 12, 1),
            today=date(2026, 11, 30),
            stop_url="https://b12.example.org/r/abcdefghj",
        )
    )
    assert text == (
        "Riverside Health Centre: your B12 injection is due Tue 1 Dec. Can't make it? "
        "Call 01632 960 000. Stop texts: https://b12.example.org/r/abcdefghj"
    )


@pytest.mark.parametrize(
    "text, plain",
    [
        ("Reticulocytes at day 7–10", "Reticulocytes at day 7-10"),
        ("“Saint Mary’s”", '"Saint Mary\'s"'),
        ("Łódź Clinic", "Lodz Clinic"),
        ("Clínica São João", "Clinica Sao Joao"),
        ("Ærø Sundhed", "Ærø Sundhed"),  # in the GSM-7 alphabet already
        ("Dr. Müller 🩺", "Dr. Müller "),
        ("100 µg", "100 ug"),
    ],
)
def test_to_gsm7_keeps_what_it_can(text, plain):
    assert to_gsm7(text) == plain and is_gsm7(plain)


@given(st.text(), st.booleans())
@example("\u1900", False)  # LIMBU VOWEL-CARRIER LETTER: the name ends in "LETTER", it raised
@example("Ç", True)  # GSM-7 has "Ç" but not "ç": lowering what it wrote left a UCS-2 text
def test_any_text_a_clinic_types_comes_out_in_gsm7(text, lowered):
    assert is_gsm7(to_gsm7(text.lower() if lowered else text))


def test_a_recheck_title_typed_in_capitals_stays_in_gsm7():
    text = sms_text(
        Sms(
            kind="recheck_due",
            clinic="Riverside",
            phone="",
            day=date(2026, 1, 1),
            today=date(2026, 1, 1),
            stop_url="http://localhost:8000/r/222222222",
            recheck_kind="own",
            recheck_title="ÇA VA",
        )
    )
    assert is_gsm7(text) and "ca va is due" in text


def test_segments_count_the_way_phones_do():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # two septets each
    assert segments("–" + "a" * 69) == 1 and segments("–" + "a" * 70) == 2  # UCS-2
