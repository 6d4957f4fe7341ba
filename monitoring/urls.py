from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path(
        "alerts/<uuid:alert_id>/acknowledge/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
]
