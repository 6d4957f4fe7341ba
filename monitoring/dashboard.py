"""The clinician's dashboard in figures: injections due today and overdue, open alerts by
severity, loading reviews due and rechecks overdue, each with its list. Counted in each
clinic's own today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Count, F, Q
from django.utils import timezone

from b12clinic.core.access import staff_clinics
from plans.models import Dose, DoseStatus, PlanStatus, PlanVersion
from plans.rules import schedule

from .models import Alert, Recheck, Severity
from .selectors import open_alerts, overdue_rechecks, overdue_rechecks_all


@dataclass(frozen=True)
class Dashboard:
    due_today: int
    overdue: int
    urgent_alerts: int
    other_alerts: int
    alerts: list[Alert]
    reviews: list[PlanVersion]
    reviews_count: int
    rechecks: list[Recheck]
    rechecks_count: int
    today: date

    @property
    def alerts_count(self) -> int:
        return self.urgent_alerts + self.other_alerts


def _injections(user: User, now: datetime) -> tuple[int, int]:
    """Plans with an open dose due today and none earlier (as the day list counts them), and
    plans with an open dose from before today. Two queries a clinic."""
    due = overdue = 0
    for clinic in staff_clinics(user):
        today = timezone.localdate(now, timezone=clinic.zone)
        # Ending a plan cancels its open doses: an open dose belongs to an active plan.
        open_doses = Dose.objects.filter(clinic=clinic, status=DoseStatus.DUE)
        late = open_doses.filter(due_date__lt=today).values("plan_id")
        overdue += late.distinct().count()
        due += (
            open_doses.filter(due_date=today)
            .exclude(plan_id__in=late)
            .values("plan_id")
            .distinct()
            .count()
        )
    return due, overdue


# A review is booked ahead: the list holds those due within the week as well as late ones.
REVIEWS_AHEAD_DAYS = 7


def _reviews(user: User, now: datetime) -> Q:
    """Active plans whose loading ends at a review due within the week or already late (by
    each clinic's today)."""
    due = Q(pk__in=[])
    for clinic in staff_clinics(user):
        today = timezone.localdate(now, timezone=clinic.zone)
        due |= Q(
            plan__patient__clinic=clinic,
            review_date__lte=today + timedelta(days=REVIEWS_AHEAD_DAYS),
        )
    return due


def dashboard(*, user: User, now: datetime, shown: int) -> Dashboard:
    alerts = open_alerts(user=user)
    by_severity = {
        row["severity"]: row["n"]
        for row in alerts.order_by().values("severity").annotate(n=Count("id"))
    }
    reviews = (
        PlanVersion.objects.filter(
            _reviews(user, now),
            plan__status=PlanStatus.ACTIVE,
            plan__current=F("pk"),
            phases__end_rule=schedule.EndRule.AT_REVIEW,
            phases__end_date__isnull=True,
        )
        .distinct()
        .select_related("plan__patient", "product")
        .order_by("review_date")
    )
    due_today, overdue = _injections(user, now)
    return Dashboard(
        due_today=due_today,
        overdue=overdue,
        urgent_alerts=by_severity.get(Severity.URGENT, 0),
        other_alerts=sum(n for severity, n in by_severity.items() if severity != Severity.URGENT),
        alerts=list(alerts[:shown]),
        reviews=list(reviews[:shown]),
        reviews_count=reviews.count(),
        rechecks=overdue_rechecks(user=user, now=now, limit=shown),
        rechecks_count=overdue_rechecks_all(user=user, now=now).count(),
        today=timezone.localdate(now),
    )
