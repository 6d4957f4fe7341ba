"""Who is in the simulated clinics and how they behave. Pure: no Django.

Every choice comes from one seeded random generator, drawn in a fixed order, so a seed replays
exactly. Lab values follow the response the clinical reference describes (responders) or its
absence (non-responders), with the scatter of a real laboratory.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

REGIMEN_CODES = (
    "uk_standard",
    "uk_neurological",
    "uk_prophylaxis",
    "uk_dietary",
    "us_label",
    "us_common",
    "us_weekly",
)
CAUSES = ("pernicious_anaemia", "malabsorption", "dietary", "medication", "unknown")
HB_RANGE = {"female": (Decimal(120), Decimal(160)), "male": (Decimal(135), Decimal(175))}


@dataclass
class Visit:
    """What the patient will do about one open dose."""

    kind: str  # clinic / early / did_not_attend / elsewhere / home
    on: date  # when it is given (or, for did_not_attend, the day it is missed)
    recorded_on: date | None = None  # elsewhere: when the clinic hears of it


@dataclass
class Person:
    number: int
    clinic: int  # index into the simulated clinics
    sex: str
    regimen: str
    cause: str
    response: str  # responder / non_responder / not_anaemic
    enrol_day: int
    email: bool
    sms: bool
    opt_out: tuple[int, str] | None  # (day, channel)
    self_injects: bool  # trained to inject at home once maintenance starts
    lab_attendance: float
    base_hb: Decimal
    weekly_rise: Decimal
    settles_at_hb: Decimal
    base_mcv: Decimal
    mcv_fall: Decimal
    base_retic: Decimal
    retic_peak: Decimal
    enrolled: bool = False
    log: list[str] = field(default_factory=list)
    visits: dict[str, Visit] = field(default_factory=dict)  # dose id -> what they will do
    lab_days: dict[str, date | None] = field(default_factory=dict)  # recheck window -> day
    returns_on: date | None = None  # back after a missed appointment
    restart_on: date | None = None  # a stopped plan prescribed again
    opted_out_at: datetime | None = None
    judged_on: date | None = None  # a count that shows a response (or its absence) was drawn
    first_injection: date | None = None  # the body's clock (pauses are weeks, not months)

    def injected(self, on: date) -> None:
        if self.first_injection is None:
            self.first_injection = on

    @property
    def record_number(self) -> str:
        return f"SIM-{self.number:04}"

    @property
    def names(self) -> tuple[str, str]:
        return (f"Given{self.number}", f"Family{self.number:04}")

    def note(self, day: date, text: str) -> None:
        self.log.append(f"{day:%a %-d %b %Y}: {text}")


def draw_person(rng: random.Random, number: int, *, clinics: int, enrol_within: int) -> Person:
    sex = rng.choice(("female", "male"))
    low = HB_RANGE[sex][0]
    response = rng.choices(("responder", "non_responder", "not_anaemic"), (80, 14, 6))[0]
    if response == "not_anaemic":
        base_hb = low + rng.randint(2, 25)
    elif response == "non_responder":
        base_hb = low - rng.randint(25, 55)
    else:
        base_hb = low - rng.randint(12, 55)
    # Normal by about 8 weeks: at least the deficit over 7 weeks of rising, 7-16 g/L a week.
    needed = (low + 5 - base_hb) / 7
    weekly = max(Decimal(rng.randint(7, 16)), needed.quantize(Decimal(1)) + 1)
    opt_out = None
    email, sms = rng.random() < 0.75, rng.random() < 0.4
    if (email or sms) and rng.random() < 0.12:
        opt_out = (
            rng.randint(5, 600),
            "sms" if sms and (not email or rng.random() < 0.5) else "email",
        )
    return Person(
        number=number,
        clinic=number % clinics,
        sex=sex,
        # Every template, in turn, then at random.
        regimen=REGIMEN_CODES[number] if number < len(REGIMEN_CODES) else rng.choice(REGIMEN_CODES),
        cause=rng.choice(CAUSES),
        response=response,
        enrol_day=rng.randint(0, enrol_within),
        email=email,
        sms=sms,
        opt_out=opt_out,
        self_injects=rng.random() < 0.15,
        lab_attendance=rng.choice((0.7, 0.85, 0.95, 1.0)),
        base_hb=base_hb,
        weekly_rise={"responder": weekly, "non_responder": Decimal(rng.randint(0, 2))}.get(
            response, Decimal(0)
        ),
        settles_at_hb=low + rng.randint(6, 25),
        base_mcv=Decimal(rng.randint(104, 118)) if response != "not_anaemic" else Decimal(92),
        mcv_fall=Decimal(rng.randint(18, 35)) / 10 if response == "responder" else Decimal(0),
        base_retic=Decimal(rng.randint(5, 10)) / 10,
        retic_peak=Decimal(rng.randint(35, 60)) / 10 if response == "responder" else Decimal(1),
    )


def choose_visit(
    rng: random.Random, person: Person, *, due: date, window: int, home: bool
) -> Visit:
    """On time, early, late, missed, given elsewhere or away for weeks: what a patient does
    about a dose due on `due`, decided once, when it first comes up."""
    if person.returns_on is not None and person.returns_on > due:
        back, person.returns_on = person.returns_on, None
        return Visit("home" if home else "clinic", back)
    person.returns_on = None
    roll = rng.random()
    if home:
        late = rng.randint(1, 6) if roll < 0.15 else 0
        return Visit("home", due + timedelta(days=late))
    if roll < 0.74:
        return Visit("clinic", due)
    if roll < 0.78 and window > 0:
        return Visit("early", due - timedelta(days=rng.randint(1, min(window, 2))))
    if roll < 0.87:
        return Visit("clinic", due + timedelta(days=rng.randint(1, 10)))
    if roll < 0.92:
        return Visit("did_not_attend", due)
    if roll < 0.95:
        return Visit("elsewhere", due, recorded_on=due + timedelta(days=rng.randint(1, 5)))
    return Visit("clinic", due + timedelta(days=rng.randint(15, 40)))


def hb(person: Person, day: int, rng: random.Random) -> Decimal:
    """Haemoglobin on plan day `day`: rising from the end of week 1, levelling off in range."""
    rising = person.weekly_rise * Decimal(max(day - 7, 0)) / 7
    true = person.base_hb + rising
    if person.response == "responder":
        true = min(true, person.settles_at_hb)
    elif person.response == "non_responder":
        # A slow drift up that never reaches the range: without a ceiling, two years of it
        # gave Hb 254 g/L, which the lab form rightly refuses as implausible.
        true = min(true, HB_RANGE[person.sex][0] - 3)
    return (true + rng.randint(-2, 2)).quantize(Decimal(1))


def mcv(person: Person, day: int, rng: random.Random) -> Decimal:
    true = max(person.base_mcv - person.mcv_fall * Decimal(max(day, 0)) / 7, Decimal(90))
    return (true + rng.randint(-1, 1)).quantize(Decimal(1))


def retic(person: Person, day: int, rng: random.Random) -> Decimal:
    """Reticulocytes (%): a peak about day 7 that has faded by day 21 (responders)."""
    rise = Decimal(0)
    if person.response == "responder" and day >= 3:
        rise = max(Decimal(0), 1 - abs(Decimal(day - 7)) / 14)
    factor = 1 + (person.retic_peak - 1) * rise
    if person.response == "non_responder":
        factor = Decimal(rng.randint(9, 12)) / 10
    return (person.base_retic * factor).quantize(Decimal("0.1"))
