from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

from .. import dosing, schedule
from ..ids import ordered_uuid
from ..regimens import REGIMEN_CHOICES

WEEKDAY_DIGITS = RegexValidator(
    r"^(?!.*(.).*\1)[0-6]{1,7}$", "Use the digits 0 (Monday) to 6 (Sunday), each at most once."
)
PHONE = RegexValidator(
    r"^\+?[0-9 ()-]{6,20}$", "Enter a phone number of digits, spaces and an optional leading +."
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone, e.g. Europe/London.")


def weekdays_from_digits(digits: str) -> frozenset[int]:
    return frozenset(int(d) for d in digits)


class Clinic(models.Model):
    """A place that gives injections; its calendar and time zone govern every date shown."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    open_weekdays = models.CharField(
        max_length=7,
        default="01234",
        validators=[WEEKDAY_DIGITS],
        help_text="Days the clinic gives injections: 0 = Monday … 6 = Sunday.",
    )
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="clinics", blank=True)
    overdue_alert_days = models.PositiveSmallIntegerField(
        default=7,
        help_text="Alert the clinician when a neurological or pernicious-anaemia patient's "
        "injection is overdue by more than this many days.",
    )
    on_time_window_days = models.PositiveSmallIntegerField(
        default=3, help_text="A dose given up to this many days after its due date is on time."
    )
    recheck_serum_b12 = models.BooleanField(
        "plan a serum B12 recheck",
        default=False,
        help_text="UK guidance advises against retesting serum B12 routinely once injections "
        "start; some clinics recheck it to confirm repletion.",
    )
    require_second_factor = models.BooleanField(
        default=False,
        help_text="Staff must pass a one-time code (an authenticator app) after their password.",
    )
    paper_size = models.CharField(
        max_length=6,
        choices=[("A4", "A4"), ("Letter", "US Letter")],
        default="A4",
        help_text="Page size of the written schedule.",
    )
    quiet_from = models.TimeField(
        "no reminders from", default=time(21, 0), help_text="Clinic time; held until quiet ends."
    )
    quiet_until = models.TimeField("no reminders until", default=time(8, 0))
    overdue_reminder_days = models.PositiveSmallIntegerField(
        default=2, help_text="Remind the patient and the clinic this many days after a missed dose."
    )
    nurse_digest_hour = models.PositiveSmallIntegerField(
        default=7,
        validators=[MaxValueValidator(23)],
        help_text="Nurses' morning email, clinic time.",
    )
    clinician_digest_hour = models.PositiveSmallIntegerField(
        default=8, validators=[MaxValueValidator(23)]
    )
    severe_anaemia_hb = models.PositiveSmallIntegerField(
        "severe anaemia below (g/L)",
        default=80,
        help_text="A baseline haemoglobin below this plans a potassium check within 48 hours.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(open_weekdays=""), name="clinic_has_an_open_weekday"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def closed_weekdays(self) -> frozenset[int]:
        return frozenset(range(7)) - weekdays_from_digits(self.open_weekdays)


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not recorded"


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    record_number = models.CharField(
        "hospital/record number", max_length=40, help_text="Unique within the clinic."
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[PHONE])
    reminder_email = models.BooleanField("email reminders", default=False)
    reminder_sms = models.BooleanField("text message reminders", default=False)
    reminder_lead_days = models.PositiveSmallIntegerField(
        "remind this many days before",
        default=1,
        validators=[MaxValueValidator(14)],
        help_text="Injection and recheck reminders are sent this many days before the date.",
    )
    reminder_hour = models.PositiveSmallIntegerField(
        "remind at (hour)",
        default=9,
        validators=[MaxValueValidator(23)],
        help_text="Hour of the day, clinic time.",
    )
    reminders_opted_out_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the patient used an opt-out link."
    )
    allergies = models.TextField(blank=True)
    cobalt_or_b12_sensitivity = models.BooleanField("sensitivity to cobalt or B12", default=False)
    leber_optic_neuropathy = models.BooleanField(
        "Leber's hereditary optic neuropathy", default=False
    )
    pregnant_or_breastfeeding = models.BooleanField(default=False)
    other_conditions = models.TextField("other relevant conditions", blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient_record",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "record_number"], name="patient_record_number_unique_in_clinic"
            ),
            models.CheckConstraint(
                condition=~Q(record_number="") & ~Q(given_name="") & ~Q(family_name=""),
                name="patient_identifiers_not_blank",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "family_name", "given_name"], name="patient_name_idx"),
            models.Index(fields=["clinic", "date_of_birth"], name="patient_dob_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name.upper()}, {self.given_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def facts(self) -> dosing.PatientFacts:
        return dosing.PatientFacts(
            cobalt_or_b12_sensitivity=self.cobalt_or_b12_sensitivity,
            leber_optic_neuropathy=self.leber_optic_neuropathy,
        )


class Product(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=60, unique=True)
    generic_name = models.CharField(max_length=100)
    strength_mcg_per_ml = models.PositiveIntegerField("strength (mcg per mL)")
    licensed_routes = models.CharField(max_length=20, help_text="Comma-separated, e.g. IM,SC.")
    is_cyanocobalamin = models.BooleanField(default=False)
    usual_min_dose_mcg = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["generic_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(strength_mcg_per_ml__gt=0), name="product_strength_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.generic_name.capitalize()} {self.strength_display} ({self.routes_display})"

    @property
    def strength_display(self) -> str:
        return f"{dosing.format_mcg(self.strength_mcg_per_ml)}/mL"

    @property
    def routes(self) -> frozenset[dosing.Route]:
        return frozenset(dosing.Route(r.strip()) for r in self.licensed_routes.split(",") if r)

    @property
    def routes_display(self) -> str:
        return " or ".join(sorted(r.value for r in self.routes))

    def facts(self) -> dosing.ProductFacts:
        return dosing.ProductFacts(
            code=self.code,
            generic_name=self.generic_name,
            strength_mcg_per_ml=self.strength_mcg_per_ml,
            licensed_routes=self.routes,
            is_cyanocobalamin=self.is_cyanocobalamin,
        )


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class Cause(models.TextChoices):
    PERNICIOUS_ANAEMIA = "pernicious_anaemia", "Pernicious anaemia / autoimmune gastritis"
    MALABSORPTION = "malabsorption", "Malabsorption (gastrectomy, bariatric, ileal, Crohn's)"
    DIETARY = "dietary", "Dietary (vegan, poor diet)"
    MEDICATION = "medication", "Medication (metformin, PPI/H2, colchicine, topiramate)"
    NITROUS_OXIDE = "nitrous_oxide", "Nitrous oxide"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not yet known"


class Plan(models.Model):
    """A prescription over time. What is prescribed lives in its versions; doses hang off it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    allow_concurrent = models.BooleanField(
        default=False, help_text="Allow this plan to run alongside another active plan."
    )
    current = models.OneToOneField(
        "PlanVersion", on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active", allow_concurrent=False),
                name="one_active_plan_per_patient",
            ),
            models.CheckConstraint(
                condition=(Q(status="active") & Q(ended_at__isnull=True))
                | (~Q(status="active") & Q(ended_at__isnull=False) & ~Q(end_reason="")),
                name="plan_end_has_time_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan for {self.patient} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status == PlanStatus.ACTIVE


class Indication(models.TextChoices):
    DEFICIENCY = dosing.Indication.DEFICIENCY, "B12 deficiency"
    LEBER_OPTIC_ATROPHY = dosing.Indication.LEBER_OPTIC_ATROPHY, "Leber's optic atrophy"
    TOBACCO_AMBLYOPIA = dosing.Indication.TOBACCO_AMBLYOPIA, "Tobacco amblyopia"


class PlanVersion(models.Model):
    """One version of what was prescribed. Never edited: amending adds the next version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    regimen = models.CharField(max_length=30, choices=REGIMEN_CHOICES)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    dose_mcg = models.PositiveIntegerField("dose (micrograms)")
    dose_amount = models.DecimalField(max_digits=12, decimal_places=4)
    dose_unit = models.CharField(max_length=4)
    route = models.CharField(
        max_length=2, choices=[(r.value, dosing.ROUTE_LABELS[r]) for r in dosing.Route]
    )
    cause = models.CharField(max_length=30, choices=Cause.choices)
    neurological = models.BooleanField("neurological involvement")
    self_administered = models.BooleanField(
        "given at home",
        default=False,
        help_text="The patient or a carer gives the injections at home and records them.",
    )
    indication = models.CharField(
        max_length=30, choices=Indication.choices, default=Indication.DEFICIENCY
    )
    start_date = models.DateField()
    review_date = models.DateField(null=True, blank=True)
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True, help_text="Why this version replaced the previous one.")
    warnings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique"),
            models.CheckConstraint(condition=Q(dose_mcg__gt=0), name="plan_dose_positive"),
            models.CheckConstraint(condition=Q(number__gte=1), name="plan_version_from_one"),
            models.CheckConstraint(
                condition=Q(number=1) | ~Q(reason=""), name="plan_amendment_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(review_date__isnull=True) | Q(review_date__gte=F("start_date")),
                name="plan_review_not_before_start",
            ),
            models.CheckConstraint(condition=~Q(route="IV"), name="plan_route_never_iv"),
        ]

    def __str__(self) -> str:
        return f"Version {self.number}"

    @property
    def dose_display(self) -> str:
        return f"{dosing.format_amount(self.dose_amount)} {self.dose_unit}"


class Phase(models.Model):
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="phases")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(
        max_length=12, choices=[(k.value, k.value.capitalize()) for k in schedule.PhaseKind]
    )
    unit = models.CharField(
        max_length=10,
        choices=[
            (schedule.IntervalUnit.DAYS.value, "Every N days"),
            (schedule.IntervalUnit.WEEKDAYS.value, "On chosen weekdays"),
            (schedule.IntervalUnit.WEEKS.value, "Every N weeks"),
            (schedule.IntervalUnit.MONTHS.value, "Every N months"),
        ],
    )
    every = models.PositiveSmallIntegerField(default=1)
    weekdays = models.CharField(max_length=7, blank=True)
    end_rule = models.CharField(
        max_length=12,
        choices=[
            (schedule.EndRule.AFTER_DOSES.value, "After a number of doses"),
            (schedule.EndRule.ON_DATE.value, "On a date"),
            (schedule.EndRule.AT_REVIEW.value, "At clinician review"),
            (schedule.EndRule.NEVER.value, "Never (for life)"),
        ],
    )
    doses = models.PositiveSmallIntegerField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    start_on = models.DateField(null=True, blank=True)
    min_interval_days = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "order"], name="phase_order_unique"),
            models.CheckConstraint(condition=Q(every__gte=1), name="phase_interval_positive"),
            models.CheckConstraint(condition=Q(min_interval_days__gte=1), name="phase_min_gap"),
            models.CheckConstraint(
                condition=~Q(end_rule="after_doses") | Q(doses__gte=1),
                name="phase_dose_count_when_counted",
            ),
            models.CheckConstraint(
                condition=~Q(end_rule="on_date") | Q(end_date__isnull=False),
                name="phase_end_date_when_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.order + 1}: {self.describe()}"

    @classmethod
    def from_rule(cls, *, version: PlanVersion, order: int, rule: schedule.PhaseRule) -> Phase:
        return cls(
            version=version,
            order=order,
            kind=rule.kind.value,
            unit=rule.unit.value,
            every=rule.every,
            weekdays="".join(str(d) for d in sorted(rule.weekdays)),
            end_rule=rule.end.value,
            doses=rule.doses,
            end_date=rule.end_date,
            start_on=rule.start_on,
            min_interval_days=rule.min_interval,
        )

    def rule(self) -> schedule.PhaseRule:
        return schedule.PhaseRule(
            kind=schedule.PhaseKind(self.kind),
            unit=schedule.IntervalUnit(self.unit),
            every=self.every,
            weekdays=weekdays_from_digits(self.weekdays),
            end=schedule.EndRule(self.end_rule),
            doses=self.doses,
            end_date=self.end_date,
            start_on=self.start_on,
            min_interval_days=self.min_interval_days,
        )

    def describe(self) -> str:
        return schedule.describe_phase(self.rule())


class PlanOverride(models.Model):
    """A dose-safety rule a prescriber overrode: who, why and when."""

    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="overrides")
    code = models.CharField(max_length=40)
    message = models.TextField()
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
            models.UniqueConstraint(fields=["version", "code"], name="override_once_per_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"


class DoseStatus(models.TextChoices):
    DUE = "due", "Due"
    GIVEN = "given", "Given"
    NOT_GIVEN = "not_given", "Not given"
    CANCELLED = "cancelled", "Cancelled"


class Dose(models.Model):
    """One scheduled injection. Materialised ahead for a rolling horizon."""

    id = models.UUIDField(primary_key=True, default=ordered_uuid, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="doses")
    # The patient's clinic, copied so the day list reads one clinic's slice of this table
    # however many clinics share it. A patient never moves clinic (no service changes it).
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="scheduled_doses")
    sequence = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=DoseStatus.choices, default=DoseStatus.DUE)
    given_on = models.DateField(null=True, blank=True)
    cancelled_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "phase", "sequence"],
                condition=~Q(status="cancelled"),
                name="dose_unique_live_per_phase_sequence",
            ),
            models.CheckConstraint(
                condition=Q(status="given", given_on__isnull=False)
                | (~Q(status="given") & Q(given_on__isnull=True)),
                name="dose_given_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancelled_reason=""),
                name="dose_cancel_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "due_date"], name="dose_plan_due_idx"),
            # For the day list (plans.selectors.day_list): a clinic's undone doses up to a date,
            # and what it gave on a date, are small slices of the table however big it grows.
            models.Index(
                fields=["clinic", "due_date"],
                condition=Q(status="due"),
                name="dose_undone_by_due_idx",
            ),
            models.Index(
                fields=["clinic", "given_on"],
                condition=Q(status="given"),
                name="dose_given_by_day_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Dose {self.sequence} due {self.due_date}"

    def is_overdue(self, today: date) -> bool:
        return self.status == DoseStatus.DUE and self.due_date < today

    def display_status(self, today: date) -> str:
        if self.is_overdue(today):
            return "overdue"
        return self.status
