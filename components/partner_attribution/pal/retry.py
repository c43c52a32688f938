"""A retry budget: capped exponential backoff with jitter, bounded by a deadline."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


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
