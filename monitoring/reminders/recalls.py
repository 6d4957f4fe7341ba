"""Recall by batch: find every patient whose current record of an injection names the batch,
and send each of them a recall message through the outbox, by the channels they agreed to.

"Current" is the head of each dose's chain of records (plans/models/administration.py): a
correction that changed the batch moves the patient into or out of the recall, and a void
takes them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from b12clinic.core.access import recall_clinics
from b12clinic.core.audit import audit
from b12clinic.core.models import Action, Clinic, Patient, Product
from plans.models import Administration

from ..models import BatchRecall, Channel, Reminder, ReminderKind
from .planning import patient_channels


@dataclass(frozen=True)
class Search:
    clinic: Clinic
    batch: str
    product: Product | None = None
    given_from: date | None = None
    given_to: date | None = None


@dataclass
class Found:
    patient: Patient
    records: list[Administration] = field(default_factory=list)

    @property
    def channels(self) -> list[Channel]:
        return patient_channels(self.patient)


def normal_batch(text: str) -> str:
    return " ".join(text.split())


def current_records(search: Search) -> QuerySet[Administration]:
    records = Administration.objects.filter(
        dose__plan__patient__clinic=search.clinic,
        batch__iexact=normal_batch(search.batch),
        is_void=False,
        replaced_by__isnull=True,
    )
    if search.product is not None:
        # Any version of the plan with that product: a recall errs on the side of asking.
        records = records.filter(dose__plan__versions__product=search.product)
    if search.given_from is not None:
        records = records.filter(given_on__gte=search.given_from)
    if search.given_to is not None:
        records = records.filter(given_on__lte=search.given_to)
    return records.distinct()


def recall_find(search: Search) -> list[Found]:
    """One row a patient, with each of their current records from the batch, in name order."""
    records = (
        current_records(search)
        .select_related("dose__plan__patient__clinic", "given_by")
        .order_by("given_on", "recorded_at")
    )
    found: dict[object, Found] = {}
    for record in records:
        patient = record.dose.plan.patient
        found.setdefault(patient.pk, Found(patient=patient)).records.append(record)
    return sorted(found.values(), key=lambda row: (row.patient.family_name, row.patient.given_name))


def _may_recall(by: User, clinic: Clinic) -> bool:
    return recall_clinics(by).filter(pk=clinic.pk).exists()


@transaction.atomic
def recall_send(*, search: Search, message: str, by: User, now: datetime) -> BatchRecall:
    """The recall and one outbox row per patient and agreed channel, in one transaction;
    delivery then records each send (sent, failed, or why it was not sent)."""
    if not _may_recall(by, search.clinic):
        raise ValidationError("Only a clinician or admin of this clinic can send a recall.")
    errors = {}
    if not normal_batch(search.batch):
        errors["batch"] = "Enter the batch or lot number from the recall notice."
    if not message.strip():
        errors["message"] = "Say what the patient should do (stop, call, watch for)."
    if errors:
        raise ValidationError(errors)
    rows = recall_find(search)
    if not rows:
        raise ValidationError({"batch": "No patient's current record names this batch."})
    recall = BatchRecall.objects.create(
        clinic=search.clinic,
        batch=normal_batch(search.batch),
        product=search.product,
        given_from=search.given_from,
        given_to=search.given_to,
        message=message.strip(),
        patients=len(rows),
        created_by=by,
        created_at=now,
    )
    today = now.astimezone(search.clinic.zone).date()
    Reminder.objects.bulk_create(
        [
            Reminder(
                kind=ReminderKind.RECALL,
                channel=channel,
                clinic=search.clinic,
                patient=row.patient,
                recall=recall,
                for_date=today,
                send_at=now,
                attempt_at=now,
                dedupe_key=f"recall:{recall.pk}:{row.patient.pk}:{channel}",
                note=f"Batch {recall.batch}",
            )
            for row in rows
            for channel in row.channels
        ]
    )
    audit(
        actor=by,
        action=Action.CREATE,
        obj=recall,
        clinic=search.clinic,
        summary=f"Recall of batch {recall.batch} sent to {len(rows)} patients",
        changes={"patients": sorted(str(row.patient.pk) for row in rows)},
    )
    return recall
