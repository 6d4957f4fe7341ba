from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from b12clinic.core.medicines import ROUTE_LABELS, Route
from b12clinic.core.models import Clinic, Patient, Product, weekdays_from_digits
from plans.rules import dosing, schedule
from plans.rules.regimens import REGIMEN_CHOICES

from ..ids import ordered_uuid


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

    @property
    def version(self) -> PlanVersion:
        """What is prescribed now. Every saved plan has it: `plan_create` sets it in the
        transaction that made the plan, and the column is empty only inside that transaction."""
        current = self.current
        assert current is not None, f"plan {self.pk} has no current version"
        return current


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
    route = models.CharField(max_length=2, choices=[(r.value, ROUTE_LABELS[r]) for r in Route])
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
        return dosing.format_dose(self.dose_amount, self.dose_unit)


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
            # For the day list (plans.day_list): a clinic's undone doses up to a date,
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
