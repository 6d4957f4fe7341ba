"""The lab catalogue, reference ranges and results."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from monitoring.rules.catalogue import Band
from monitoring.rules.interpret import fmt, span


class LabTest(models.Model):
    """The catalogue (seeded from monitoring/rules/catalogue.py). Units and factors are facts;
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

    @property
    def loinc_code(self) -> str:
        """The code of a value in the canonical unit (the first listed)."""
        return self.loinc.split(",")[0].strip()

    @property
    def loinc_codes(self) -> list[str]:
        return [code.strip() for code in self.loinc.split(",") if code.strip()]

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
