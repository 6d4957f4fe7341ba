"""Where a benchmark's CPU goes, read from /proc (Linux): the whole machine, and the processes
whose command line holds a given word (this process apart)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path


def cpu_by_process(groups: dict[str, bytes]) -> Counter[str]:
    """CPU seconds used so far: "machine", "this process", and each group of `groups` (a name
    and a word of the command line, e.g. {"workers": b"celery"}). A process that has ended is
    not here to read: its share is in what the machine used beyond the groups."""
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as stat:
        fields = [int(n) for n in stat.readline().split()[1:]]
    used: Counter[str] = Counter({"machine": (sum(fields[:8]) - fields[3] - fields[4]) / tick})
    for stat_path in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat_path.read_text()
            command = (stat_path.parent / "cmdline").read_bytes()
        except OSError:
            continue  # it ended
        if stat_path.parent.name == str(os.getpid()):
            group = "this process"
        else:
            group = next((name for name, word in groups.items() if word in command), "")
        if group:
            after_name = text[text.rindex(")") + 2 :].split()
            used[group] += (int(after_name[11]) + int(after_name[12])) / tick  # utime, stime
    return used
