"""Resource limits: what one input or one pair may cost before it is set aside with a reason.

A collection crawled from the web holds the odd pathological item: a 40 MB "article" that is
a concatenated dump, a file that is a disk image renamed ``.txt``, a pair of near-identical
megabyte texts whose alignment takes minutes.  Each limit turns such an item into an entry
in ``errors`` (the run goes on) instead of a crash, an out-of-memory kill or a stalled run.

Defaults:

* ``max_article_chars`` 1,000,000: spaCy's own ``max_length`` (its E088 error above it), used
  by the meaning-change and signature stages; a news article is 2-20 thousand characters
  (BBC News: the longest of 2,225 is 25,000), so only dumps and concatenations exceed it.
* ``max_file_bytes`` 256 MiB: a WARC or JSONL file holds many articles and may be large;
  a single ``.txt``/``.html`` article over ``max_article_chars`` is refused by that limit
  after decoding anyway.  Larger files are refused before they are read into memory.
* ``pair_seconds`` 120: alignment of one pair of BBC-sized articles takes < 0.1 s, of two
  1.2M-character texts about 40 s on one core (``benchmarks/bench_long_pair.py``); a pair
  over the limit is reported in ``errors`` and the run goes on.  0 turns the limit off.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "Limits", "TimeLimitExceeded", "time_limit"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-input and per-pair resource limits (see the module docstring for the defaults)."""

    max_article_chars: int = 1_000_000
    max_file_bytes: int = 256 * 1024 * 1024
    pair_seconds: float = 120.0

    def __post_init__(self) -> None:
        if self.max_article_chars < 1 or self.max_file_bytes < 1:
            raise ValueError("Limits.max_article_chars and max_file_bytes must be positive")
        if self.pair_seconds < 0:
            raise ValueError(f"Limits.pair_seconds must be >= 0 (0 = no limit), got {self.pair_seconds!r}")


DEFAULT_LIMITS = Limits()


class TimeLimitExceeded(Exception):
    """Raised inside :func:`time_limit` when the time is up."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise ``TimeLimitExceeded`` in the block once ``seconds`` of wall time have passed.

    Uses ``SIGALRM`` (an interval timer), so it works in a process's main thread on POSIX
    (the CLI, and each worker of the process pool); elsewhere, and with ``seconds <= 0``,
    the block runs without a limit.
    """
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
