"""Odd input a client can send gets a 4xx or a clear page, never a server error."""

import pytest
from django.test import Client
from django.urls import reverse


def test_a_dose_that_is_not_an_id_is_not_found(client, world):
    client.force_login(world.users["nurse"])
    url = reverse("monitoring:checkin_new", args=[world.ids["patient_id"]])
    assert client.get(url, {"dose": "not-a-uuid"}).status_code == 404
    assert client.post(url + "?dose=not-a-uuid", {}).status_code == 404


@pytest.mark.parametrize("name", ["audit_list", "audit_csv"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_audit_dates_at_the_ends_of_the_calendar_are_refused_on_the_field(client, world, name, day):
    client.force_login(world.users["clinic_admin"])
    for field in ("since", "until"):
        response = client.get(reverse(name), {field: day})
        assert response.status_code == 200
        if name == "audit_list":
            assert "Choose a date between 2000 and 2999." in response.content.decode()


@pytest.mark.parametrize("csrf", [True, False])
@pytest.mark.parametrize("charset", ["utf-16", "utf-32"])
def test_a_form_posted_in_another_charset_is_a_bad_request(world, charset, csrf):
    client = Client(enforce_csrf_checks=csrf, raise_request_exception=False)
    client.cookies["csrftoken"] = "a" * 32  # well formed: the check goes on to read the body
    client.force_login(world.users["nurse"])
    url = reverse("monitoring:checkin_new", args=[world.ids["patient_id"]])
    response = client.generic(
        "POST",
        url,
        "notes=caf\xe9".encode(charset),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    assert response.status_code == 400
    assert "That request could not be read" in response.content.decode()


def test_a_body_larger_than_any_form_is_refused_unread(client, world, settings):
    client.force_login(world.users["nurse"])
    url = reverse("monitoring:checkin_new", args=[world.ids["patient_id"]])
    big = b'--xyz\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n'
    big += b"\0" * (settings.MAX_REQUEST_BODY + 1) + b"\r\n--xyz--\r\n"
    response = client.generic("POST", url, big, content_type="multipart/form-data; boundary=xyz")
    assert response.status_code == 413


def test_a_read_is_audited_only_when_the_page_is_delivered(world, monkeypatch):
    from b12clinic.core.models import AuditEvent
    from monitoring import pages

    client = Client(raise_request_exception=False)
    client.force_login(world.users["clinician"])
    url = reverse("monitoring:patient_detail", args=[world.ids["patient_id"]])
    opened = AuditEvent.objects.filter(summary="Chart opened")

    def broken(*args, **kwargs):
        raise RuntimeError("the chart template failed")

    with monkeypatch.context() as patch:
        patch.setattr(pages, "render", broken)
        assert client.get(url).status_code == 500
    assert not opened.exists()

    assert client.get(url).status_code == 200
    assert opened.count() == 1
