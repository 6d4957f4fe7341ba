"""Clinics, their patients and the medicines they give: what every part of the clinic needs."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from ..medicines import Route, format_mcg
from ..phones import E164, E164_PATTERN, shown, validate_country

WEEKDAY_DIGITS = RegexValidator(
    r"^(?!.*(.).*\1)[0-6]{1,7}$", "Use the digits 0 (Monday) to 6 (Sunday), each at most once."
)
# The check before numbers were read with phonenumbers; old migrations still name it.
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
    country = models.CharField(
        max_length=2,
        default="GB",
        validators=[validate_country],
        help_text="Two letters (GB, IE, US): patients' phone numbers are read as dialled here.",
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
        db_table = "plans_clinic"  # made by the plans app, before the kernel held it
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


def listed_name(family_name: str, given_name: str) -> str:
    """A patient as lists show them, family name first: 'QUINN, Nora'."""
    return f"{family_name.upper()}, {given_name}"


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
    phone = models.CharField(
        "mobile number",
        max_length=20,
        blank=True,
        validators=[E164],
        help_text="As you would dial it; a number from abroad with its country code.",
    )
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
        db_table = "plans_patient"
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "record_number"], name="patient_record_number_unique_in_clinic"
            ),
            models.CheckConstraint(
                condition=~Q(record_number="") & ~Q(given_name="") & ~Q(family_name=""),
                name="patient_identifiers_not_blank",
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=E164_PATTERN),
                name="patient_phone_e164",
                violation_error_message="The phone number is not in international (E.164) form.",
            ),
            models.CheckConstraint(
                condition=Q(reminder_sms=False) | ~Q(phone=""),
                name="patient_texts_need_a_number",
                violation_error_message="Text message reminders need a mobile number.",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "family_name", "given_name"], name="patient_name_idx"),
            models.Index(fields=["clinic", "date_of_birth"], name="patient_dob_idx"),
        ]

    def __str__(self) -> str:
        return listed_name(self.family_name, self.given_name)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def phone_shown(self) -> str:
        """The mobile number as people read it: "07400 123456" at home, "+1 202-555-0143"
        from abroad."""
        return shown(self.phone, country=self.clinic.country)


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
        db_table = "plans_product"
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
        return f"{format_mcg(self.strength_mcg_per_ml)}/mL"

    @property
    def routes(self) -> frozenset[Route]:
        return frozenset(Route(r.strip()) for r in self.licensed_routes.split(",") if r)

    @property
    def routes_display(self) -> str:
        return " or ".join(sorted(r.value for r in self.routes))
