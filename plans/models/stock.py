"""The batches a clinic holds: what the give form offers, so a nurse picks the batch rather than
retyping it, and what the stock page flags as expired or soon to expire. A batch taken out of
stock (used up, expired, recalled) keeps its row, with who took it out and why."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from b12clinic.core.models import Clinic, Product


class StockBatch(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="stock")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    batch = models.CharField("batch/lot", max_length=40)
    expiry = models.DateField()
    received_on = models.DateField()
    quantity = models.PositiveIntegerField(
        "ampoules received", null=True, blank=True, help_text="If known."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "clinic",
                "product",
                Upper("batch"),
                condition=Q(withdrawn_at__isnull=True),
                name="stock_batch_once_in_stock",
                violation_error_message="This batch of this product is already in stock.",
            ),
            models.CheckConstraint(condition=~Q(batch=""), name="stock_batch_named"),
            models.CheckConstraint(
                condition=Q(expiry__gt=F("received_on")), name="stock_batch_expires_after_receipt"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True)
                | (Q(withdrawn_by__isnull=False) & ~Q(withdrawn_reason="")),
                name="stock_batch_withdrawn_with_reason",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "product", "expiry"], name="stock_batch_idx")]

    def __str__(self) -> str:
        return f"{self.batch} ({self.product.generic_name}, expires {self.expiry:%-d %b %Y})"

    def state(self, today: date, warn_days: int) -> str:
        """expired, expiring (within `warn_days`), in_date; or withdrawn."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.expiry < today:
            return "expired"
        if (self.expiry - today).days <= warn_days:
            return "expiring"
        return "in_date"
