"""Reminders follow what plans and monitoring record (b12clinic/core/events.py): whenever what a
patient should be reminded of may have changed, their outbox is brought in step, in the same
transaction."""

from b12clinic.core.events import subscribe
from plans import events as plan_events

from ..events import RechecksChanged
from .planning import reminders_sync_for_patient


def _sync(event: plan_events.PatientDetailsChanged | RechecksChanged) -> None:
    reminders_sync_for_patient(patient=event.patient)


def _sync_plan(
    event: plan_events.PlanStarted | plan_events.DosesReplanned | plan_events.PlanEnded,
) -> None:
    reminders_sync_for_patient(patient=event.plan.patient)


def connect() -> None:
    subscribe(plan_events.PatientDetailsChanged, _sync)
    subscribe(plan_events.PlanStarted, _sync_plan)
    subscribe(plan_events.DosesReplanned, _sync_plan)
    subscribe(plan_events.PlanEnded, _sync_plan)
    subscribe(RechecksChanged, _sync)
