"""Share links: a patient without an account gets their written schedule from a link a
clinician made. Only a hash of the secret is kept; the link is shown once."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .core import Plan


class ShareLink(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="share_links")
    secret_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="share_link_expires_after_made"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="share_link_revocation_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Share link for {self.plan_id} until {self.expires_at:%Y-%m-%d}"

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(24)

    def token(self, secret: str) -> str:
        """What goes in the URL: the link's id (to find it and its clinic) and the secret."""
        return f"{self.pk.hex}.{secret}"

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "active"


class ShareLinkUse(models.Model):
    """Every use of a link, and every refused attempt on a known link."""

    link = models.ForeignKey(ShareLink, on_delete=models.PROTECT, related_name="uses")
    at = models.DateTimeField()
    what = models.CharField(max_length=20)  # page / pdf / ics / refused:<why>
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.what} at {self.at:%Y-%m-%d %H:%M}"


class BadShareToken(models.Model):
    """A token that named no link, or the wrong secret for one: counted per address so one
    that keeps guessing is refused for a while. In the database, so the throttle holds when
    the cache is down."""

    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["ip", "at"], name="bad_share_token_ip_at")]

    def __str__(self) -> str:
        return f"bad token from {self.ip} at {self.at:%Y-%m-%d %H:%M}"
