from .audit import (
    LEGACY_CHAIN,
    SYSTEM_CHAIN,
    Action,
    AuditChain,
    AuditCheckpoint,
    AuditEvent,
    AuditImmutable,
    chain_of,
)
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
    "LEGACY_CHAIN",
    "PHONE",
    "SYSTEM_CHAIN",
    "WEEKDAY_DIGITS",
    "Action",
    "ApiToken",
    "AuditChain",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditImmutable",
    "ChunkStatus",
    "Clinic",
    "NightChunk",
    "Patient",
    "Product",
    "Sex",
    "chain_of",
    "hash_secret",
    "validate_time_zone",
    "weekdays_from_digits",
]
