"""Calendar subscriptions: a private address a patient's calendar app polls, so changes to the
plan reach the calendar without a new download. Only a hash of the secret is kept; the address
is shown once, when it is made."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class CalendarFeed(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "b12clinic.Patient", on_delete=models.PROTECT, related_name="calendar_feeds"
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When a calendar app last read it, and which: shown to the patient and the clinic, so an
    # address that leaked (read by an app they do not know) can be seen and stopped.
    last_read_at = models.DateTimeField(null=True, blank=True)
    last_read_by = models.CharField(max_length=300, blank=True)
    reads = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_calendar_feed_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="calendar_feed_revocation_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar subscription for {self.patient_id} made {self.created_at:%Y-%m-%d}"

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(32)

    @property
    def live(self) -> bool:
        return self.revoked_at is None
