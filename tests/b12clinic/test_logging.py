"""What the console shows of a refused request: one line, not a traceback."""

import io
import logging

import pytest

from b12clinic.logfilters import OneLineRefusals


@pytest.fixture
def console():
    """The console handler the settings configure, writing into a buffer for the test."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, OneLineRefusals) for f in h.filters)
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_refused_page_is_one_line_in_the_log(client, nurse, console):
    client.force_login(nurse)
    assert client.get("/patients/new/").status_code == 403
    lines = [line for line in console.getvalue().splitlines() if line.strip()]
    assert lines == ["Forbidden (Permission denied): /patients/new/"]
