from b12clinic.core.models import hash_secret

from .administration import (
    Administration,
    DoseNotGiven,
    NotGivenReason,
    Outcome,
    Setting,
    Side,
    Site,
)
from .core import (
    Cause,
    Dose,
    DoseStatus,
    Indication,
    Phase,
    Plan,
    PlanOverride,
    PlanStatus,
    PlanVersion,
)
from .sharing import BadShareToken, ShareLink, ShareLinkUse

__all__ = [
    "Administration",
    "BadShareToken",
    "Cause",
    "Dose",
    "DoseNotGiven",
    "DoseStatus",
    "Indication",
    "NotGivenReason",
    "Outcome",
    "Phase",
    "Plan",
    "PlanOverride",
    "PlanStatus",
    "PlanVersion",
    "Setting",
    "ShareLink",
    "ShareLinkUse",
    "Side",
    "Site",
    "hash_secret",
]
