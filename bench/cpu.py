"""Where a benchmark's CPU goes, read from /proc (Linux): the whole machine, and the processes
whose command line holds a given word (this process apart)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path


def cpu_snapshot(groups: dict[str, bytes]) -> dict[str, float]:
    """CPU seconds used so far: the machine's (key "machine"), and each process's of `groups`
    (a name and a word of the command line, e.g. {"workers": b"celery"}) or this one's, by
    "<group> <pid>". `cpu_used` subtracts two."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as stat:
        fields = [int(n) for n in stat.readline().split()[1:]]
    used = {"machine": (sum(fields[:8]) - fields[3] - fields[4]) / tick}
    for stat_path in Path("/proc").glob("[0-9]*/stat"):
        pid = stat_path.parent.name
        try:
            text = stat_path.read_text()
            command = (stat_path.parent / "cmdline").read_bytes()
        except OSError:
            continue  # it ended
        if pid == str(os.getpid()):
            group = "this process"
        else:
            group = next((name for name, word in groups.items() if word in command), "")
        if group:
            after_name = text[text.rindex(")") + 2 :].split()
            used[f"{group} {pid}"] = (int(after_name[11]) + int(after_name[12])) / tick
    return used


def cpu_used(before: dict[str, float], after: dict[str, float]) -> Counter[str]:
    """CPU seconds by group between two snapshots. A process that ended in between is not in
    the second: its share is in what the machine used beyond the groups."""
    used: Counter[str] = Counter()
    for key, seconds in after.items():
        used[key.rsplit(" ", 1)[0] if key != "machine" else key] += seconds - before.get(key, 0)
    return used
