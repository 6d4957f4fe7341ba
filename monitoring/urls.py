from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path(
        "alerts/<uuid:alert_id>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
    path("patients/<uuid:patient_id>/labs/", views.labs, name="labs"),
    path("patients/<uuid:patient_id>/labs/new/", views.lab_new, name="lab_new"),
    path("patients/<uuid:patient_id>/checkins/new/", views.checkin_new, name="checkin_new"),
    path("results/<uuid:result_id>/void/", views.result_void, name="result_void"),
    path("rechecks/<uuid:recheck_id>/cancel/", views.recheck_cancel, name="recheck_cancel"),
    path("plans/<uuid:plan_id>/rechecks/add/", views.recheck_add, name="recheck_add"),
    path("reminders/failed/", views.reminders_failed, name="reminders_failed"),
    path("reminders/<uuid:reminder_id>/retry/", views.reminder_retry, name="reminder_retry"),
    path("reminders/stop/<str:token>/", views.reminder_opt_out, name="reminder_opt_out"),
]
