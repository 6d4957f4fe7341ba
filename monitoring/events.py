"""What monitoring tells its reminders (b12clinic/core/events.py says how)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from b12clinic.core.models import Patient


@dataclass(frozen=True)
class RechecksChanged:
    """A patient's rechecks were planned, moved, done, lapsed or cancelled."""

    patient: Patient
