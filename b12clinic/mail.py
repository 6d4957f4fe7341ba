"""The SMTP backend `EMAIL_URL=smtp://…` selects: Django's, for a message that can write its own
bytes (`wire_bytes()`, as reminders do), sent without building and flattening an
`email.message` tree; with the sender's address checked once per process rather than once per
message, as it is the same setting every time; and a plain recipient address taken as it is
rather than parsed by the standard library's header parser (0.15 ms a message)."""

from __future__ import annotations

import re
import smtplib
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address

ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# A dot-atom at an ASCII domain: what `sanitize_address` returns unchanged (it would quote a
# local part with specials, encode a non-ASCII one and punycode a non-ASCII domain).
PLAIN_ADDRESS = re.compile(rf"{ATEXT}(?:\.{ATEXT})*@{LABEL}(?:\.{LABEL})+")


@lru_cache(maxsize=16)
def _sender(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


def recipient_address(address: Any, encoding: str) -> str:
    if isinstance(address, str) and PLAIN_ADDRESS.fullmatch(address):
        return address
    return sanitize_address(address, encoding)


class SmtpBackend(smtp.EmailBackend):
    def _send(self, email_message: Any) -> bool:
        write = getattr(email_message, "wire_bytes", None)
        data = write() if write is not None else None
        recipients = email_message.recipients()
        if data is None or not recipients:
            return bool(super()._send(email_message))  # type: ignore[misc]
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        sender = email_message.from_email
        from_email = (
            _sender(sender, encoding)
            if isinstance(sender, str)
            else sanitize_address(sender, encoding)
        )
        to = [recipient_address(address, encoding) for address in recipients]
        assert self.connection is not None  # opened by send_messages
        try:
            self.connection.sendmail(from_email, to, data)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
