"""`make run` stops when asked: a process manager's SIGTERM to make, or Ctrl-C, leaves no web,
worker, beat or listener behind. A SIGTERM once stopped make and left honcho (and the worker)
running for over an hour: make passed the signal to the shell, not to honcho."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.reminders.conftest import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(300)


def _marked(marker: str) -> list[int]:
    """Every live process whose environment carries the marker: make and all it started, even
    those reparented to init."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ")[-1].split()[0]
        except OSError:
            continue
        if marker.encode() in environ and state != "Z":
            found.append(int(entry.name))
    return found


def _start(tmp_path: Path) -> tuple[subprocess.Popen[bytes], str, int]:
    marker = f"B12_RUN_{uuid.uuid4().hex}"
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env |= {
        "B12_RUN_MARKER": marker,
        "VAR_DIR": str(tmp_path / "var"),
        "HL7_PORT": str(free_port()),
        "PORT": str(port),
    }
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=(tmp_path / "run.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # as a process manager runs it: its own group, no terminal
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2):
                break
        except OSError:
            assert process.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            time.sleep(1)
    else:
        pytest.fail("make run did not serve within 180 s")
    # Wait for the worker and beat too, so the stop finds every process up.
    deadline = time.monotonic() + 60
    log = tmp_path / "run.log"
    while "worker.1" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(3)
    return process, marker, port


def _gone_within(marker: str, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def _cleanup(left: list[int]) -> None:
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    "how",
    ["SIGTERM to make, as a process manager sends it", "Ctrl-C: SIGINT to the whole group"],
)
def test_make_run_leaves_nothing_behind(tmp_path, how):
    process, marker, _ = _start(tmp_path)
    up = _marked(marker)
    assert len(up) >= 5, up  # make, honcho, web, worker (and its pool), beat, listener
    if how.startswith("SIGTERM"):
        process.send_signal(signal.SIGTERM)
    else:
        os.killpg(process.pid, signal.SIGINT)
    left = _gone_within(marker, 30)
    names = [_name(pid) for pid in left]
    _cleanup(left)
    assert not left, f"still running 30 s after {how}: {names}"


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
    except OSError:
        return str(pid)
