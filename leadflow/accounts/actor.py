"""Who is making the change being saved: the routing history (leads.routing_setup) records it with each line.

One context variable, set for a whole request by ActorMiddleware (read lazily: a token-authenticated API request
gets its user after the middleware ran) and, more narrowly, by a service that is told who acts (`acting_as(by)`,
None: nobody who logs in). Unset (a script in `leadflow shell`, a management command, the worker): nobody, shown
as "—". The models' save/delete and querysets read it where they record, so a change is recorded once, wherever it
was made, with who made it when that is known."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse

_actor: ContextVar[Any] = ContextVar("leadflow_actor", default=None)


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Changes saved inside are by `user` (a User, None for nobody, or a callable giving one when asked)."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Any:
    """The user changes are being made by, or None (nobody who logs in, or an anonymous request)."""
    user = _actor.get()
    if callable(user):
        user = user()
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return None
    return user


class ActorMiddleware:
    """Changes made while answering a request are by the user making it (after AuthenticationMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_as(lambda: getattr(request, "user", None)):
            return self.get_response(request)
