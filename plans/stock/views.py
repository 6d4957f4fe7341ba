"""The stock page: the clinic's batches with their expiry flagged; add one, take one out."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from b12clinic.core.access import (
    AuthenticatedRequest,
    recall_clinics,
    role_required,
    stock_clinics,
)
from b12clinic.core.models import Clinic
from b12clinic.core.roles import CLINIC_ADMIN, CLINICIAN, NURSE

from ..access import get_stock_batch_for_staff
from ..forms import apply_errors
from . import selectors, services
from .forms import StockBatchForm, WithdrawForm

stock_required = role_required(NURSE, CLINICIAN, CLINIC_ADMIN)


def _today(clinics: list[Clinic]) -> date:
    return timezone.localdate(timezone=clinics[0].zone) if clinics else timezone.localdate()


@stock_required
def stock(request: AuthenticatedRequest) -> HttpResponse:
    clinics = stock_clinics(request.user)
    listed = list(clinics)
    show_all = request.GET.get("all") == "1"
    today = _today(listed)
    rows = selectors.stock_list(
        clinics=clinics,
        today=today,
        warn_days=settings.STOCK_EXPIRY_WARNING_DAYS,
        withdrawn=show_all,
    )
    return render(
        request,
        "plans/stock.html",
        {
            "rows": rows,
            "today": today,
            "show_all": show_all,
            "warn_days": settings.STOCK_EXPIRY_WARNING_DAYS,
            "several_clinics": len(listed) > 1,
            "may_recall": recall_clinics(request.user).exists(),
        },
    )


@stock_required
@require_http_methods(["GET", "POST"])
def stock_new(request: AuthenticatedRequest) -> HttpResponse:
    clinics = stock_clinics(request.user)
    today = _today(list(clinics))
    form = StockBatchForm(request.POST or None, clinics=clinics, initial={"received_on": today})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = services.stock_batch_add(
                clinic=data["clinic"],
                by=request.user,
                product=data["product"],
                batch=data["batch"],
                expiry=data["expiry"],
                received_on=data["received_on"],
                quantity=data.get("quantity"),
                now=timezone.now(),
                today=today,
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(
                request,
                f"Batch {added.batch} of {added.product.generic_name} added to stock: the give "
                "form offers it until it expires.",
            )
            return redirect("plans:stock")
    return render(request, "plans/stock_new.html", {"form": form})


@stock_required
@require_http_methods(["GET", "POST"])
def stock_withdraw(request: AuthenticatedRequest, stock_id: str) -> HttpResponse:
    found = get_stock_batch_for_staff(request.user, stock_id)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.stock_batch_withdraw(
                stock=found, by=request.user, reason=form.cleaned_data["reason"], now=timezone.now()
            )
        except ValidationError as error:
            apply_errors(error, form)
        else:
            messages.success(request, f"Batch {found.batch} was taken out of stock.")
            return redirect("plans:stock")
    return render(request, "plans/stock_withdraw.html", {"stock": found, "form": form})
