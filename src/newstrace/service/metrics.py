"""Request metrics in the Prometheus text exposition format (version 0.0.4), without a client library."""

from __future__ import annotations

import threading
from collections import defaultdict

__all__ = ["BUCKETS", "Metrics"]

# Latency buckets (seconds): reads answer in milliseconds, a trace against a large index in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _labels(**kv: str) -> str:
    return "{" + ",".join(f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in kv.items()) + "}"


class Metrics:
    """Counters and a latency histogram per route template (never per raw path: bounded series)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.buckets: dict[tuple[str, str], list[int]] = {}
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.counts: dict[tuple[str, str], int] = defaultdict(int)
        self.in_flight = 0

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            key = (method, route)
            b = self.buckets.setdefault(key, [0] * len(BUCKETS))
            for i, le in enumerate(BUCKETS):
                if seconds <= le:
                    b[i] += 1
            self.sums[key] += seconds
            self.counts[key] += 1

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        """The exposition text; ``gauges`` maps a metric name to (help, value)."""
        lines = ["# HELP newstrace_http_requests_total HTTP requests by method, route and status.",
                 "# TYPE newstrace_http_requests_total counter"]
        with self._lock:
            for (m, r, s), n in sorted(self.requests.items()):
                lines.append(f"newstrace_http_requests_total{_labels(method=m, route=r, status=s)} {n}")
            lines += ["# HELP newstrace_http_request_duration_seconds Request latency by method and route.",
                      "# TYPE newstrace_http_request_duration_seconds histogram"]
            for (m, r), b in sorted(self.buckets.items()):
                for le, n in zip(BUCKETS, b, strict=True):
                    lines.append(f"newstrace_http_request_duration_seconds_bucket{_labels(method=m, route=r, le=str(le))} {n}")
                lines.append(f"newstrace_http_request_duration_seconds_bucket{_labels(method=m, route=r, le='+Inf')} "
                             f"{self.counts[(m, r)]}")
                lines.append(f"newstrace_http_request_duration_seconds_sum{_labels(method=m, route=r)} {self.sums[(m, r)]:.6f}")
                lines.append(f"newstrace_http_request_duration_seconds_count{_labels(method=m, route=r)} {self.counts[(m, r)]}")
            lines += ["# HELP newstrace_http_requests_in_flight Requests being served.",
                      "# TYPE newstrace_http_requests_in_flight gauge", f"newstrace_http_requests_in_flight {self.in_flight}"]
        for name, (help_text, value) in sorted(gauges.items()):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(lines) + "\n"
