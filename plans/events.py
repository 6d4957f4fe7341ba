"""What plans tells the apps above it (b12clinic/core/events.py says how): monitoring plans
and cancels rechecks, raises alerts and keeps reminders in step when these happen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from b12clinic.core.models import Patient

    from .models import Administration, Plan


@dataclass(frozen=True)
class PatientDetailsChanged:
    """Contact details or reminder consent may have moved."""

    patient: Patient


@dataclass(frozen=True)
class PlanStarted:
    plan: Plan
    today: date


@dataclass(frozen=True)
class DosesReplanned:
    """The open doses of a plan were rebuilt: amended, recorded against, or re-anchored."""

    plan: Plan


@dataclass(frozen=True)
class PlanEnded:
    plan: Plan
    reason: str


@dataclass(frozen=True)
class FirstInjectionGiven:
    plan: Plan
    given_on: date


@dataclass(frozen=True)
class ReactionRecorded:
    """An allergic reaction to an injection, already added to the patient's allergies."""

    patient: Patient
    plan: Plan
    administration: Administration
    allergy: str
    recorded_by: str
