"""The night's work in chunks: each nightly job (reminder sync, dose horizon) is cut into ranges
of ids, one Celery task each, so any number of workers share it, a chunk that fails is retried
alone, and no job depends on finishing inside one task's time limit."""

from __future__ import annotations

from django.db import models


class ChunkStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class NightChunk(models.Model):
    id = models.BigAutoField(primary_key=True)
    job = models.CharField(max_length=40)
    night = models.DateField(help_text="The night it belongs to (the server's date).")
    seq = models.PositiveIntegerField()
    first_key = models.CharField(max_length=64)
    last_key = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    done_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "night", "seq"], name="night_chunk_once"),
            models.CheckConstraint(
                condition=models.Q(first_key__lte=models.F("last_key")),
                name="night_chunk_range_in_order",
            ),
        ]
        indexes = [models.Index(fields=["night", "job", "status"], name="night_chunk_progress")]

    def __str__(self) -> str:
        return f"{self.job} {self.night} #{self.seq} ({self.status})"
