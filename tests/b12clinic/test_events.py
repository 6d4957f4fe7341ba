"""What plans records reaches monitoring and its reminders through the hooks they subscribe at
start-up (b12clinic/core/events.py), in order, and inside the recording's transaction."""

import pytest
from django.db import transaction

from b12clinic.core import events as registry
from monitoring import hooks
from monitoring.reminders import hooks as reminder_hooks
from plans import events


def test_every_plan_event_has_its_handlers_in_order():
    assert registry.handlers(events.PlanStarted) == [
        hooks._plan_rechecks,
        reminder_hooks._sync_plan,
    ]
    # An ended plan's rechecks are cancelled before its reminders are brought in step.
    assert registry.handlers(events.PlanEnded) == [
        hooks._cancel_rechecks,
        reminder_hooks._sync_plan,
    ]
    for event_type in (
        events.PatientDetailsChanged,
        events.DosesReplanned,
        events.FirstInjectionGiven,
        events.ReactionRecorded,
    ):
        assert registry.handlers(event_type), event_type.__name__


def test_subscribing_twice_runs_a_handler_once():
    class Happened:
        pass

    seen = []
    registry.subscribe(Happened, seen.append)
    registry.subscribe(Happened, seen.append)
    registry.publish(Happened())
    assert len(seen) == 1


@pytest.mark.django_db
def test_a_failing_handler_rolls_the_publishers_work_back():
    from django.contrib.auth.models import Group

    class Broke:
        pass

    def fail(event):
        raise RuntimeError("handler failed")

    registry.subscribe(Broke, fail)
    with pytest.raises(RuntimeError), transaction.atomic():
        Group.objects.create(name="written before the event")
        registry.publish(Broke())
    assert not Group.objects.filter(name="written before the event").exists()
