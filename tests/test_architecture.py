"""Imports run one way: kernel <- plans <- monitoring, the project shell on top, and the clinical
rules free of Django. The contracts live in pyproject.toml; these tests show they hold, that
they cover the whole shell, and that a wrong-way import breaks them."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_the_import_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_shell_contract_names_every_module_outside_the_kernel():
    shell = {
        f"b12clinic.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "b12clinic").iterdir()
        if path.name not in {"core", "__init__.py", "__pycache__"}
        and (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    assert set(_contracts()["shell"]["forbidden_modules"]) == shell


def test_the_reminders_contract_names_every_other_module_of_monitoring():
    others = {
        f"monitoring.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "monitoring").iterdir()
        if path.name not in {"reminders", "apps.py", "urls.py", "__init__.py", "__pycache__"}
        and (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    assert set(_contracts()["reminders"]["source_modules"]) == others


WRONG_WAY = [
    ("plans/selectors.py", "import monitoring.models", "kernel <- plans <- monitoring"),
    ("b12clinic/core/access.py", "import plans.models", "kernel <- plans <- monitoring"),
    ("monitoring/views.py", "import b12clinic.demo", "nothing stands on the project shell"),
    (
        "plans/rules/schedule.py",
        "import django.db",
        "the clinical rules import nothing from Django",
    ),
    (
        "monitoring/services/labs.py",
        "import monitoring.reminders.planning",
        "reminders stand apart inside monitoring",
    ),
]


@pytest.mark.parametrize(("module", "line", "contract"), WRONG_WAY)
def test_a_wrong_way_import_breaks_a_contract(tmp_path, module, line, contract):
    for package in ("b12clinic", "plans", "monitoring"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")

    result = _lint(tmp_path)

    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout


def test_no_module_is_over_450_lines():
    """Split a module as it grows (style.md): none outside migrations passes 450 lines."""
    long = {
        str(path.relative_to(ROOT)): lines
        for package in ("b12clinic", "plans", "monitoring")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and (lines := len(path.read_text().splitlines())) > 450
    }
    assert long == {}
