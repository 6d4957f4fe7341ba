"""The audit trail: append-only, each row chained to the previous one by a hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any, NoReturn

from django.conf import settings
from django.db import models


class AuditImmutable(Exception):
    """Audit rows are never changed or deleted."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutable("The audit trail is append-only: rows cannot be updated.")

    def delete(self) -> NoReturn:
        raise AuditImmutable("The audit trail is append-only: rows cannot be deleted.")


class Action(models.TextChoices):
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    VOID = "void", "Voided"
    ACKNOWLEDGE = "acknowledge", "Acknowledged"
    VIEW = "view", "Viewed"
    DOWNLOAD = "download", "Downloaded"
    DELETE = "delete", "Deleted"


def content_hash_of(content: dict[str, Any]) -> str:
    """sha256 of a row's content (AuditEvent.content()), as its hash covers it."""
    material = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


LEGACY_CHAIN = ""
SYSTEM_CHAIN = "system"


def chain_of(clinic_id: object) -> str:
    return str(clinic_id) if clinic_id else SYSTEM_CHAIN


class AuditEvent(models.Model):
    """Who did what to which record (with the before and after), or looked at which patient's
    data, when, and why. Written in the same transaction as the change it records."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=12, choices=Action.choices)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    clinic_id = models.UUIDField(null=True, blank=True)
    patient_id = models.UUIDField(null=True, blank=True)
    patient_label = models.CharField(max_length=200, blank=True)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # The hash chain the row is on: its clinic's id, "system" for rows without a clinic, or ""
    # for the single chain every row was on before the cut-over (migration 0015).
    chain = models.CharField(max_length=40, blank=True, default="")

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["patient_id", "-id"], name="audit_patient_idx"),
            models.Index(fields=["clinic_id", "-id"], name="audit_clinic_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
            models.Index(fields=["at"], name="audit_at_idx"),
            models.Index(fields=["chain", "id"], name="audit_chain_idx"),
            # The audit page's filters, each walked newest first within a clinic.
            models.Index(fields=["clinic_id", "action", "-id"], name="audit_clinic_action_idx"),
            models.Index(fields=["clinic_id", "actor_name", "-id"], name="audit_clinic_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutable("The audit trail is append-only: rows cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutable("The audit trail is append-only: rows cannot be deleted.")

    def content(self) -> dict[str, Any]:
        """What the hash covers: every field but the hashes themselves."""
        return {
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "clinic_id": str(self.clinic_id) if self.clinic_id else None,
            "patient_id": str(self.patient_id) if self.patient_id else None,
            "patient_label": self.patient_label,
            "summary": self.summary,
            "changes": self.changes,
            "reason": self.reason,
            "ip": self.ip,
        }

    def content_hash(self) -> str:
        return content_hash_of(self.content())

    def compute_hash(self) -> str:
        """sha256(previous hash + sha256(content)): PostgreSQL computes the same in the
        statement that appends the row (b12clinic/audit.py)."""
        return hashlib.sha256((self.prev_hash + self.content_hash()).encode()).hexdigest()


class AuditChain(models.Model):
    """The head of one hash chain: the last row's hash. Appending moves it under its row lock,
    so appends to one clinic's chain queue and appends to different clinics' never wait."""

    chain = models.CharField(max_length=40, primary_key=True)
    prev = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain}: {self.hash}"


class AuditCheckpoint(models.Model):
    """How far a chain was last verified: the last row checked and its hash, signed with the
    server's key, so `verify_audit` goes on from there. Not a clinical record: replaced on
    each verification."""

    chain = models.CharField(max_length=40, primary_key=True)
    last_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    rows = models.BigIntegerField()
    at = models.DateTimeField()
    signature = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain} verified to #{self.last_id}"
