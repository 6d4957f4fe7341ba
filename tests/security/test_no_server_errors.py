"""Whatever a client sends to any URL of the app (query strings, `next` values, content types,
charsets, bodies), the answer is never a server error."""

from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.test_access_matrix import MATRIX

ODD_NEXT = st.sampled_from(
    [
        "/accounts/login/",
        "/accounts/otp/?next=/accounts/login/",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "\x00",
        "/%00",
        "/" + "a" * 3000,
        "http://[::1",
        "",
    ]
)
ODD_VALUE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["not-a-uuid", "9999-12-31", "0001-01-01", "-1", "1e400", "NaN", "\x00", "%", "%zz"]
    ),
)
QUERY = st.dictionaries(
    st.sampled_from(["next", "dose", "day", "since", "until", "page", "patient", "q", "action"]),
    ODD_VALUE,
    max_size=4,
)
CONTENT_TYPE = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=xyz",
        "application/json",
        "text/plain",
        "",
        "application/x-www-form-urlencoded; charset=utf-16",
        "application/x-www-form-urlencoded; charset=utf-32",
        "application/x-www-form-urlencoded; charset=x-unknown",
        "multipart/form-data; boundary=xyz; charset=utf-16",
    ]
)
BODY = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            "notes=caf\xe9".encode("utf-16"),
            b"\xff\xfe\x00",
            b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\r\n--xyz--\r\n',
            b"next=https%3A%2F%2Fevil.example%2F",
        ]
    ),
)
ROLES = ("anonymous", "clinician", "nurse", "patient", "clinic_admin", "outsider")


def _url(world, name):
    arguments, _ = MATRIX[name]
    return reverse(name, args=[world.ids[a] for a in arguments])


def _encode(query):
    return "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items())


@pytest.mark.parametrize("role", ROLES)
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(sorted(MATRIX)),
    query=QUERY,
    next_=ODD_NEXT,
    method=st.sampled_from(["GET", "POST", "HEAD"]),
    content_type=CONTENT_TYPE,
    body=BODY,
    csrf=st.booleans(),
)
def test_no_request_gets_a_server_error(
    world, role, name, query, next_, method, content_type, body, csrf
):
    client = Client(raise_request_exception=False, enforce_csrf_checks=csrf)
    if csrf:
        # A well-formed CSRF cookie, so the check goes on to read the body.
        client.cookies[django_settings.CSRF_COOKIE_NAME] = "a" * 32
    if role != "anonymous":
        client.force_login(world.users[role])
    url = f"{_url(world, name)}?{_encode({**query, 'next': next_})}"
    if method == "GET":
        response = client.get(url)
    elif method == "HEAD":
        response = client.head(url)
    else:
        response = client.generic("POST", url, body, content_type=content_type)
    assert response.status_code < 500, (method, url, content_type, body, response.status_code)
