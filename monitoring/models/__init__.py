"""Monitoring's models, one module per kind of record."""

from .alerts import Alert, AlertKind, Severity
from .labs import LabResult, LabTest, Qualitative, ReferenceRange
from .rechecks import Answer, Recheck, RecheckStatus, SymptomCheckIn
from .reminders import Channel, Reminder, ReminderKind, ReminderStatus

__all__ = [
    "Alert",
    "AlertKind",
    "Answer",
    "Channel",
    "LabResult",
    "LabTest",
    "Qualitative",
    "Recheck",
    "RecheckStatus",
    "ReferenceRange",
    "Reminder",
    "ReminderKind",
    "ReminderStatus",
    "Severity",
    "SymptomCheckIn",
]
