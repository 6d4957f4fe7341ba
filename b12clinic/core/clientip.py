"""The client's address: one answer for the audit, the sign-in lockout and the share-link
throttle.

Behind the TLS proxy every connection comes from the proxy, so `REMOTE_ADDR` would put every
client in one bucket (and let anyone lock everyone out). With `BEHIND_TLS_PROXY` on, the
address is read from `X-Forwarded-For` as the trusted proxies wrote it: the entry
`TRUSTED_PROXY_HOPS` from the right. Entries further left were sent by the client and are
never believed. Parsing is python-ipware's.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from python_ipware import IpWare


@cache
def _reader(hops: int) -> IpWare:
    # python-ipware counts the proxies after the client; with leftmost=True it takes the
    # entry that many places from the right end, which is where the nearest proxy wrote it.
    return IpWare(precedence=("HTTP_X_FORWARDED_FOR",), leftmost=True, proxy_count=hops - 1)


def client_ip(request: Any) -> str | None:
    if request is None:
        return None
    meta = request.META
    if settings.BEHIND_TLS_PROXY:
        ip, _trusted = _reader(settings.TRUSTED_PROXY_HOPS).get_client_ip(meta)
        if ip is not None:
            return str(ip)
    return meta.get("REMOTE_ADDR") or None
