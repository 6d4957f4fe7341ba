"""Results that arrive from a laboratory's own system (HL7 v2 over MLLP, a file of messages,
or FHIR): each message is kept as it came, with what became of it. One that cannot be matched
to a patient safely waits for a clinician in the review queue."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class LabCodeMapping(models.Model):
    """A laboratory's own code for a test, where it sends no LOINC code."""

    clinic = models.ForeignKey("b12clinic.Clinic", on_delete=models.CASCADE, related_name="+")
    sender = models.CharField(
        max_length=100,
        blank=True,
        help_text="The sending application and facility (MSH-3 MSH-4), e.g. “LABSYS CITYLAB”; "
        "blank for any laboratory.",
    )
    code = models.CharField("laboratory's code", max_length=40)
    test = models.ForeignKey("monitoring.LabTest", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["clinic", "sender", "code"]
        verbose_name = "laboratory code"
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "sender", "code"], name="lab_code_once_per_sender"
            ),
            models.CheckConstraint(condition=~Q(code=""), name="lab_code_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.sender or 'any laboratory'}: {self.code} → {self.test}"


class InboundStatus(models.TextChoices):
    FILED = "filed", "Filed"
    REVIEW = "review", "Waiting for review"
    REJECTED = "rejected", "Rejected"


class InboundMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey("b12clinic.Clinic", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(
        max_length=10,
        choices=[("mllp", "HL7 over MLLP"), ("upload", "Uploaded file"), ("fhir", "FHIR")],
    )
    sender = models.CharField(max_length=100, blank=True)
    control_id = models.CharField(max_length=100)
    raw = models.TextField()
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=InboundStatus.choices)
    problem = models.TextField(blank=True, help_text="Why it waits for review.")
    patient = models.ForeignKey(
        "b12clinic.Patient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    results = models.PositiveSmallIntegerField(default=0)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            # The same message again is recognised, not stored twice.
            models.UniqueConstraint(
                fields=["clinic", "sender", "control_id"], name="inbound_message_once"
            ),
            models.CheckConstraint(
                condition=~Q(status="filed") | Q(patient__isnull=False),
                name="inbound_filed_has_patient",
            ),
            models.CheckConstraint(
                condition=~Q(status="review") | ~Q(problem=""),
                name="inbound_review_says_why",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected")
                | (Q(reviewed_by__isnull=False) & ~Q(review_reason="")),
                name="inbound_rejection_has_reason_and_author",
            ),
        ]
        indexes = [
            models.Index(
                fields=["clinic", "received_at"],
                condition=Q(status="review"),
                name="inbound_review_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender} {self.control_id} ({self.get_status_display().lower()})"
