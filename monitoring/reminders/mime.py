"""A reminder email written as Django writes one, in half the time (0.31 ms to 0.16 ms, a
tenth of a sender's CPU per message in bench/reminders.py): the standard library folds every
header through its `Header` class and compiles a fresh pattern for each message's random
boundary."""

from __future__ import annotations

import secrets
from email.message import Message
from email.policy import Compat32

from django.core.mail import EmailMultiAlternatives

# RFC 5322: a header line longer than 78 characters is folded.
MAX_LINE = 78


class ShortHeaders(Compat32):
    """Compat32, as Django's messages use, with a direct path for a header that is printable
    ASCII and fits on one line, which folding leaves unchanged. Anything else is folded as
    before."""

    def _fits(self, name: str, value: object) -> bool:
        return (
            isinstance(value, str)
            and value.isascii()
            and value.isprintable()
            and len(name) + 2 + len(value) <= (self.max_line_length or MAX_LINE)
        )

    def fold(self, name: str, value: str) -> str:
        if self._fits(name, value):
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if self._fits(name, value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


SHORT_HEADERS = ShortHeaders()


class ReminderEmail(EmailMultiAlternatives):
    def message(self) -> Message:  # type: ignore[override]
        message = super().message()
        message.policy = SHORT_HEADERS
        if message.is_multipart():
            # A boundary chosen here is not searched for with a new pattern per message; 128
            # random bits cannot be in the text by chance, and a message that quotes one anyway
            # is left to the standard library.
            boundary = f"=_b12_{secrets.token_hex(16)}"
            parts = message.get_payload()
            assert isinstance(parts, list)
            bodies = (p.get_payload() if isinstance(p, Message) else p for p in parts)
            if not any(boundary in str(body) for body in bodies):
                message.set_boundary(boundary)
        return message
