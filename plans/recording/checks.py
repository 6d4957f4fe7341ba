"""The checks every record of a dose goes through: still open, its date, its timing against the
plan, and for a dose given, its site, stock and outcome."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from b12clinic.core.access import user_roles
from b12clinic.core.roles import CLINICIAN
from plans.rules import records

from ..models import (
    Dose,
    DoseNotGiven,
    DoseStatus,
    Outcome,
    Plan,
    Site,
)
from . import reads
from .common import MAX_NOTES, Errors, head_of, name_of


def check_open(plan: Plan, dose: Dose, errors: Errors) -> None:
    """The dose must be the plan's next open dose: recording out of order would leave the
    schedule with two doses in the same place."""
    if dose.status == DoseStatus.GIVEN:
        head = head_of(dose)
        who = name_of(head.given_by or head.recorded_by) if head else "someone"
        when = ""
        if head is not None and head.given_at is not None:
            when = f" at {timezone.localtime(head.given_at, plan.patient.clinic.zone):%H:%M}"
        errors.add(None, f"This dose was already recorded as given by {who}{when}.")
    elif dose.status == DoseStatus.NOT_GIVEN:
        record = DoseNotGiven.objects.select_related("recorded_by").get(dose=dose)
        errors.add(
            None,
            f"This dose was already recorded as not given ({record.get_reason_display().lower()}"
            f") by {name_of(record.recorded_by)}. Refresh the list.",
        )
    elif dose.status == DoseStatus.CANCELLED:
        errors.add(None, f"This dose was cancelled ({dose.cancelled_reason}); it is not due.")
    elif not plan.is_active:
        errors.add(None, f"The plan is {plan.get_status_display().lower()}.")
    else:
        earlier = reads.first(reads.EARLIER_OPEN, plan=plan.pk, due=dose.due_date)
        if earlier is not None:
            errors.add(
                None,
                f"An earlier dose of this plan, due {earlier.due_date:%-d %b %Y}, is still open: "
                "record that one first.",
            )


def previous_given_on(plan: Plan, dose: Dose) -> date | None:
    row = reads.first_row(reads.PREVIOUS_GIVEN_ON, plan=plan.pk, dose=dose.pk, due=dose.due_date)
    return row[0] if row else None


def next_done_on(plan: Plan, dose: Dose) -> date | None:
    later = reads.first_row(reads.NEXT_DONE, plan=plan.pk, dose=dose.pk, due=dose.due_date)
    if later is None:
        return None
    given_on, due_date = later
    return given_on or due_date


def check_date(
    *,
    plan: Plan,
    dose: Dose,
    given_on: date,
    today: date,
    field: str,
    errors: Errors,
    future: bool,
) -> None:
    start = plan.version.start_date
    if future:
        errors.add(field, "The time given is in the future.")
    elif given_on < start:
        errors.add(field, f"This is before the plan started on {start:%-d %b %Y}.")
    else:
        previous = previous_given_on(plan, dose)
        if previous is not None and given_on < previous:
            errors.add(
                field,
                f"The previous dose was given on {previous:%-d %b %Y}; this one cannot be earlier.",
            )
        later = next_done_on(plan, dose)
        if later is not None and given_on > later:
            errors.add(
                field,
                f"A later dose was already recorded on {later:%-d %b %Y}; this one cannot be "
                "after it.",
            )
    if given_on > today and not future:
        errors.add(field, "The date given is in the future.")


def check_timing(
    *,
    plan: Plan,
    dose: Dose,
    given_on: date,
    by: User,
    override_reason: str,
    field: str,
    errors: Errors,
) -> list[str]:
    """Not more than the clinic's on-time window before the dose's date, and not sooner than
    its phase's minimum gap after the last injection. A clinician may record either with a
    reason; the returned warnings say what was overridden."""
    problems = []
    window = plan.patient.clinic.on_time_window_days
    earliest = dose.due_date - timedelta(days=window)
    if given_on < earliest:
        problems.append(
            f"This dose is due on {dose.due_date:%a %-d %b %Y}: more than {window} day"
            f"{'s' if window != 1 else ''} ahead. Record it from {earliest:%a %-d %b %Y}, "
            "or ask a clinician to record why it is given early."
        )
    previous = previous_given_on(plan, dose)
    gap = dose.phase.min_interval_days
    if previous is not None and previous <= given_on < previous + timedelta(days=gap):
        problems.append(
            f"The last injection was given on {previous:%a %-d %b %Y}: this phase needs {gap} "
            f"day{'s' if gap != 1 else ''} between injections, so the earliest is "
            f"{previous + timedelta(days=gap):%a %-d %b %Y}. A clinician can record why it is "
            "needed sooner."
        )
    if not problems:
        if override_reason.strip():
            errors.add(
                "override_reason",
                "No reason is needed: the dose is within its window and its gap. Clear this "
                "box to save.",
            )
        return []
    reason = override_reason.strip()
    if reason and CLINICIAN not in user_roles(by):
        errors.add(
            "override_reason",
            "Only a clinician can record why a dose is given early or sooner than the gap.",
        )
    elif not reason:
        for problem in problems:
            errors.add(field, problem)
    elif len(reason) > MAX_NOTES:
        errors.add("override_reason", f"Keep the reason under {MAX_NOTES} characters.")
    return [f"{problem} Given anyway: {reason}" for problem in problems]


def check_given(
    *,
    plan: Plan,
    dose: Dose,
    given_on: date,
    today: date,
    date_field: str,
    future: bool,
    site: str,
    side: str,
    batch: str,
    expiry: date | None,
    in_clinic: bool,
    accept_site_warning: bool,
    errors: Errors,
) -> list[str]:
    """What every record of a dose given is checked for, whoever records it and whether first
    or as a correction: the site and side and the stock (both required in clinic), and the date.
    Returns the warnings accepted."""
    site_check = records.check_site(
        route=plan.version.route,
        site=site,
        side=side,
        labels=dict(Site.choices),
        required=in_clinic,
        accept_site_warning=accept_site_warning,
    )
    stock = records.check_stock(batch=batch, expiry=expiry, given_on=given_on, required=in_clinic)
    for field, message in [*site_check.problems, *stock]:
        errors.add(field, message)
    check_date(
        plan=plan,
        dose=dose,
        given_on=given_on,
        today=today,
        field=date_field,
        errors=errors,
        future=future,
    )
    return site_check.warnings


def check_outcome(
    outcome: str, allergy: str, *, new_reaction: bool, errors: Errors, unknown: str, missing: str
) -> None:
    if outcome not in Outcome.values:
        errors.add("outcome", unknown)
    elif new_reaction and outcome == Outcome.ALLERGIC_REACTION and not allergy.strip():
        errors.add("allergy", missing)
