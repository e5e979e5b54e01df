"""Load generator for the registration rush benchmark: plain threads and ``http.client``.

Loopback only and bounded: every phase sends a fixed list of requests, each with a socket
timeout, and stops taking new work at a phase deadline. Each request uses a fresh connection
(``Connection: close``) because in a rush every request comes from a different student's
browser; it also lets any free server worker accept it.
"""

from __future__ import annotations

import http.client
import ipaddress
import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    session_key: str
    csrf_token: str

    def encode(self) -> tuple[bytes | None, dict[str, str]]:
        """Body and headers of a logged-in browser request (session and CSRF cookies)."""
        headers = {
            "Cookie": f"sessionid={self.session_key}; csrftoken={self.csrf_token}",
            "Connection": "close",
            "Accept": "text/html",
        }
        body = None
        if self.method == "POST":
            body = urlencode({"csrfmiddlewaretoken": self.csrf_token}).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.csrf_token
        return body, headers


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: the connection failed or timed out
    latency: float  # seconds, connect to last byte
    location: str = ""
    error: str = ""


@dataclass
class PhaseResult:
    name: str
    outcomes: list[Outcome]
    wall_seconds: float
    not_sent: int = 0

    @property
    def latencies_ms(self) -> list[float]:
        return sorted(outcome.latency * 1000 for outcome in self.outcomes)

    @property
    def statuses(self) -> Counter:
        return Counter(outcome.status for outcome in self.outcomes)

    @property
    def server_errors(self) -> int:
        return sum(1 for o in self.outcomes if o.status is not None and o.status >= 500)

    @property
    def client_errors(self) -> int:
        return sum(1 for o in self.outcomes if o.status is not None and 400 <= o.status < 500)

    @property
    def connection_errors(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status is None)

    @property
    def answered(self) -> int:
        """2xx and 3xx: the server handled the request as designed."""
        return sum(1 for o in self.outcomes if o.status is not None and 200 <= o.status < 400)

    @property
    def throughput(self) -> float:
        return len(self.outcomes) / self.wall_seconds if self.wall_seconds else 0.0

    def percentile(self, fraction: float) -> float:
        return percentile(self.latencies_ms, fraction)

    def redirect_targets(self) -> Counter:
        return Counter(outcome.location for outcome in self.outcomes if outcome.location)

    def error_samples(self, limit: int = 5) -> list[str]:
        return [o.error for o in self.outcomes if o.error][:limit]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (0.0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def require_loopback(host: str) -> None:
    """The benchmark may only ever load a server on this machine."""
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"refusing to send load to {host}: loopback addresses only")


def send(host: str, port: int, request: Request, *, timeout: float) -> Outcome:
    body, headers = request.encode()
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(request.method, request.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return Outcome(
            status=response.status,
            latency=time.perf_counter() - started,
            location=response.getheader("Location", ""),
        )
    except (OSError, http.client.HTTPException) as exc:  # TimeoutError is an OSError
        return Outcome(
            status=None, latency=time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}"
        )
    finally:
        connection.close()


def run_phase(
    name: str,
    requests: list[Request],
    *,
    host: str,
    port: int,
    concurrency: int,
    deadline_seconds: float,
    timeout: float = 30.0,
) -> PhaseResult:
    """Send ``requests`` from ``concurrency`` client threads released together."""
    require_loopback(host)
    concurrency = max(1, min(concurrency, len(requests)))
    next_index = itertools.count()
    index_lock = threading.Lock()
    outcomes: list[Outcome | None] = [None] * len(requests)
    barrier = threading.Barrier(concurrency + 1)
    stop_at = [0.0]

    def client() -> None:
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            with index_lock:
                index = next(next_index)
            if index >= len(requests):
                return
            outcomes[index] = send(host, port, requests[index], timeout=timeout)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    stop_at[0] = started + deadline_seconds
    barrier.wait()
    for thread in threads:
        thread.join(timeout=max(0.0, stop_at[0] + timeout + 5 - time.perf_counter()))
    wall = time.perf_counter() - started
    done = [outcome for outcome in outcomes if outcome is not None]
    return PhaseResult(name=name, outcomes=done, wall_seconds=wall,
                       not_sent=len(requests) - len(done))


ACCESS_LOG_FORMAT = "%(s)s %(D)s %(m)s %(U)s"


def server_durations_ms(log_text: str, *, method: str) -> list[float]:
    """Request durations the server logged (gunicorn access log in ACCESS_LOG_FORMAT), sorted."""
    durations = []
    for line in log_text.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1].isdigit() and parts[2] == method:
            durations.append(int(parts[1]) / 1000)
    return sorted(durations)
