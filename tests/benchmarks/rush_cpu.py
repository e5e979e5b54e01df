"""CPU time spent per request by the server, the database and the load generator.

Wall-clock figures on a shared 2-core machine depend on what else runs; the CPU seconds that
the gunicorn workers and the PostgreSQL backends of the benchmark database consumed during a
phase do not (much). Read from ``/proc`` (Linux); on other systems the figures are left out.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of one process, or None if it is gone or unreadable."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def children_of(parent: int) -> list[int]:
    """Direct children of a process (the gunicorn workers of its master)."""
    found = []
    for entry in PROC.iterdir() if PROC.exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return found


@dataclass
class Snapshot:
    server: dict[int, float]
    database: dict[int, float]
    own: float
    wall: float


@dataclass(frozen=True)
class CpuUse:
    server_seconds: float
    database_seconds: float
    client_seconds: float
    wall_seconds: float

    def per_request_ms(self, requests: int) -> dict[str, float]:
        if not requests:
            return {}
        return {
            "server": self.server_seconds / requests * 1000,
            "database": self.database_seconds / requests * 1000,
            "client": self.client_seconds / requests * 1000,
        }


class CpuMeter:
    """Snapshots the CPU time of the server's workers and the benchmark's DB backends."""

    def __init__(self, server_pid: int, database_pids):
        self.server_pid = server_pid
        self.database_pids = database_pids  # callable returning the backends' pids now
        self.available = PROC.exists()

    def snapshot(self) -> Snapshot:
        def times(pids):
            measured = {pid: cpu_seconds(pid) for pid in pids}
            return {pid: seconds for pid, seconds in measured.items() if seconds is not None}

        if not self.available:
            return Snapshot({}, {}, time.process_time(), time.perf_counter())
        return Snapshot(
            server=times([self.server_pid, *children_of(self.server_pid)]),
            database=times(self.database_pids()),
            own=time.process_time(),
            wall=time.perf_counter(),
        )

    @staticmethod
    def used(before: Snapshot, after: Snapshot) -> CpuUse:
        def delta(first: dict[int, float], last: dict[int, float]) -> float:
            return sum(seconds - first.get(pid, 0.0) for pid, seconds in last.items())

        return CpuUse(
            server_seconds=delta(before.server, after.server),
            database_seconds=delta(before.database, after.database),
            client_seconds=after.own - before.own,
            wall_seconds=after.wall - before.wall,
        )
