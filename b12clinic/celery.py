import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "b12clinic.settings")

app = Celery("b12clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
