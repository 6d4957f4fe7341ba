"""How a lower layer tells the layers above it what happened, without importing them.

A publisher (plans, monitoring) names its events as frozen dataclasses in its own `events`
module and calls `publish`; a layer above subscribes handlers once, when its app starts
(`monitoring/hooks.py`, `monitoring/reminders/hooks.py`). Handlers run at once, in the order they
were subscribed, inside the publisher's transaction: a failing handler rolls the recording back
with it. Unlike a Django signal, every event type is a named class and every subscription sits in
a hooks module.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

E = TypeVar("E")

_handlers: defaultdict[type[Any], list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[E], None]) -> None:
    """Run `handler` for every event of this type; subscribing twice changes nothing."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def publish(event: object) -> None:
    for handler in _handlers[type(event)]:
        handler(event)


def handlers(event_type: type[Any]) -> list[Callable[[Any], None]]:
    return list(_handlers[event_type])
