"""Older code measured beside this code in the same run: a git ref checked out as a worktree in
var/, which the benchmark then runs from."""

from __future__ import annotations

import subprocess
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]


def checkout(ref: str, name: str) -> Path:
    tree = BASE_DIR / "var" / name
    subprocess.run(
        ["git", "worktree", "remove", "--force", str(tree)], cwd=BASE_DIR, capture_output=True
    )
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), ref],
        cwd=BASE_DIR,
        check=True,
        capture_output=True,
    )
    (tree / "var").mkdir(exist_ok=True)  # logs and caches, not in git
    return tree
