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
from .stock import StockBatch

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
    "StockBatch",
    "hash_secret",
]
