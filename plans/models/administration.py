"""What really happened to a dose: given (in clinic, at home, elsewhere) or not given.

Records are never edited or deleted. A correction is a new Administration that replaces the
one before it, with a reason and an author; the chain for a dose is linear (each record is
replaced at most once, and only one record per dose replaces nothing), so its head is the
current truth and the rest is history.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from b12clinic.core.models import Patient

from .core import Dose


class Site(models.TextChoices):
    DELTOID = "deltoid", "Deltoid (upper arm)"
    VASTUS_LATERALIS = "vastus_lateralis", "Vastus lateralis (outer thigh)"
    VENTROGLUTEAL = "ventrogluteal", "Ventrogluteal (hip)"
    DORSOGLUTEAL = "dorsogluteal", "Dorsogluteal (buttock), not recommended"
    ABDOMEN = "abdomen", "Abdomen (subcutaneous only)"


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"


class Setting(models.TextChoices):
    CLINIC = "clinic", "In clinic"
    HOME = "home", "At home"
    ELSEWHERE = "elsewhere", "Elsewhere"


class Outcome(models.TextChoices):
    NONE = "none", "None"
    PAIN_SWELLING = "pain_swelling", "Pain or swelling at the site"
    FAINT = "faint", "Fainted or felt faint"
    ALLERGIC_REACTION = "allergic_reaction", "Allergic reaction"


class Administration(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dose = models.ForeignKey(Dose, on_delete=models.PROTECT, related_name="administrations")
    # The dose's patient, copied on save so that a patient's injections, newest first, are one
    # index range: the day list asks each row's last site, which through plans and doses walked
    # every given dose of every plan (bench/day_list.py). A dose never changes plan, nor a plan
    # patient.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    is_void = models.BooleanField(
        default=False, help_text="Records that the replaced administration did not happen."
    )
    setting = models.CharField(max_length=10, choices=Setting.choices, default=Setting.CLINIC)
    given_at = models.DateTimeField(null=True, blank=True)
    given_on = models.DateField(null=True, blank=True, help_text="In the clinic's calendar.")
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The member of staff who gave it, for injections given in clinic.",
    )
    given_by_name = models.CharField(
        max_length=100, blank=True, help_text="Who gave it outside the clinic: self, carer, GP."
    )
    site = models.CharField(max_length=20, choices=Site.choices, blank=True)
    side = models.CharField(max_length=5, choices=Side.choices, blank=True)
    batch = models.CharField("batch/lot", max_length=40, blank=True)
    expiry = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.NONE)
    identity_confirmed = models.BooleanField(default=False)
    allergies_checked = models.BooleanField(default=False)
    warnings = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(
        blank=True,
        help_text="Why a clinician recorded it early, or sooner after the last injection than "
        "its phase's minimum gap.",
    )
    notes = models.TextField(blank=True)
    reason = models.TextField(blank=True, help_text="Why this record corrects the one before.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            # Two nurses recording the same dose at once: only one first record can exist.
            models.UniqueConstraint(
                fields=["dose"],
                condition=Q(replaces__isnull=True),
                name="administration_one_original_per_dose",
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(reason=""),
                name="administration_correction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(is_void=False) | Q(replaces__isnull=False, given_on__isnull=True),
                name="administration_void_replaces_and_has_no_date",
            ),
            models.CheckConstraint(
                condition=Q(is_void=True) | Q(given_on__isnull=False),
                name="administration_given_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(setting="clinic")
                | Q(is_void=True)
                | (
                    ~Q(batch="")
                    & Q(expiry__isnull=False)
                    & ~Q(site="")
                    & ~Q(side="")
                    & Q(given_at__isnull=False)
                    & Q(given_by__isnull=False)
                    & Q(identity_confirmed=True)
                    & Q(allergies_checked=True)
                ),
                name="administration_in_clinic_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(expiry__isnull=True)
                | Q(given_on__isnull=True)
                | Q(expiry__gte=F("given_on")),
                name="administration_stock_not_expired",
            ),
        ]
        indexes = [
            # The day list's "done today" section.
            models.Index(fields=["given_on"], name="administration_day_idx"),
            # A patient's last injection site: the first row of this range not since replaced.
            models.Index(
                "patient",
                F("given_on").desc(),
                F("recorded_at").desc(),
                condition=Q(is_void=False) & ~Q(site=""),
                name="administration_site_by_patient",
            ),
        ]

    def __str__(self) -> str:
        if self.is_void:
            return f"Void of an administration of {self.dose}"
        return f"{self.dose} given {self.given_on}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.patient_id is None:
            self.patient_id = self.dose.plan.patient_id
        super().save(*args, **kwargs)

    @property
    def site_display(self) -> str:
        if not self.site:
            return "site not recorded"
        side = f"{self.get_side_display().lower()} " if self.side else ""
        return f"{side}{self.get_site_display().split(' (')[0].lower()}"


class NotGivenReason(models.TextChoices):
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    DECLINED = "declined", "Declined"
    WITHHELD = "withheld", "Clinically withheld"
    NO_STOCK = "no_stock", "No stock"


class DoseNotGiven(models.Model):
    """A dose that was due and not given, and why. A loading dose is then made up; a
    maintenance dose stays due on its date until given or rescheduled."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dose = models.OneToOneField(Dose, on_delete=models.PROTECT, related_name="not_given")
    reason = models.CharField(max_length=20, choices=NotGivenReason.choices)
    detail = models.TextField(blank=True)
    on_date = models.DateField(help_text="The clinic day it was recorded for.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason="withheld") | ~Q(detail=""),
                name="dose_withheld_says_why",
            ),
        ]
        indexes = [models.Index(fields=["on_date"], name="dose_not_given_day_idx")]

    def __str__(self) -> str:
        return f"{self.dose} not given: {self.get_reason_display()}"
