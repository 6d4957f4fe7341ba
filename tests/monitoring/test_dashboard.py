"""The dashboard in figures: each count agrees with the list it links to."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from b12clinic.core.models import Clinic
from b12clinic.demo import demo_seed
from monitoring.models import Alert
from plans.day_list import day_list

pytestmark = pytest.mark.django_db


def figure(page: str, testid: str) -> tuple[int, str]:
    block = page[page.index(f'data-testid="{testid}"') :]
    block = block[block.index(">") + 1 :]
    block = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block[: block.index("</a>")]))
    number, _, words = block.strip().partition(" ")
    return int(number), words.strip()


def test_the_figures_match_the_day_list_alerts_reviews_and_rechecks(client):
    demo_seed()
    clinic = Clinic.objects.get()
    client.force_login(User.objects.get(username="clinician"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/dashboard/").content.decode()

    listing = day_list(clinic=clinic, day=timezone.localdate(timezone=clinic.zone))
    assert figure(page, "figure-due")[0] == len(listing.due) > 0
    assert figure(page, "figure-overdue")[0] == len(listing.overdue) >= 3
    urgent = Alert.objects.filter(acknowledged_at__isnull=True, severity="urgent").count()
    other = Alert.objects.filter(acknowledged_at__isnull=True).exclude(severity="urgent").count()
    assert figure(page, "figure-alerts") == (
        urgent + other,
        f"open alerts: {urgent} urgent, {other} other",
    )
    # Priya Shah's neurological loading ends at a review due tomorrow; the others end after
    # a number of doses.
    reviews, words = figure(page, "figure-reviews")
    assert (reviews, words) == (1, "loading review due this week")
    listed = page[page.index('data-testid="reviews-due"') :]
    assert "SHAH, Priya" in listed.split("</ul>")[0] or "Priya Shah" in listed.split("</ul>")[0]
    assert "End loading" in listed.split("</ul>")[0]
    rechecks = figure(page, "figure-rechecks")[0]
    assert rechecks == page.split('data-testid="overdue-rechecks"')[1].split("</ul>")[0].count(
        "<li"
    )
    assert len(queries) <= 25


def test_an_old_alert_carries_its_year(client):
    demo_seed()
    alert = Alert.objects.first()
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(days=400))
    client.force_login(User.objects.get(username="clinician"))
    page = client.get("/dashboard/").content.decode()
    raised = (timezone.localtime() - timedelta(days=400)).date()
    assert f"raised {raised:%-d %b %Y}" in page
