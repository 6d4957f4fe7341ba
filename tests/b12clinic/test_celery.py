"""A real Celery worker on the configured broker (Redis on CI) runs the project's tasks."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache

from b12clinic.tasks import WORKER_HEARTBEAT_KEY, heartbeat

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_queue():
    """A worker of our own on a queue of our own, so no other worker can take the task."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "b12clinic.settings_test"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "b12clinic",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield queue
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output)


def test_a_real_worker_runs_the_heartbeat_sent_through_the_broker(worker_queue):
    cache.delete(WORKER_HEARTBEAT_KEY)

    heartbeat.apply_async(queue=worker_queue)

    deadline = time.monotonic() + 60
    while cache.get(WORKER_HEARTBEAT_KEY) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert cache.get(WORKER_HEARTBEAT_KEY) is not None, "no worker ran the heartbeat within 60 s"
