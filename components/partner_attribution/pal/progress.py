"""What a person watching one PAL operation is told while it waits: once when the waiting starts, then at most every
``interval`` seconds, then once at the end with how long it waited and how many attempts it took.

Waiting is normal right after a principal is created (Entra replicates it and its credential for up to minutes)
and on a flaky network; a line per retry (one every 2 seconds, 300 over the default 600-second budget) drowns the
one line that matters. The clock is injected, so tests drive it without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable

PROGRESS_INTERVAL_SECONDS = 30.0
"""At most one "still waiting" line per operation in this many seconds."""


class WaitReport:
    """The progress lines of one operation (a link, a read, an unlink) of one principal."""

    def __init__(
        self,
        say: Callable[[str], None],
        who: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = PROGRESS_INTERVAL_SECONDS,
    ) -> None:
        self._say = say
        self._who = who
        self._clock = clock
        self._interval = interval
        self._started = clock()
        self._last_said: float | None = None
        self.attempts = 0
        """Attempts made so far (each request sequence tried once counts one)."""

    @property
    def waited(self) -> bool:
        """True once a retry was announced."""
        return self._last_said is not None

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    def attempted(self) -> None:
        """An attempt starts."""
        self.attempts += 1

    def retrying(self, operation: str, cause: str, limit: float) -> None:
        """An attempt failed and another follows: said at once the first time, then at most every ``interval``."""
        now = self._clock()
        if self._last_said is None:
            self._say(
                f"{operation} for {self._who}: waiting ({cause}); retrying for up to {limit:.0f}s, "
                f"with a line at most every {self._interval:.0f}s"
            )
        elif now - self._last_said >= self._interval:
            self._say(
                f"{operation} for {self._who}: still waiting after {self.elapsed:.0f}s and {self.attempts} attempts ({cause})"
            )
        else:
            return
        self._last_said = now

    def finished(self, outcome: str) -> None:
        """The operation ended (``outcome``: e.g. "linked", "stopped"): said only when it had waited."""
        if self.waited:
            self._say(f"{self._who}: {outcome} after waiting {self.elapsed:.0f}s and {self.attempts} attempts")
