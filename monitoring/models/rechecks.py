"""Planned rechecks and symptom check-ins."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from monitoring.rules.rechecks import Kind, State
from monitoring.rules.rechecks import state as recheck_state


class RecheckStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Not needed"
    LAPSED = "lapsed", "Lapsed"


class Recheck(models.Model):
    """A planned test or review (monitoring/rules/rechecks.py); due and overdue follow from the
    window and the date, so the stored status is only pending, done, cancelled or lapsed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "b12clinic.Patient", on_delete=models.PROTECT, related_name="rechecks"
    )
    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="rechecks")
    kind = models.CharField(max_length=20, choices=[(k.value, k.value) for k in Kind])
    title = models.CharField(max_length=100)
    tests = models.JSONField(default=list, blank=True, help_text="Catalogue codes.")
    purpose = models.TextField(blank=True)
    caveat = models.TextField(blank=True)
    opens = models.DateField()
    due_date = models.DateField()
    closes = models.DateField()
    status = models.CharField(
        max_length=10, choices=RecheckStatus.choices, default=RecheckStatus.PENDING
    )
    done_on = models.DateField(null=True, blank=True)
    done_note = models.CharField(max_length=200, blank=True)
    cancelled_reason = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lapses_on = models.DateField(
        null=True, blank=True, help_text="After this day its purpose has passed (first course)."
    )
    lapsed_on = models.DateField(null=True, blank=True)
    lapsed_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Every write sets it: the written schedule's cache key reads it
    # (monitoring/documents/schedule.py).
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lte=F("due_date")) & Q(due_date__lte=F("closes")),
                name="recheck_window_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_on__isnull=False),
                name="recheck_done_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancelled_reason=""),
                name="recheck_cancel_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="lapsed") | (Q(lapsed_on__isnull=False) & ~Q(lapsed_reason="")),
                name="recheck_lapse_has_date_and_reason",
            ),
            models.CheckConstraint(
                condition=Q(lapses_on__isnull=True) | Q(lapses_on__gt=F("closes")),
                name="recheck_lapses_after_its_window",
            ),
            models.UniqueConstraint(
                fields=["plan", "kind", "due_date"],
                condition=~Q(status="cancelled"),
                name="recheck_once_per_plan_kind_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["closes"], condition=Q(status="pending"), name="recheck_pending_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} due {self.due_date}"

    @property
    def patient_title(self) -> str:
        """What the patient calls it ("Blood count at 8 weeks"); `title` is for staff."""
        from ..documents.words import TITLE_FOR_THE_PATIENT

        return TITLE_FOR_THE_PATIENT.get(self.kind, self.title)

    def state(self, today: date) -> State:
        return recheck_state(
            status=self.status,
            opens=self.opens,
            closes=self.closes,
            today=today,
            lapses_on=self.lapses_on,
        )


class Answer(models.TextChoices):
    NONE = "none", "None"
    BETTER = "better", "Better"
    SAME = "same", "Same"
    WORSE = "worse", "Worse"


class CheckInSource(models.TextChoices):
    STAFF = "staff", "Staff"
    PATIENT = "patient", "The patient, signed in"
    PATIENT_LINK = "patient_link", "The patient, from the link in a reminder"


class SymptomCheckIn(models.Model):
    """How the patient feels: asked by a clinician or a nurse (often while giving a dose), or
    told by the patient from home (their page, or the link in an injection reminder)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "b12clinic.Patient", on_delete=models.PROTECT, related_name="checkins"
    )
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="checkins"
    )
    dose = models.ForeignKey(
        "plans.Dose", on_delete=models.PROTECT, null=True, blank=True, related_name="checkins"
    )
    on_date = models.DateField()
    fatigue = models.CharField("tiredness", max_length=10, choices=Answer.choices)
    numbness = models.CharField("numbness or tingling", max_length=10, choices=Answer.choices)
    weakness = models.CharField(max_length=10, choices=Answer.choices)
    balance = models.CharField("balance or walking", max_length=10, choices=Answer.choices)
    vision = models.CharField(max_length=10, choices=Answer.choices)
    memory = models.CharField("memory or concentration", max_length=10, choices=Answer.choices)
    notes = models.TextField(blank=True)
    # Whether the symptoms came back before `dose` was due: asked before maintenance doses.
    came_back_before_dose = models.BooleanField(null=True, blank=True)
    source = models.CharField(
        max_length=12, choices=CheckInSource.choices, default=CheckInSource.STAFF
    )
    # Who entered it; none when the patient used the link in a reminder (no sign-in).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    SYMPTOM_FIELDS = ("fatigue", "numbness", "weakness", "balance", "vision", "memory")

    class Meta:
        ordering = ["on_date", "recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    **{
                        f"{name}__in": [a.value for a in Answer]
                        for name in (
                            "fatigue",
                            "numbness",
                            "weakness",
                            "balance",
                            "vision",
                            "memory",
                        )
                    }
                ),
                name="checkin_answers_known",
            ),
            models.CheckConstraint(
                condition=Q(recorded_by__isnull=False) | Q(source=CheckInSource.PATIENT_LINK),
                name="checkin_says_who_entered_it",
            ),
            models.CheckConstraint(
                condition=Q(came_back_before_dose__isnull=True) | Q(dose__isnull=False),
                name="checkin_came_back_names_its_dose",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.on_date}"

    def answers(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.SYMPTOM_FIELDS}
