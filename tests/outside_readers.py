"""Running the programs we did not write (tests/readers/*.mjs, their packages from npm): skipped
with a hint where Node.js or the package is missing, a failure on CI."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import on_ci

ROOT = Path(__file__).resolve().parents[1]


def run_reader(
    script: str, package: str, *args: str, input: bytes | None = None, timeout: float = 60
) -> bytes:
    """What `tests/readers/<script>` printed, run with Node.js on `args` and `input`."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / package).exists():
        message = f"{package} is not installed: `npm ci` installs it (Node.js 20)."
        if on_ci():
            pytest.fail(message + " CI must read what the app emits with it.")
        pytest.skip(message)
    done = subprocess.run(
        [node, str(ROOT / "tests" / "readers" / script), *args],
        input=input,
        capture_output=True,
        check=True,
        cwd=ROOT,
        timeout=timeout,
    )
    return done.stdout
