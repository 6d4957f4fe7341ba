from django.urls import path

from . import dose_views, views
from .stock import views as stock_views

app_name = "plans"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<uuid:patient_id>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<uuid:patient_id>/plans/new/", views.plan_create, name="plan_create"),
    path("plans/dose-as-read/", views.dose_as_read, name="dose_as_read"),
    path("plans/<uuid:plan_id>/amend/", views.plan_amend, name="plan_amend"),
    path("plans/<uuid:plan_id>/stop/", views.plan_stop, name="plan_stop"),
    path("plans/<uuid:plan_id>/end-loading/", views.plan_end_loading, name="plan_end_loading"),
    path("stock/", stock_views.stock, name="stock"),
    path("stock/new/", stock_views.stock_new, name="stock_new"),
    path("stock/<uuid:stock_id>/withdraw/", stock_views.stock_withdraw, name="stock_withdraw"),
    path("today/", dose_views.today, name="today"),
    path("today/export.csv", dose_views.today_csv, name="today_csv"),
    path("doses/<uuid:dose_id>/give/", dose_views.dose_give, name="dose_give"),
    path("doses/<uuid:dose_id>/not-given/", dose_views.dose_not_given, name="dose_not_given"),
    path(
        "doses/<uuid:dose_id>/given-outside/",
        dose_views.dose_given_outside,
        name="dose_given_outside",
    ),
    path(
        "administrations/<uuid:administration_id>/correct/",
        dose_views.administration_correct,
        name="administration_correct",
    ),
    path(
        "administrations/<uuid:administration_id>/void/",
        dose_views.administration_void,
        name="administration_void",
    ),
    path(
        "me/doses/<uuid:dose_id>/given-at-home/",
        dose_views.me_given_at_home,
        name="me_given_at_home",
    ),
]
