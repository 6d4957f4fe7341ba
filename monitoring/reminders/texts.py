"""What a text message says, in one SMS segment of the GSM-7 alphabet. Pure: no Django.

A reminder that runs to two or three segments costs two or three times as much and can arrive
in pieces; one character outside GSM-7 (an en dash in a test's name) makes it UCS-2, 70
characters a segment. So every part is written in GSM-7, and when the whole would not fit,
the least needed words give way first: "texts" in the stop link, a long test name, the end of
the clinic's name, courtesy words, the date's weekday, then "your". The date, the clinic's
number and the stop link always stay.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from monitoring.rules.gsm7 import SEGMENT_SEPTETS, fit, septets, to_gsm7
from plans.rules.dates import short_date

# Each planned test as a patient would call it, short enough for a text.
SHORT_TITLE = {
    "baseline": "blood test before treatment",
    "potassium_48h": "potassium blood test",
    "retics_day7": "blood test for new red cells",
    "fbc_8w": "blood count at 8 weeks",
    "symptom_review_3m": "review of how you feel",
    "fbc_yearly": "yearly blood count",
    "serum_b12": "B12 blood test",
}
ANY_TEST = "blood test or review"
LONGEST_OWN_TITLE = 40
SHORTEST_NAME = 12


@dataclass(frozen=True)
class Sms:
    kind: str  # injection_due / overdue / recheck_due / recall
    clinic: str
    phone: str
    day: date
    today: date
    stop_url: str
    recheck_kind: str = ""
    recheck_title: str = ""
    batch: str = ""


@dataclass(frozen=True)
class _Words:
    name: str
    title: str
    stop: str = "Stop texts: "
    sorry: bool = True  # "Can't make it?" / "Please"
    weekday: bool = True  # "Thu 1 Jan 2026" / "1 Jan 2026"
    your: bool = True  # "your B12 injection" / "B12 injection"


def sms_text(message: Sms) -> str:
    phone = to_gsm7(message.phone).strip() or "the clinic"
    # Lower case first: GSM-7 has "Ç" but not "ç", so lowering what it wrote can leave it.
    title = SHORT_TITLE.get(message.recheck_kind) or to_gsm7(message.recheck_title.lower()).strip()
    if not title or len(title) > LONGEST_OWN_TITLE:
        title = ANY_TEST
    words = _Words(name=" ".join(to_gsm7(message.clinic).split()), title=title)

    def write(w: _Words) -> str:
        head = f"{w.name}: " if w.name else ""
        your = "your " if w.your else ""
        when = short_date(message.day, today=message.today, weekday=w.weekday)
        stop = f" {w.stop}{message.stop_url}"
        if message.kind == "recall":
            call = f"Please call {phone}." if w.sorry else f"Call {phone}."
            batch = to_gsm7(message.batch).strip()
            body = f"a batch of B12 injection you were given ({batch}) has been recalled. {call}"
        elif message.kind == "overdue":
            call = f"Please call {phone}." if w.sorry else f"Call {phone}."
            body = f"{your}B12 injection due {when} is overdue. {call}"
        elif message.kind == "recheck_due":
            call = f"Book it or call {phone}." if w.sorry else f"Call {phone}."
            body = f"{your}{w.title} is due around {when}. {call}"
        else:
            call = f"Can't make it? Call {phone}." if w.sorry else f"Call {phone}."
            body = f"{your}B12 injection is due {when}. {call}"
        if not head:
            body = body[0].upper() + body[1:]
        return head + body + stop

    def room_for_name(w: _Words) -> int:
        return SEGMENT_SEPTETS - septets(write(replace(w, name="")))

    # What gives way, in order, while the text is too long.
    steps = (
        lambda w: replace(w, stop="Stop: "),
        lambda w: replace(w, title=ANY_TEST) if w.title not in SHORT_TITLE.values() else w,
        lambda w: replace(w, name=fit(w.name, max(room_for_name(w) - 2, SHORTEST_NAME))),
        lambda w: replace(w, sorry=False),
        lambda w: replace(w, name=fit(w.name, room_for_name(w) - 2)),
        lambda w: replace(w, title="blood test"),
        # A number of 40 characters and the longest site address leave no room for the weekday.
        lambda w: replace(w, weekday=False),
        # And, with a 40-character number too, no room for "your" (found by hypothesis).
        lambda w: replace(w, your=False),
    )
    text = write(words)
    for step in steps:
        if septets(text) <= SEGMENT_SEPTETS:
            break
        words = step(words)
        if len(words.name) < 3:
            words = replace(words, name="")
        text = write(words)
    return text
