"""The script's own peak memory: sampled from /proc while it runs, not taken from wait4.

`ru_maxrss` from wait4 is wrong for a child of a big server: when the child execs the
script, the kernel folds the high-water mark of the memory it had before the exec (the
server's own, copied by fork or shared by vfork) into the figure. A two-line script run
by a 194 MB server reported 193 MB.

So the supervisor samples the script's process tree, often in its first 100 ms and then
every SAMPLE_INTERVAL: each process's VmHWM (the kernel's own peak of that process since
its exec: exact, however briefly it was reached) and the tree's summed VmRSS (for a tree
whose processes peak together). The peak is the largest of those. What sampling cannot
see is a peak reached and left between the last sample and the exit of a process;
wait4's figure covers that whenever it is larger than the server's own high-water mark
read right after the spawn (the mark only grows, so it bounds what the child took over)
by more than the kernel's counting slack (`slack_kb`): only then can it not be the
server's. Error bars (README, "Resource figures"): the figure is never above the
script's true peak except for pages shared between processes of one tree (counted once
per process in the sum), and below it only for a process that grew in its last
SAMPLE_INTERVAL and stayed under the server's own high-water mark plus that slack.

Hand-written: psutil would read the same /proc files, and this needs three of them.
"""

import contextlib
import resource
import time
from pathlib import Path
from typing import Any

SAMPLE_INTERVAL = 0.1  # seconds between samples of a running script's tree
PROC = Path("/proc")


def status_kb(pid: int | str, fields: tuple[str, ...]) -> dict[str, int]:
    """The named `kB` fields of /proc/<pid>/status (none for a process that is gone)."""
    found: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in fields:
                found[name] = int(value.split()[0])
    return found


def slack_kb(inherited_kb: int) -> int:
    """How far wait4's figure may stand above the server's mark and still be the server's:
    the kernel keeps resident-memory counts per CPU (Linux 6.2+) and reads them
    approximately, so the figure folded in at the exec and the mark read after it can
    differ by some pages either way (seen: a 0 MiB script reported as its 720 MB server)."""
    return max(4 * 1024, inherited_kb // 100)


def own_high_water_kb() -> int:
    """This process's peak resident memory: what a child inherits into ru_maxrss."""
    return (
        status_kb("self", ("VmHWM",)).get("VmHWM")
        or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    )


def tree(pid: int) -> list[int]:
    """`pid` and its descendants that are still its descendants (from the kernel's
    per-thread children lists)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for thread in (PROC / str(current) / "task").iterdir():
                with contextlib.suppress(OSError):
                    queue.extend(int(child) for child in (thread / "children").read_text().split())
    return found


class TreeSampler:
    """Peak memory of one script's process tree (see the module's docstring)."""

    def __init__(self, pid: int, *, inherited_kb: int) -> None:
        self.pid = pid
        self.inherited_kb = inherited_kb
        self.peak_kb = 0
        self.started = self.next_sample_at = time.monotonic()

    def sample_if_due(self, now: float) -> None:
        # Often at first (after 2, 4, 8 ... ms), since most runs are short and VmHWM only
        # counts until the last look; then every SAMPLE_INTERVAL.
        if now >= self.next_sample_at:
            self.next_sample_at = now + min(SAMPLE_INTERVAL, max(0.002, now - self.started))
            self.sample()

    def sample(self) -> None:
        total = 0
        for pid in tree(self.pid):
            figures = status_kb(pid, ("VmHWM", "VmRSS"))
            total += figures.get("VmRSS", 0)
            self.peak_kb = max(self.peak_kb, figures.get("VmHWM", 0))
        self.peak_kb = max(self.peak_kb, total)

    def peak(self, wait4_maxrss_kb: int | None) -> int | None:
        """The run's peak memory in KiB, given what wait4 reported (None: not reaped)."""
        if wait4_maxrss_kb is not None and wait4_maxrss_kb > self.inherited_kb + slack_kb(
            self.inherited_kb
        ):
            return max(self.peak_kb, wait4_maxrss_kb)
        return self.peak_kb or None

    def usage_fields(self, rusage: resource.struct_rusage | None) -> dict[str, Any]:
        """The row's resource columns once the script is reaped (`rusage` from wait4,
        whose CPU time covers the script and every descendant it waited for)."""
        if rusage is None:
            return {"peak_memory_kb": self.peak_kb} if self.peak_kb else {}
        return {
            "peak_memory_kb": self.peak(rusage.ru_maxrss),
            "cpu_seconds": round(rusage.ru_utime + rusage.ru_stime, 3),
        }
