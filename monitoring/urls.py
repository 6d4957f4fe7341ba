from django.urls import path

from . import home_checkins, pages, views
from .documents import subscriptions
from .documents import views as document_views
from .interop import api as fhir_api
from .interop import inbound_views
from .reminders import recall_views
from .reminders import views as reminder_views

app_name = "monitoring"

urlpatterns = [
    path("patients/<uuid:patient_id>/", pages.patient_detail, name="patient_detail"),
    path("plans/<uuid:plan_id>/", pages.plan_detail, name="plan_detail"),
    path("me/", pages.me, name="me"),
    path("me/checkin/", home_checkins.me_checkin, name="me_checkin"),
    path("checkin/<str:token>/", home_checkins.checkin_link, name="checkin_link"),
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
    path("reminders/failed/", reminder_views.reminders_failed, name="reminders_failed"),
    path(
        "reminders/<uuid:reminder_id>/retry/", reminder_views.reminder_retry, name="reminder_retry"
    ),
    path("reminders/stop/<str:token>/", reminder_views.reminder_opt_out, name="reminder_opt_out"),
    path("r/<str:code>", reminder_views.short_opt_out, name="short_opt_out"),
    path("plans/<uuid:plan_id>/schedule.pdf", document_views.plan_schedule_pdf, name="plan_pdf"),
    path("plans/<uuid:plan_id>/schedule.ics", document_views.plan_schedule_ics, name="plan_ics"),
    path(
        "plans/<uuid:plan_id>/share-links/",
        document_views.share_link_create,
        name="share_link_create",
    ),
    path(
        "share-links/<uuid:link_id>/revoke/",
        document_views.share_link_revoke,
        name="share_link_revoke",
    ),
    path("s/<str:token>/", document_views.shared_schedule, name="shared_schedule"),
    path("s/<str:token>/schedule.pdf", document_views.shared_schedule_pdf, name="shared_pdf"),
    path("s/<str:token>/schedule.ics", document_views.shared_schedule_ics, name="shared_ics"),
    path("me/schedule.pdf", document_views.me_schedule_pdf, name="me_pdf"),
    path("me/schedule.ics", document_views.me_schedule_ics, name="me_ics"),
    path("me/calendar/new/", subscriptions.me_calendar_new, name="me_calendar_new"),
    path(
        "patients/<uuid:patient_id>/calendar/new/",
        subscriptions.patient_calendar_new,
        name="patient_calendar_new",
    ),
    path(
        "calendar-feeds/<uuid:feed_id>/stop/",
        subscriptions.calendar_feed_revoke,
        name="calendar_feed_revoke",
    ),
    path("cal/<str:secret>/schedule.ics", subscriptions.calendar_feed, name="calendar_feed"),
    path("recall/", recall_views.recall, name="recall"),
    path("recall/patients.csv", recall_views.recall_csv, name="recall_csv"),
    path("recall/send/", recall_views.recall_send, name="recall_send"),
    path("lab-messages/", inbound_views.lab_messages, name="lab_messages"),
    path("lab-messages/upload/", inbound_views.lab_messages_upload, name="lab_messages_upload"),
    path(
        "lab-messages/<uuid:message_id>/match/",
        inbound_views.lab_message_match,
        name="lab_message_match",
    ),
    path(
        "lab-messages/<uuid:message_id>/reject/",
        inbound_views.lab_message_reject,
        name="lab_message_reject",
    ),
    path("fhir/metadata", fhir_api.metadata, name="fhir_metadata"),
    path("fhir/Bundle", fhir_api.results_in, name="fhir_bundle_in"),
    path("fhir/DiagnosticReport", fhir_api.results_in, name="fhir_report_in"),
    path("fhir/Patient", fhir_api.patient_search, name="fhir_patient_search"),
    path("fhir/Patient/<str:patient_id>", fhir_api.patient_read, name="fhir_patient"),
    path(
        "fhir/Patient/<str:patient_id>/$everything",
        fhir_api.patient_everything,
        name="fhir_patient_everything",
    ),
]
