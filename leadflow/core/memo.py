"""Per-process memory of configuration rows read on every submission (a partner's key, sources,
campaigns, the first stage): one query saved each time, on the hottest path there is.

A memo forgets everything when a row of its models is saved or deleted in this process (the admin
and the API run in the server process), and after `ttl` seconds in any case, so a change made by
another process (the worker, a management command) is seen within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.db.models.signals import post_delete, post_save

_MISSING = object()
_all: list[Memo] = []


class Memo:
    def __init__(self, *models: str, ttl: float = 60.0, size: int = 1024) -> None:
        self.ttl, self.size = ttl, size
        self._rows: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        for model in models:  # "app_label.ModelName": connected once the model is loaded
            post_save.connect(self._forget, sender=model, weak=False)
            post_delete.connect(self._forget, sender=model, weak=False)
        _all.append(self)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        found = self._rows.get(key, (0.0, _MISSING))
        if found[1] is not _MISSING and found[0] > now:
            return found[1]
        value = load()
        with self._lock:
            if len(self._rows) >= self.size:
                self._rows.clear()
            self._rows[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()

    def _forget(self, **_: Any) -> None:
        self.clear()


def clear_all() -> None:
    """Forget every memo (tests roll the database back without signals)."""
    for memo in _all:
        memo.clear()
