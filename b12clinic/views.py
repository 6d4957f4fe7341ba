from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from monitoring.dashboard import dashboard as dashboard_figures

from .core.access import AuthenticatedRequest, clinician_required, primary_role
from .core.nightly import night_progress
from .core.roles import CLINIC_ADMIN, CLINICIAN, NURSE, PATIENT
from .health import check_broker, check_cache, check_database, side_by_side
from .tasks import WORKER_HEARTBEAT_KEY

ALERTS_SHOWN = 50

ROLE_HOMES = {
    CLINICIAN: "dashboard",
    NURSE: "plans:today",
    PATIENT: "monitoring:me",
    CLINIC_ADMIN: "admin:index",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = primary_role(request.user)
    if role is None:
        return render(request, "b12clinic/no_role.html", status=403)
    return redirect(ROLE_HOMES[role])


@clinician_required
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    found = dashboard_figures(user=request.user, now=timezone.now(), shown=ALERTS_SHOWN)
    return render(
        request,
        "b12clinic/dashboard.html",
        {
            "board": found,
            "alerts": found.alerts,
            "overdue_rechecks": found.rechecks,
            "today": found.today,
        },
    )


def _worker_heartbeat() -> str | None:
    try:
        return cache.get(WORKER_HEARTBEAT_KEY)
    except Exception:  # a cache outage must not turn the health page into a 500
        return None


def _nightly() -> dict[str, dict[str, object]]:
    """Last night's chunked jobs: how many chunks are done, running, pending or failed."""
    return {
        p.job: {
            "night": p.night.isoformat(),
            "done": p.done,
            "running": p.running,
            "pending": p.pending,
            "failed": p.failed,
        }
        for p in night_progress(night=timezone.localdate())
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    found = side_by_side({"database": check_database, "broker": check_broker, "cache": check_cache})
    database, broker, cache_check = found["database"], found["broker"], found["cache"]
    healthy = database.ok and broker.ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": database.detail,
            "broker": broker.detail,
            # The cache only saves work: slow or down, it is reported but the app still serves.
            "cache": cache_check.detail,
            "worker_heartbeat": _worker_heartbeat() if cache_check.ok else None,
            "nightly": _nightly() if database.ok else None,
        },
        status=200 if healthy else 503,
    )


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; the icon is a static SVG."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
