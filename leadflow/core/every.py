"""Chores the worker runs at most once per interval in its process, not on every scheduler tick."""

from __future__ import annotations

from collections.abc import Callable


class Every:
    """`due(moment)` is true at most once per `seconds` (a number, or a callable read each time so a setting
    changed at run time counts); the moment is the caller's clock, seconds as a float."""

    def __init__(self, seconds: float | Callable[[], float]) -> None:
        self._seconds = seconds
        self.last: float | None = None

    @property
    def ran(self) -> bool:
        """Whether the chore has run in this process."""
        return self.last is not None

    def due(self, moment: float) -> bool:
        seconds = self._seconds() if callable(self._seconds) else self._seconds
        if self.last is not None and moment - self.last < seconds:
            return False
        self.last = moment
        return True

    def reset(self) -> None:
        self.last = None
