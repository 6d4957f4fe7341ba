"""Reminders: the outbox and its delivery (design.md, "Reminders").

A package of its own inside monitoring: nothing else in monitoring imports it; it hears what
happens through the hooks it subscribes (hooks.py).

The services call `reminders_sync_for_patient` inside their own transaction whenever what a
patient should be reminded of changes; it creates, moves and cancels `Reminder` rows. Celery beat
ticks every minute; `reminders_deliver` claims due rows, sends each outside any transaction and
records the outcome with a conditional update. Nothing is ever scheduled as a Celery ETA task.
"""
