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
from .nightly import ChunkStatus, NightChunk
from .tokens import ApiToken, hash_secret

__all__ = [
    "PHONE",
    "WEEKDAY_DIGITS",
    "Action",
    "ApiToken",
    "AuditEvent",
    "AuditImmutable",
    "ChunkStatus",
    "Clinic",
    "NightChunk",
    "Patient",
    "Product",
    "Sex",
    "hash_secret",
    "validate_time_zone",
    "weekdays_from_digits",
]
