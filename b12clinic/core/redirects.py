"""Where to go next: the one place that decides whether a `next` a client sent may be followed."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` of the request (POST first, then the query string) when it stays on this
    site, else `fallback` (a URL or a URL name). A `next` back to the page itself is not
    followed either: it would redirect in a loop."""
    return followable_next(request) or resolve_url(fallback)


def followable_next(request: HttpRequest) -> str:
    """The request's `next` if it may be followed, else "": on this site, by a path (no other
    host, no scheme-relative `//host`, no `javascript:`), and not this page again."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")  # a path: "0" or "dashboard" would be taken for a URL name
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and urlsplit(target).path != request.path
    ):
        return target
    return ""
