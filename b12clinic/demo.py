"""Demo data for `make run`: one clinic and a user per role. Running it again changes nothing."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from b12clinic.core.models import Clinic, Patient, Product
from monitoring.models import SymptomCheckIn
from monitoring.services.alerts import alerts_raise_overdue
from monitoring.services.checkins import checkin_add
from monitoring.services.labs import Entry, lab_results_add
from monitoring.services.rechecks import rechecks_lapse
from plans.day_list import dose_row
from plans.materialise import doses_extend
from plans.models import DoseStatus, Plan, StockBatch
from plans.recording.given import dose_record_given
from plans.rules import dosing
from plans.rules.regimens import REGIMENS
from plans.services.patients import patient_create
from plans.services.prescriptions import Prescription, plan_create
from plans.stock.services import stock_batch_add

from .core.roles import CLINIC_ADMIN, CLINICIAN, NURSE, PATIENT

DEMO_PASSWORD = "b12demo"
DEMO_CLINIC_NAME = "Riverside Health Centre (demo)"
DEMO_BATCH = "HX4417B"
# The demo clinic's shelf, by days from today: (product, batch, received, expiry). The batch its
# past doses were given from runs out soon; a newer one came in this week; an old
# cyanocobalamin batch has expired and waits to be taken out.
DEMO_STOCK: tuple[tuple[str, str, int, int], ...] = (
    ("hydroxocobalamin-1mg-ml", DEMO_BATCH, -400, 25),
    ("hydroxocobalamin-1mg-ml", "HX5602A", -5, 700),
    ("cyanocobalamin-1000mcg-ml", "CY3391K", -400, -10),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    staff_of_clinic: bool


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("clinician", CLINICIAN, "Asha", "Patel", True),
    DemoUser("nurse", NURSE, "Tom", "Okafor", True),
    DemoUser("patient", PATIENT, "Margaret", "Hughes", False),
    DemoUser("admin", CLINIC_ADMIN, "Ruth", "Evans", True),
)


@dataclass(frozen=True)
class DemoSummary:
    clinic: Clinic
    created: tuple[str, ...]


@dataclass(frozen=True)
class DemoPatient:
    record_number: str
    given_name: str
    family_name: str
    born: date
    sex: str
    regimen: str
    cause: str
    started_days_ago: int
    given_until_days_ago: int | None  # doses due up to this many days ago were given
    user: str | None = None
    # Leave the latest dose due before today unrecorded, so it is overdue on any weekday.
    latest_left_open: bool = False
    cobalt_sensitivity: bool = False
    allergies: str = ""


DEMO_PATIENTS: tuple[DemoPatient, ...] = (
    # New: starts today.
    DemoPatient(
        "RV-1001",
        "Margaret",
        "Hughes",
        date(1958, 3, 14),
        "female",
        "uk_standard",
        "pernicious_anaemia",
        0,
        None,
        user="patient",
    ),
    # Mid-loading: a week in.
    DemoPatient(
        "RV-1002", "Daniel", "Price", date(1979, 9, 2), "male", "uk_standard", "dietary", 7, 1
    ),
    # Neurological loading on alternate days: a dose due today, review due today.
    DemoPatient(
        "RV-1003",
        "Priya",
        "Shah",
        date(1966, 11, 20),
        "female",
        "uk_neurological",
        "pernicious_anaemia",
        20,
        1,
    ),
    # Long-term maintenance after a gastrectomy: the last dose is 11 days overdue.
    DemoPatient(
        "RV-1004",
        "George",
        "Mills",
        date(1949, 6, 8),
        "male",
        "uk_prophylaxis",
        "malabsorption",
        375,
        20,
    ),
    # Cobalt allergy: hydroxocobalamin only. Her latest loading dose is overdue.
    DemoPatient(
        "RV-1005",
        "Aisha",
        "Bello",
        date(1985, 1, 30),
        "female",
        "uk_standard",
        "medication",
        14,
        1,
        latest_left_open=True,
        cobalt_sensitivity=True,
        allergies="Cobalt (contact dermatitis)",
    ),
    # Pernicious anaemia, first maintenance dose missed: overdue past the alert limit.
    DemoPatient(
        "RV-1006",
        "Edward",
        "Clarke",
        date(1952, 4, 17),
        "male",
        "uk_standard",
        "pernicious_anaemia",
        120,
        30,
    ),
)


def _review_date(review: date | None, today: date) -> date | None:
    """A demo plan's review is never in the past."""
    return max(review, today) if review else None


def _seed_patient(demo: DemoPatient, clinic: Clinic, clinician: User, today: date) -> None:
    if Patient.objects.filter(clinic=clinic, record_number=demo.record_number).exists():
        return
    patient = patient_create(
        clinic=clinic,
        by=clinician,
        today=today,
        record_number=demo.record_number,
        given_name=demo.given_name,
        family_name=demo.family_name,
        date_of_birth=demo.born,
        sex=demo.sex,
        email=f"{demo.given_name.lower()}.{demo.family_name.lower()}@example.org",
        reminder_email=True,
        cobalt_or_b12_sensitivity=demo.cobalt_sensitivity,
        allergies=demo.allergies,
    )
    if demo.user:
        patient.user = User.objects.get(username=demo.user)
        patient.save(update_fields=["user"])
    regimen = REGIMENS[demo.regimen]
    product = Product.objects.get(code=regimen.product)
    start = today - timedelta(days=demo.started_days_ago)
    prescription = Prescription(
        regimen=regimen.code,
        product=product,
        dose=dosing.parse_dose(regimen.dose_text, strength_mcg_per_ml=product.strength_mcg_per_ml),
        route=dosing.Route(regimen.route),
        cause=demo.cause,
        neurological=regimen.neurological,
        start_date=start,
        review_date=_review_date(regimen.review_date(start), today),
        phases=regimen.phases,
    )
    # Prescribed on its start date, as it really was.
    plan = plan_create(
        patient=patient, prescriber=clinician, prescription=prescription, today=start
    )
    if demo.given_until_days_ago is not None:
        until = today - timedelta(days=demo.given_until_days_ago)
        if demo.latest_left_open:
            latest = plan.doses.filter(due_date__lt=today).order_by("-due_date").first()
            if latest is not None:
                until = min(until, latest.due_date - timedelta(days=1))
        _give_past_doses(plan, until=until, expiry=today + timedelta(days=DEMO_STOCK[0][3]))
    doses_extend(plan_ids=[plan.id], today=today)
    _add_monitoring(patient, start=start, clinician=clinician, today=today)


# Results by plan day (negative: before the first dose) and check-ins, chosen to show each
# verdict: Priya responding, Edward not responding (low folate and iron), Daniel's low
# potassium after a severe anaemia, Aisha's worse numbness today.
S = Entry
DEMO_LABS: dict[str, list[tuple[int, list[Entry]]]] = {
    "RV-1003": [
        (
            -1,
            [
                S("hb", D(88)),
                S("mcv", D(114)),
                S("retic_pct", D("0.7")),
                S("b12", D(95)),
                S("folate", D("6.8")),
                S("ferritin", D(60)),
                S("ifab", qualitative="positive"),
            ],
        ),
        (8, [S("retic_pct", D("4.5"))]),
    ],
    "RV-1006": [
        (
            -2,
            [
                S("hb", D("9.2"), "g/dL"),
                S("mcv", D(110)),
                S("retic_pct", D("0.9")),
                S("b12", D(300), "pg/mL"),
                S("folate", D("2.9")),
                S("ferritin", D(12)),
            ],
        ),
        (9, [S("retic_pct", D("1.0"))]),
        (60, [S("hb", D(98)), S("mcv", D(106)), S("retic_pct", D("1.1"))]),
    ],
    "RV-1002": [
        (0, [S("hb", D(72)), S("mcv", D(118)), S("retic_pct", D("0.6")), S("b12", D(70))]),
        (1, [S("potassium", D("3.1"))]),
    ],
}
DEMO_CHECKINS: dict[str, list[tuple[int, dict[str, str]]]] = {
    "RV-1003": [(14, {"numbness": "better", "balance": "same", "fatigue": "better"})],
    "RV-1005": [(14, {"numbness": "worse", "fatigue": "same"})],
}


def _add_monitoring(patient: Patient, *, start: date, clinician: User, today: date) -> None:
    for day, entries in DEMO_LABS.get(patient.record_number, []):
        lab_results_add(
            patient=patient,
            entries=entries,
            collected_on=start + timedelta(days=day),
            by=clinician,
            today=today,
        )
    calm = dict.fromkeys(SymptomCheckIn.SYMPTOM_FIELDS, "none")
    for day, answers in DEMO_CHECKINS.get(patient.record_number, []):
        checkin_add(
            patient=patient,
            answers=calm | answers,
            on=start + timedelta(days=day),
            by=User.objects.get(username="nurse"),
            today=today,
        )


def _give_past_doses(plan: Plan, *, until: date, expiry: date) -> None:
    """Record the doses due up to `until` as the demo nurse gave them, at 10:00 on the day,
    rotating sites as the day list suggests."""
    nurse = User.objects.get(username="nurse")
    zone = plan.patient.clinic.zone
    while True:
        dose = (
            plan.doses.filter(status=DoseStatus.DUE, due_date__lte=until)
            .order_by("due_date")
            .first()
        )
        if dose is None:
            return
        row = dose_row(dose=dose, day=dose.due_date)
        assert row is not None
        at = datetime.combine(dose.due_date, time(10, 0), tzinfo=zone)
        dose_record_given(
            dose=dose,
            by=nurse,
            given_at=at,
            now=at,
            site=row.suggested.site,
            side=row.suggested.side,
            batch=DEMO_BATCH,
            expiry=expiry,
            identity_confirmed=True,
            allergies_checked=True,
        )


def _seed_stock(clinic: Clinic, nurse: User, *, now: datetime, today: date) -> None:
    for code, batch, received, expires in DEMO_STOCK:
        product = Product.objects.get(code=code)
        if StockBatch.objects.filter(clinic=clinic, product=product, batch=batch).exists():
            continue
        received_on = today + timedelta(days=received)
        stock_batch_add(
            clinic=clinic,
            by=nurse,
            product=product,
            batch=batch,
            expiry=today + timedelta(days=expires),
            received_on=received_on,
            quantity=None if expires < 0 else 50,
            now=now,
            today=received_on,  # entered when it came in
        )


@transaction.atomic
def demo_seed(*, now: datetime | None = None) -> DemoSummary:
    """Seed as of `now` (default: the clock): patients' stages are counted back from it."""
    now = now or timezone.now()
    clinic, _ = Clinic.objects.get_or_create(
        name=DEMO_CLINIC_NAME,
        defaults={
            "time_zone": "Europe/London",
            # Open every day, so the demo always has injections due today.
            "open_weekdays": "0123456",
            "address": "12 River Street\nRiverside RV1 2AB",
            "phone": "01632 960 000",
            "email": "riverside.clinic@example.org",
        },
    )
    created: list[str] = []
    for demo in DEMO_USERS:
        user, was_created = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "first_name": demo.first_name,
                "last_name": demo.last_name,
                "email": f"{demo.username}@example.org",
                "is_staff": demo.role == CLINIC_ADMIN,
                "is_superuser": demo.role == CLINIC_ADMIN,
            },
        )
        if was_created:
            # Only on creation: re-hashing on every run would change the row each time.
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            created.append(demo.username)
        # get_or_create: the role groups come from a migration, but a flushed test database
        # (or a hand-deleted group) should not break the demo.
        group, _ = Group.objects.get_or_create(name=demo.role)
        user.groups.add(group)
        if demo.staff_of_clinic:
            clinic.staff.add(user)
    clinician = User.objects.get(username="clinician")
    today = timezone.localdate(now, timezone=clinic.zone)
    for patient in DEMO_PATIENTS:
        _seed_patient(patient, clinic, clinician, today)
    _seed_stock(clinic, User.objects.get(username="nurse"), now=now, today=today)
    alerts_raise_overdue(now=now)
    rechecks_lapse(now=now)
    return DemoSummary(clinic=clinic, created=tuple(created))
