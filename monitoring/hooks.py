"""Monitoring's answers to what plans records (plans/events.py), subscribed once at start-up
(monitoring/apps.py). Each runs in the transaction of the recording that published it."""

from b12clinic.core.events import subscribe
from monitoring.services.alerts import alert_raise
from monitoring.services.rechecks import (
    rechecks_cancel_for_plan,
    rechecks_follow_first_injection,
    rechecks_plan,
)
from plans import events

from .models import AlertKind, Severity


def _plan_rechecks(event: events.PlanStarted) -> None:
    rechecks_plan(plan=event.plan, today=event.today)


def _cancel_rechecks(event: events.PlanEnded) -> None:
    rechecks_cancel_for_plan(plan=event.plan, reason=event.reason)


def _follow_first_injection(event: events.FirstInjectionGiven) -> None:
    rechecks_follow_first_injection(plan=event.plan, first_injection=event.given_on)


def _raise_reaction_alert(event: events.ReactionRecorded) -> None:
    given = event.administration
    alert_raise(
        patient=event.patient,
        plan=event.plan,
        kind=AlertKind.ALLERGIC_REACTION,
        severity=Severity.URGENT,
        title=f"Allergic reaction to {event.plan.version.product.generic_name} on "
        f"{given.given_on:%-d %b %Y}",
        detail=f"Recorded by {event.recorded_by}: {event.allergy}. {given.notes}".strip(),
        key=f"reaction:{given.pk}",
    )


def connect() -> None:
    subscribe(events.PlanStarted, _plan_rechecks)
    subscribe(events.PlanEnded, _cancel_rechecks)
    subscribe(events.FirstInjectionGiven, _follow_first_injection)
    subscribe(events.ReactionRecorded, _raise_reaction_alert)
