"""Real Celery worker processes for the benchmarks: one `--concurrency 1` process each, so the
count of processes is the count of tasks running at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]


@contextmanager
def celery_workers(count: int, env: dict[str, str], name: str = "bench") -> Iterator[None]:
    log = (BASE_DIR / "var" / f"{name}-workers.log").open("ab")
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "b12clinic",
                "worker",
                "--concurrency=1",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{name}{n}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        for n in range(count)
    ]
    try:
        yield
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
        log.close()
