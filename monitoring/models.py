from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .catalogue import Band
from .interpret import fmt, span
from .rechecks import Kind, State
from .rechecks import state as recheck_state


class AlertKind(models.TextChoices):
    ALLERGIC_REACTION = "allergic_reaction", "Allergic reaction to an injection"
    OVERDUE_INJECTION = "overdue_injection", "Injection overdue"
    LOW_POTASSIUM = "low_potassium", "Low potassium early in treatment"
    CRITICAL_RESULT = "critical_result", "Critical laboratory result"
    NEURO_WORSE = "neuro_worse", "Nerve symptoms worse"
    INADEQUATE_RESPONSE = "inadequate_response", "Inadequate response to treatment"


class Severity(models.TextChoices):
    URGENT = "urgent", "Urgent"
    WARNING = "warning", "Warning"


class Alert(models.Model):
    """Something a clinician must look at. Acknowledged alerts stay, with who and why."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "b12clinic.Patient", on_delete=models.PROTECT, related_name="alerts"
    )
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    dedupe_key = models.CharField(
        max_length=200, unique=True, help_text="The same problem never raises two alerts."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledgement_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | (
                    Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False)
                    & ~Q(acknowledgement_note="")
                ),
                name="alert_acknowledgement_complete",
            ),
        ]
        indexes = [
            # The clinician dashboard: open alerts.
            models.Index(
                fields=["severity", "-created_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="alert_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class LabTest(models.Model):
    """The catalogue (seeded from monitoring/catalogue.py). Units and factors are facts;
    ranges, bands and limits are defaults a clinic may change."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    loinc = models.CharField("LOINC codes", max_length=100, help_text="Comma-separated.")
    unit = models.CharField("canonical unit", max_length=20, blank=True)
    units = models.JSONField(
        default=dict, blank=True, help_text='Accepted units and their factor: {"pg/mL": "0.738"}.'
    )
    qualitative = models.BooleanField(default=False)
    bands = models.JSONField(default=list, blank=True)
    critical_low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    critical_high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    plausible_low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    plausible_high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    note = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(qualitative=True) | ~Q(unit=""), name="labtest_numeric_has_unit"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def factors(self) -> dict[str, Decimal]:
        return {unit: Decimal(str(factor)) for unit, factor in self.units.items()}

    def band_rules(self) -> list[Band]:
        return [
            Band(
                label=band["label"],
                limit=Decimal(str(band["limit"])) if band.get("limit") is not None else None,
                inclusive=bool(band.get("inclusive")),
            )
            for band in self.bands
        ]


class ReferenceRange(models.Model):
    """A normal range: the default (no clinic) or a clinic's own, for anyone or one sex."""

    test = models.ForeignKey(LabTest, on_delete=models.CASCADE, related_name="ranges")
    clinic = models.ForeignKey(
        "b12clinic.Clinic", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    sex = models.CharField(
        max_length=10, blank=True, choices=[("", "Anyone"), ("male", "Male"), ("female", "Female")]
    )
    low = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    high = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(low__isnull=False) | Q(high__isnull=False),
                name="range_has_a_limit",
            ),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=F("high")),
                name="range_low_not_above_high",
            ),
            models.UniqueConstraint(
                fields=["test", "sex"],
                condition=Q(clinic__isnull=True),
                name="range_one_default_per_sex",
            ),
            models.UniqueConstraint(
                fields=["test", "clinic", "sex"],
                condition=Q(clinic__isnull=False),
                name="range_one_per_clinic_and_sex",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test}: {span(self.low, self.high)} {self.test.unit}"


class Qualitative(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    EQUIVOCAL = "equivocal", "Equivocal"


class LabResult(models.Model):
    """One value from a laboratory. Never changed: a correction or an "entered in error" is a
    new row that replaces it, with a reason and an author."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "b12clinic.Patient", on_delete=models.PROTECT, related_name="results"
    )
    test = models.ForeignKey(LabTest, on_delete=models.PROTECT, related_name="results")
    sample = models.UUIDField(help_text="Results entered together share this.")
    collected_on = models.DateField()
    value_entered = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    unit_entered = models.CharField(max_length=20, blank=True)
    value = models.DecimalField(
        "canonical value", max_digits=18, decimal_places=6, null=True, blank=True
    )
    qualitative = models.CharField(max_length=10, blank=True, choices=Qualitative.choices)
    lab_low = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    lab_high = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    # The range the flag was judged against, kept so a later change of the default range
    # does not silently change what this result said.
    range_low = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    range_high = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    flag = models.CharField(max_length=15, blank=True)
    band = models.CharField(max_length=40, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    is_void = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["collected_on", "entered_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_void=True)
                | Q(value__isnull=False, value_entered__isnull=False, qualitative="")
                | (Q(value__isnull=True, value_entered__isnull=True) & ~Q(qualitative="")),
                name="result_numeric_or_qualitative",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0), name="result_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(reason=""),
                name="result_correction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(is_void=False) | Q(replaces__isnull=False, value__isnull=True),
                name="result_void_replaces_a_result",
            ),
            models.CheckConstraint(
                condition=Q(lab_low__isnull=True)
                | Q(lab_high__isnull=True)
                | Q(lab_low__lte=F("lab_high")),
                name="result_lab_range_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "test", "collected_on"], name="result_patient_test_idx")
        ]

    def __str__(self) -> str:
        return f"{self.test} {self.display_value} on {self.collected_on}"

    @property
    def display_value(self) -> str:
        if self.is_void:
            return "entered in error"
        if self.value_entered is None:
            return self.get_qualitative_display()
        return f"{fmt(self.value_entered)} {self.unit_entered}".strip()

    @property
    def display_canonical(self) -> str:
        if self.value is None:
            return self.get_qualitative_display()
        return f"{fmt(self.value.quantize(Decimal('0.001')))} {self.test.unit}".strip()

    @property
    def display_range(self) -> str:
        if self.lab_low is not None or self.lab_high is not None:
            return f"{span(self.lab_low, self.lab_high)} (laboratory)"
        return span(self.range_low, self.range_high)

    @property
    def flag_label(self) -> str:
        return self.flag.replace("_", " ") if self.flag not in ("", "normal", "negative") else ""


class RecheckStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Not needed"
    LAPSED = "lapsed", "Lapsed"


class Recheck(models.Model):
    """A planned test or review (monitoring/rechecks.py); due and overdue follow from the
    window and the date, so the stored status is only pending, done, cancelled or lapsed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "b12clinic.Patient", on_delete=models.PROTECT, related_name="rechecks"
    )
    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="rechecks")
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in Kind])
    title = models.CharField(max_length=100)
    tests = models.JSONField(default=list, blank=True, help_text="Catalogue codes.")
    purpose = models.TextField(blank=True)
    caveat = models.TextField(blank=True)
    opens = models.DateField()
    due_date = models.DateField()
    closes = models.DateField()
    status = models.CharField(
        max_length=10, choices=RecheckStatus.choices, default=RecheckStatus.PENDING
    )
    done_on = models.DateField(null=True, blank=True)
    done_note = models.CharField(max_length=200, blank=True)
    cancelled_reason = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lapses_on = models.DateField(
        null=True, blank=True, help_text="After this day its purpose has passed (first course)."
    )
    lapsed_on = models.DateField(null=True, blank=True)
    lapsed_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Every write sets it: the written schedule's cache key reads it
    # (monitoring/documents/schedule.py).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lte=F("due_date")) & Q(due_date__lte=F("closes")),
                name="recheck_window_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_on__isnull=False),
                name="recheck_done_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancelled_reason=""),
                name="recheck_cancel_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="lapsed") | (Q(lapsed_on__isnull=False) & ~Q(lapsed_reason="")),
                name="recheck_lapse_has_date_and_reason",
            ),
            models.CheckConstraint(
                condition=Q(lapses_on__isnull=True) | Q(lapses_on__gt=F("closes")),
                name="recheck_lapses_after_its_window",
            ),
            models.UniqueConstraint(
                fields=["plan", "kind", "due_date"],
                condition=~Q(status="cancelled"),
                name="recheck_once_per_plan_kind_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["closes"], condition=Q(status="pending"), name="recheck_pending_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} due {self.due_date}"

    def state(self, today: date) -> State:
        return recheck_state(
            status=self.status,
            opens=self.opens,
            closes=self.closes,
            today=today,
            lapses_on=self.lapses_on,
        )


class Answer(models.TextChoices):
    NONE = "none", "None"
    BETTER = "better", "Better"
    SAME = "same", "Same"
    WORSE = "worse", "Worse"


class SymptomCheckIn(models.Model):
    """How the patient feels, asked by a clinician or a nurse (often while giving a dose)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "b12clinic.Patient", on_delete=models.PROTECT, related_name="checkins"
    )
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="checkins"
    )
    dose = models.ForeignKey(
        "plans.Dose", on_delete=models.PROTECT, null=True, blank=True, related_name="checkins"
    )
    on_date = models.DateField()
    fatigue = models.CharField("tiredness", max_length=10, choices=Answer.choices)
    numbness = models.CharField("numbness or tingling", max_length=10, choices=Answer.choices)
    weakness = models.CharField(max_length=10, choices=Answer.choices)
    balance = models.CharField("balance or walking", max_length=10, choices=Answer.choices)
    vision = models.CharField(max_length=10, choices=Answer.choices)
    memory = models.CharField("memory or concentration", max_length=10, choices=Answer.choices)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    SYMPTOM_FIELDS = ("fatigue", "numbness", "weakness", "balance", "vision", "memory")

    class Meta:
        ordering = ["on_date", "recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    **{
                        f"{name}__in": [a.value for a in Answer]
                        for name in (
                            "fatigue",
                            "numbness",
                            "weakness",
                            "balance",
                            "vision",
                            "memory",
                        )
                    }
                ),
                name="checkin_answers_known",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.on_date}"

    def answers(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.SYMPTOM_FIELDS}


class ReminderKind(models.TextChoices):
    INJECTION_DUE = "injection_due", "Injection due"
    RECHECK_DUE = "recheck_due", "Blood test or review due"
    OVERDUE = "overdue", "Injection overdue (to the patient)"
    OVERDUE_CLINIC = "overdue_clinic", "Injection overdue (to the clinic)"
    NURSE_DIGEST = "nurse_digest", "Nurses' morning list"
    CLINICIAN_DIGEST = "clinician_digest", "Clinician's daily summary"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Reminder(models.Model):
    """The outbox: one message to send. Services write these rows in the transaction that
    changes what they remind about; Celery only delivers them (design.md, "Reminders")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    clinic = models.ForeignKey("b12clinic.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "b12clinic.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reminders",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member a digest goes to.",
    )
    dose = models.ForeignKey(
        "plans.Dose", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recheck = models.ForeignKey(
        Recheck, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    for_date = models.DateField(help_text="The day it is about: the dose, recheck or digest.")
    send_at = models.DateTimeField(help_text="When it was planned to go.")
    attempt_at = models.DateTimeField(help_text="When the next attempt may start.")
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient = models.CharField(max_length=254, blank=True, help_text="As sent.")
    provider_message_id = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-send_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claim__isnull=False, claimed_at__isnull=False),
                name="reminder_sending_is_claimed",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(last_error=""),
                name="reminder_failure_has_error",
            ),
            models.CheckConstraint(
                condition=Q(patient__isnull=False) | Q(user__isnull=False),
                name="reminder_has_someone_to_remind",
            ),
        ]
        indexes = [
            # The delivery query: due pending rows, oldest first.
            models.Index(
                fields=["attempt_at"],
                condition=Q(status="pending"),
                name="reminder_due_idx",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="reminder_sending_idx",
            ),
            models.Index(
                fields=["clinic", "-updated_at"],
                condition=Q(status="failed"),
                name="reminder_failed_idx",
            ),
            models.Index(fields=["patient", "-send_at"], name="reminder_patient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.channel} at {self.send_at:%Y-%m-%d %H:%M}"

    @property
    def message_id(self) -> str:
        """The same on every attempt, so a receiving server or a person can spot a repeat."""
        return f"<reminder.{self.pk}@{settings.REMINDER_MESSAGE_DOMAIN}>"
