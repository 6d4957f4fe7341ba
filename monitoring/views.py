from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from b12clinic.access import clinician_required
from plans.forms import apply_errors

from . import services
from .selectors import get_alert_for_staff


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="What was done", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def alert_acknowledge(request: HttpRequest, alert_id: str) -> HttpResponse:
    alert = get_alert_for_staff(request.user, alert_id)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.alert_acknowledge(
                alert=alert, by=request.user, note=form.cleaned_data["note"], now=timezone.now()
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(request, "The alert was acknowledged.")
            return redirect("dashboard")
    return render(request, "monitoring/alert_acknowledge.html", {"alert": alert, "form": form})
