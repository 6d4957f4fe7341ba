"""Error pages that cannot fail themselves: no database, no session, no form body.

Django's own handlers check the CSRF token, which reads the body again: a body Django cannot
read (a form in UTF-16, say) then turns a 400 into a server error. A database that does not
answer is a 503 that says so, not a 500.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.template import loader

Handler = Callable[[HttpRequest], HttpResponse]

DATABASE_DOWN = (OperationalError, InterfaceError)
UNREADABLE_BODY = (BadRequest, MultiPartParserError, TooManyFieldsSent, UnicodeDecodeError)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def plain_page(status: int, template: str, **headers: str) -> HttpResponse:
    """A page from a template that extends nothing and needs no request."""
    response = HttpResponse(loader.render_to_string(template), status=status)
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name] = value
    return response


def service_unavailable() -> HttpResponse:
    return plain_page(503, "503.html", **{"Retry-After": "30"})


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return plain_page(400, "400.html")


def server_error(request: HttpRequest) -> HttpResponse:
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return service_unavailable()
    return plain_page(500, "500.html")


class RequestBodyMiddleware:
    """First in line: a body larger than `MAX_REQUEST_BODY` is refused unread (413), and a
    form body that cannot be read is a 400 before anything else tries to read it."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return bad_request(request)
        if length > settings.MAX_REQUEST_BODY:
            return plain_page(413, "413.html")
        if request.method == "POST" and request.content_type in FORM_TYPES:
            try:
                request.POST  # noqa: B018 - parse now, while a failure is still a 400
            except RequestDataTooBig:
                return plain_page(413, "413.html")
            except UNREADABLE_BODY:
                return bad_request(request)
        return self.get_response(request)
