"""The second factor: set up an authenticator app, then pass a code after the password."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import signin_guard
from .core.qr import qr_svg
from .core.redirects import followable_next, safe_next


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code from your authenticator app",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class SignInView(LoginView):
    """Django's sign-in, following only a `next` on this site that is not the sign-in page
    itself (a signed-in user sent back to it would otherwise loop, which Django reports as a
    server error)."""

    redirect_authenticated_user = True

    def get_redirect_url(self, request: HttpRequest | None = None) -> str:
        return followable_next(request or self.request)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = signin_guard.username_of(request)
        wait = signin_guard.wait_before_trying(request, username, timezone.now())
        if wait is not None:
            return render(
                request,
                "registration/signin_wait.html",
                {"wait": timedelta(seconds=wait.seconds), "why": wait.why},
                status=429,
            )
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        signin_guard.remember_device(self.request, response, form.get_user().get_username())
        return response


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """A key is made only when the user asks for one (a POST): a link followed, or a page
    prefetched, changes nothing."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if request.method == "POST" and "start" in request.POST:
        if device is None:
            TOTPDevice.objects.create(user=request.user, name="Authenticator", confirmed=False)
        return redirect("otp_setup")
    if device is None:
        return render(request, "registration/otp_setup.html", {"device": None})
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
            otp_login(request, device)
            messages.success(request, "Your authenticator app is set up.")
            return redirect("home")
        form.add_error("code", "That code is not right: check the app's clock and try again.")
    return render(
        request,
        "registration/otp_setup.html",
        {
            "device": device,
            "form": form,
            "qr": qr_svg(device.config_url),
            "secret": device.bin_key.hex(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True))
    if not devices:
        return redirect("otp_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in devices:
            if device.verify_token(form.cleaned_data["code"]):
                otp_login(request, device)
                return redirect(safe_next(request, "home"))
        form.add_error("code", "That code is not right, or was already used.")
    return render(request, "registration/otp_verify.html", {"form": form})
