"""Monitoring's models, one module per kind of record."""

from .alerts import Alert, AlertKind, Severity
from .feeds import CalendarFeed
from .inbound import InboundMessage, InboundStatus, LabCodeMapping
from .labs import LabResult, LabTest, Qualitative, ReferenceRange
from .recalls import BatchRecall
from .rechecks import Answer, CheckInSource, Recheck, RecheckStatus, SymptomCheckIn
from .reminders import Channel, OptOutCode, Reminder, ReminderKind, ReminderStatus

__all__ = [
    "Alert",
    "AlertKind",
    "Answer",
    "BatchRecall",
    "CalendarFeed",
    "Channel",
    "CheckInSource",
    "InboundMessage",
    "InboundStatus",
    "LabCodeMapping",
    "LabResult",
    "LabTest",
    "OptOutCode",
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
