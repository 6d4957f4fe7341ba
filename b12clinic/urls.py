from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import audit_views, otp_views, views

admin.site.site_header = "B12 Clinic administration"
admin.site.site_title = "B12 Clinic"

handler400 = "b12clinic.errors.bad_request"
handler500 = "b12clinic.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "accounts/login/",
        otp_views.SignInView.as_view(),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/", otp_views.otp_verify, name="otp_verify"),
    path("accounts/otp/setup/", otp_views.otp_setup, name="otp_setup"),
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/export.csv", audit_views.audit_csv, name="audit_csv"),
    path("admin/", admin.site.urls),
    path("", include("plans.urls")),
    path("", include("monitoring.urls")),
]
