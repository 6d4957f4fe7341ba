"""A worker process stops the garbage collector walking what it loaded at start."""

import gc

import pytest
from celery.signals import worker_process_init

from b12clinic.celery import WORKER_GC_THRESHOLD


@pytest.fixture
def restore_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_started_worker_process_freezes_what_it_loaded_and_collects_less_often(restore_gc):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    worker_process_init.send(sender=None)
    assert gc.get_freeze_count() > 10_000  # Django, Celery and the apps
    assert gc.get_threshold() == WORKER_GC_THRESHOLD
    assert WORKER_GC_THRESHOLD[0] > 700  # the interpreter's default
