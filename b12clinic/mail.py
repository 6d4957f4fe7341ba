"""The SMTP backend `EMAIL_URL=smtp://…` selects: Django's, for a message that can write its own
bytes (`wire_bytes()`, as reminders do), sent without building and flattening an
`email.message` tree; and with the sender's address checked once per process rather than once
per message, as it is the same setting every time."""

from __future__ import annotations

import smtplib
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address


@lru_cache(maxsize=16)
def _sender(address: str, encoding: str) -> str:
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
        to = [sanitize_address(address, encoding) for address in recipients]
        assert self.connection is not None  # opened by send_messages
        try:
            self.connection.sendmail(from_email, to, data)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
