"""Dose ids: UUIDv7-style, time first, whether made as UUIDs or as COPY text."""

import uuid

import time_machine

from plans.ids import ordered_uuid, ordered_uuid_text


def test_an_id_as_text_is_a_version_7_uuid_in_canonical_form():
    for _ in range(200):
        text = ordered_uuid_text()
        value = uuid.UUID(text)
        assert str(value) == text
        assert value.version == 7 and value.variant == uuid.RFC_4122


def test_ids_made_later_sort_later_whichever_way_they_are_made():
    with time_machine.travel("2027-02-28 23:59:59.998", tick=False):
        first = ordered_uuid()
    with time_machine.travel("2028-02-29 00:00:00.001", tick=False):
        second = ordered_uuid_text()
    with time_machine.travel("2028-02-29 00:00:00.002", tick=False):
        third = ordered_uuid()
    assert str(first) < second < str(third)
    assert second[:13] != str(third)[:13]  # the millisecond is in the id
