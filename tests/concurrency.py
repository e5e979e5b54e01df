"""One thread runner for every concurrency test (PostgreSQL, marked ``postgres``).

All workers start together behind a ``threading.Barrier``; each thread uses its own database
connection and closes it when it ends. A thread still alive after the join timeout means a
deadlock (or a hang) and fails the test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.db import connection

JOIN_TIMEOUT_SECONDS = 60


def run_concurrently(
    calls: list[Callable[[], object]], *, workers: int | None = None
) -> list[tuple[str, object]]:
    """Run ``calls`` on ``workers`` threads (default: one per call) released together.

    Returns ``("ok", value)`` or ``("error", exception)`` per call, in the calls' order.
    """
    workers = min(workers or len(calls), len(calls))
    outcomes: list[tuple | None] = [None] * len(calls)
    barrier = threading.Barrier(workers)

    def work(indices: range) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT_SECONDS)
            for index in indices:
                try:
                    outcomes[index] = ("ok", calls[index]())
                except Exception as exc:  # every exception is recorded and judged by the test
                    outcomes[index] = ("error", exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(range(start, len(calls), workers),), daemon=True)
        for start in range(workers)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT_SECONDS
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"{len(stuck)} worker threads still running: deadlock or hang"
    assert all(outcome is not None for outcome in outcomes)
    return outcomes  # type: ignore[return-value]
