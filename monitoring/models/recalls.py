"""A manufacturer's recall of a batch: who received it is found from the administration
records, and each patient's message goes through the reminders outbox."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class BatchRecall(models.Model):
    """One recall message sent for a batch, and what it was sent about. The messages are its
    `Reminder` rows, one a patient and channel, each with its own delivery record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey("b12clinic.Clinic", on_delete=models.PROTECT, related_name="+")
    batch = models.CharField("batch/lot", max_length=40)
    product = models.ForeignKey(
        "b12clinic.Product", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    given_from = models.DateField(null=True, blank=True)
    given_to = models.DateField(null=True, blank=True)
    message = models.TextField(help_text="What the patient should know and do, in plain words.")
    patients = models.PositiveIntegerField(help_text="How many patients the search found.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(batch=""), name="recall_names_a_batch"),
            models.CheckConstraint(condition=~Q(message=""), name="recall_says_something"),
            models.CheckConstraint(
                condition=Q(given_from__isnull=True)
                | Q(given_to__isnull=True)
                | Q(given_from__lte=F("given_to")),
                name="recall_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Recall of batch {self.batch} ({self.created_at:%Y-%m-%d})"
