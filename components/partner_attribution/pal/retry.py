"""A retry budget: capped exponential backoff with jitter, bounded by a deadline."""

from __future__ import annotations

import math
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def run_within(seconds: float, call: Callable[[], T], timed_out: Callable[[], BaseException]) -> T:
    """Run ``call`` and wait at most ``seconds`` for it; raise ``timed_out()`` when it overruns. A server that keeps a
    connection alive by sending a byte at a time (in its headers or its body) defeats per-read socket timeouts, not
    this. A call that overruns is abandoned on a daemon thread (its connection is discarded with it)."""
    answers: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            answers.put((True, call()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread as is
            answers.put((False, exc))

    threading.Thread(target=run, name="bounded-call", daemon=True).start()
    try:
        ok, value = answers.get(timeout=max(0.001, seconds))
    except queue.Empty:
        raise timed_out() from None
    if ok:
        return value  # type: ignore[no-any-return]
    raise value


@dataclass
class Backoff:
    """Delays of ``base * factor**n``, capped, with "equal jitter" (half fixed, half random).

    The cap is short on purpose: Entra replication usually settles within a minute, and a short
    cap bounds how long after the principal becomes usable the link is made (about ``cap`` seconds).
    """

    base: float = 1.0
    factor: float = 1.6
    cap: float = 2.5
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * self.factor ** max(0, attempt - 1))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def after_retry_after(self, attempt: int, retry_after: float) -> float:
        """The wait a server asked for (``Retry-After``), never less, plus up to a tenth of it more (at most a second):
        links told to wait at the same moment (one tenant's sign-ins, throttled together) do not all come back in the
        same instant; and never less than :meth:`delay` either."""
        return max(self.delay(attempt), retry_after + self.rng.uniform(0, min(1.0, retry_after / 10)))


@dataclass
class Budget:
    """Wall-clock budget of one operation."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    started: float = field(init=False)

    def __post_init__(self) -> None:
        if not math.isfinite(self.seconds) or self.seconds <= 0:
            raise ValueError(f"a retry budget must be a finite number of seconds above 0, not {self.seconds!r}")
        self.started = self.clock()

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    @property
    def remaining(self) -> float:
        return self.seconds - self.elapsed
