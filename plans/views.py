from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from b12clinic.access import patient_required, staff_required


@staff_required
def today(request: HttpRequest) -> HttpResponse:
    clinics = request.user.clinics.all()  # type: ignore[union-attr]
    return render(request, "plans/today.html", {"date": timezone.localdate(), "clinics": clinics})


@patient_required
def me(request: HttpRequest) -> HttpResponse:
    return render(request, "plans/me.html")
