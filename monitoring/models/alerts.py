"""Alerts a clinician must look at; acknowledged with a note, never deleted."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class AlertKind(models.TextChoices):
    ALLERGIC_REACTION = "allergic_reaction", "Allergic reaction to an injection"
    OVERDUE_INJECTION = "overdue_injection", "Injection overdue"
    LOW_POTASSIUM = "low_potassium", "Low potassium early in treatment"
    CRITICAL_RESULT = "critical_result", "Critical laboratory result"
    NEURO_WORSE = "neuro_worse", "Nerve symptoms worse"
    INADEQUATE_RESPONSE = "inadequate_response", "Inadequate response to treatment"
    SYMPTOMS_COME_BACK = "symptoms_come_back", "Symptoms come back before injections"


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
