"""The reminders outbox (monitoring/reminders/ keeps it in step and delivers it)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReminderKind(models.TextChoices):
    INJECTION_DUE = "injection_due", "Injection due"
    RECHECK_DUE = "recheck_due", "Blood test or review due"
    OVERDUE = "overdue", "Injection overdue (to the patient)"
    OVERDUE_CLINIC = "overdue_clinic", "Injection overdue (to the clinic)"
    NURSE_DIGEST = "nurse_digest", "Nurses' morning list"
    CLINICIAN_DIGEST = "clinician_digest", "Clinician's daily summary"
    RECALL = "recall", "Batch recall"


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
        "monitoring.Recheck", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recall = models.ForeignKey(
        "monitoring.BatchRecall",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
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


SHORT_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
SHORT_CODE_LENGTH = 9  # 55^9: about 52 bits, short enough for a one-segment text


class OptOutCode(models.Model):
    """The short code in a text message's stop link (/r/<code>): the signed opt-out link is
    about 140 characters, more than a text can spare. One per patient and channel."""

    code = models.CharField(max_length=SHORT_CODE_LENGTH, unique=True)
    patient = models.ForeignKey(
        "b12clinic.Patient", on_delete=models.PROTECT, related_name="opt_out_codes"
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "channel"], name="one_opt_out_code_per_channel"
            ),
            models.CheckConstraint(
                condition=Q(code__regex=rf"^[{SHORT_CODE_ALPHABET}]{{{SHORT_CODE_LENGTH}}}$"),
                name="opt_out_code_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.channel})"
