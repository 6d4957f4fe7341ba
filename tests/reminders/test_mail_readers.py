"""A reminder email read back by a program we did not write: postal-mime, the MIME parser of
Nodemailer's author. The message is written with a quicker header path and a boundary of its
own (monitoring/reminders/mime.py); what a mail client shows must not change."""

import json
import string
from email.policy import compat32

from django.core.mail import BadHeaderError
from django.core.mail.message import sanitize_address
from hypothesis import example, given
from hypothesis import strategies as st

from b12clinic.mail import PLAIN_ADDRESS, recipient_address
from monitoring.reminders.mime import SHORT_HEADERS, ReminderEmail
from tests.outside_readers import run_reader
from tests.reminders.test_outbox import deliver_now, pending, plan_starting_in


def postal_mime(raw: bytes) -> dict:
    return json.loads(run_reader("read_mail.mjs", "postal-mime", input=raw))


def folded(
    policy, name: str, value: str, linesep: str, width: int | None = 78
) -> tuple[bytes | str, str]:
    """As bytes for the wire and as text; or the error, where the standard library refuses
    a value (so must we)."""
    policy = policy.clone(linesep=linesep, max_line_length=width)
    try:
        return policy.fold_binary(name, value), policy.fold(name, value)
    except Exception as error:
        return type(error).__name__, ""


HEADER_NAMES = st.sampled_from(
    [
        "Subject",
        "To",
        "Reply-To",
        "Message-ID",
        "List-Unsubscribe",
        "X-B12-Reminder",
        "Content-Type",
        "X-A-Header-Name-Long-Enough-To-Leave-Almost-No-Room-On-Its-Line-For-A-Value",
    ]
)


# Headers as reminders carry them: printable words and addresses, one space apart, some long
# enough to fold.
WORDS = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits + "<>@.:/-=_", min_size=1, max_size=14),
    max_size=12,
).map(" ".join)


# One word too long for a line (a link), and "a; b" (a content type and its boundary).
LONG_WORD = st.text(
    alphabet=string.ascii_letters + string.digits + "<>@.:/-=_\"'()!?", min_size=1, max_size=300
)
SEMICOLON = st.tuples(LONG_WORD, LONG_WORD | WORDS).map("; ".join)


@given(
    name=HEADER_NAMES,
    value=WORDS
    | LONG_WORD
    | SEMICOLON
    | st.text(max_size=100)
    | st.text(alphabet=st.characters(max_codepoint=127), max_size=100),
    linesep=st.sampled_from(["\n", "\r\n"]),
    width=st.sampled_from([78, 78, 40, 0, None]),
)
@example(
    name="Content-Type",
    value="multipart/alternative; " + " ".join(f"boundary{n}" for n in range(12)),
    linesep="\r\n",
    width=78,
)
def test_a_header_is_written_exactly_as_the_standard_library_writes_it(name, value, linesep, width):
    assert folded(SHORT_HEADERS, name, value, linesep, width) == folded(
        compat32, name, value, linesep, width
    )


def test_a_reminder_reads_the_same_in_another_mail_reader(consenting, clinician, smtp_settings):
    consenting.given_name = "Zoë"
    consenting.save()
    clinic = consenting.clinic
    clinic.name = "Clínica São Brás"
    clinic.email = "recepcao@clinica.example.org"
    clinic.save()
    plan_starting_in(consenting, clinician, 2)
    first = pending(consenting)[0]
    assert deliver_now().sent >= 1
    (raw,) = [
        raw
        for raw, parsed in zip(smtp_settings.raw, smtp_settings.messages, strict=True)
        if parsed["X-B12-Reminder"] == str(first.pk)
    ]
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))  # RFC 5322's hard limit

    read = postal_mime(raw)
    assert read["subject"].startswith("Your B12 injection is due on")
    assert read["messageId"] == first.message_id
    assert read["to"] == [{"address": "nora.quinn@example.org", "name": ""}]
    assert read["replyTo"] == [{"address": "recepcao@clinica.example.org", "name": ""}]
    assert read["headers"]["auto-submitted"] == "auto-generated"
    unsubscribe = read["headers"]["list-unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http") and " " not in unsubscribe
    for body in (read["text"], read["html"]):
        assert "Hello Zoë" in body
        assert "Clínica São Brás" in body
        assert f"{first.for_date:%B} {first.for_date:%Y}" in body
    assert unsubscribe in read["text"] and "<strong>" in read["html"]
    assert "<strong>" not in read["text"]


BODIES = st.text(max_size=300) | st.text(alphabet="ab \r\n€é", max_size=1200)


@given(
    subject=WORDS | st.text(max_size=90),
    body=BODIES,
    html=BODIES,
    to=st.sampled_from(["nora.quinn@example.org", "Zoë <zoe@example.org>", "a@b"]),
    extra=st.dictionaries(HEADER_NAMES.filter(lambda n: n not in {"To", "Reply-To"}), WORDS),
)
# A caller's own Content-Type: Django writes it after the message's, with the same boundary.
@example(subject="", body="0", html="", to="nora.quinn@example.org", extra={"Content-Type": ""})
def test_a_reminder_is_written_on_the_wire_exactly_as_django_writes_it(
    subject, body, html, to, extra
):
    """The quick path writes Django's bytes, or declines and leaves the message to Django."""
    email = ReminderEmail(
        subject=subject,
        body=body,
        to=[to],
        reply_to=["clinic@example.org"],
        headers={"Message-ID": "<reminder.1@b12clinic.local>", **extra},
    )
    email.attach_alternative(html, "text/html")
    try:
        django = email.message()
    except BadHeaderError:
        assert email.wire_bytes() is None
        return
    expected = django.as_bytes(linesep="\r\n")
    ours = email.wire_bytes(boundary=django.get_boundary(), date=django["Date"])
    assert ours is None or ours == expected


def test_a_reminder_takes_the_quick_path_with_the_same_bytes():
    email = ReminderEmail(
        subject="Your B12 injection is due on Tuesday 1 December",
        body="Hello Zoë,\n\nYour injection is due.\r\n\nClínica São Brás\n",
        to=["nora.quinn@example.org"],
        reply_to=["recepcao@clinica.example.org"],
        headers={
            "Message-ID": "<reminder.1@b12clinic.local>",
            "List-Unsubscribe": "<http://localhost:8000/reminders/stop/" + "x" * 120 + "/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative("<p>Hello Zoë,</p>\n<p>Clínica São Brás</p>", "text/html")
    django = email.message()
    ours = email.wire_bytes(boundary=django.get_boundary(), date=django["Date"])
    assert ours == django.as_bytes(linesep="\r\n")
    assert b"Content-Transfer-Encoding: 8bit" in ours and "Zoë".encode() in ours


def sanitized(address: object) -> str:
    try:
        return sanitize_address(address, "utf-8")
    except Exception as error:
        return type(error).__name__


@given(
    address=st.emails()
    | st.from_regex(PLAIN_ADDRESS, fullmatch=True)
    | st.text(max_size=60)
    | st.text(alphabet=string.ascii_letters + '@.-_+"<> ', max_size=40)
)
@example(address="Nora.Quinn@Example.ORG")
@example(address="a@b-.example")
@example(address="Nora Quinn <nora@example.org>")
def test_a_recipient_is_written_as_django_writes_it(address):
    try:
        quick = recipient_address(address, "utf-8")
    except Exception as error:
        quick = type(error).__name__
    assert quick == sanitized(address)
