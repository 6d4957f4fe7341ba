from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<uuid:patient_id>/", views.patient_detail, name="patient_detail"),
    path("patients/<uuid:patient_id>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<uuid:patient_id>/plans/new/", views.plan_create, name="plan_create"),
    path("plans/<uuid:plan_id>/", views.plan_detail, name="plan_detail"),
    path("plans/<uuid:plan_id>/amend/", views.plan_amend, name="plan_amend"),
    path("plans/<uuid:plan_id>/stop/", views.plan_stop, name="plan_stop"),
    path("plans/<uuid:plan_id>/end-loading/", views.plan_end_loading, name="plan_end_loading"),
    path("today/", views.today, name="today"),
    path("me/", views.me, name="me"),
]
