from .audit import Action, AuditEvent, AuditImmutable
from .clinics import (
    PHONE,
    WEEKDAY_DIGITS,
    Clinic,
    Patient,
    Product,
    Sex,
    validate_time_zone,
    weekdays_from_digits,
)

__all__ = [
    "PHONE",
    "WEEKDAY_DIGITS",
    "Action",
    "AuditEvent",
    "AuditImmutable",
    "Clinic",
    "Patient",
    "Product",
    "Sex",
    "validate_time_zone",
    "weekdays_from_digits",
]
