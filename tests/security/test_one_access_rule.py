"""Access is decided in one place (b12clinic/core/access.py): the getters and services ask it.
This looks for the other shapes the rule once took, so none comes back."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KERNEL = {ROOT / "b12clinic" / "core" / "access.py", ROOT / "b12clinic" / "core" / "admin.py"}

OTHER_SHAPES = [
    # membership typed again, in Python or SQL
    r"\.staff\.filter\(pk=",
    r"Clinic\.objects\.filter\(staff=",
    r"clinic_staff",
    r"def _is_staff_of",
    r"def _is_clinician_of",
    r"def staff_clinics",
]


def _sources():
    for package in ("b12clinic", "plans", "monitoring"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts and path not in KERNEL:
                yield path


@pytest.mark.parametrize("shape", OTHER_SHAPES)
def test_no_module_outside_the_kernel_decides_access_itself(shape):
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _sources()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(shape, line)
    ]
    assert found == []
