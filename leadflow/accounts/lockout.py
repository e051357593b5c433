"""Login lockout after repeated wrong passwords (django-axes, configured in settings)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from leadflow.core.every import Every


def client_address(request: HttpRequest) -> str | None:
    """The address a login attempt is counted against: REMOTE_ADDR only. A client's own X-Forwarded-For is never
    believed (it would let a guesser pick a fresh address per try); behind a reverse proxy `leadflow run` with
    LEADFLOW_TRUSTED_PROXY has already put the address the proxy saw into REMOTE_ADDR."""
    return request.META.get("REMOTE_ADDR") or None


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """The page a locked-out login gets (429). Every try during the pause restarts it, so "in N minutes" holds
    from this very try."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


PRUNE = Every(3600.0)


def prune_login_log(*, now: datetime) -> int:
    """Forget successful-login records older than LEADFLOW_LOGIN_LOG_DAYS (the worker, at most once an hour):
    django-axes writes one per login and never removes them."""
    from axes.models import AccessLog

    if not PRUNE.due(now.timestamp()):
        return 0
    deleted, _by_model = AccessLog.objects.filter(
        attempt_time__lt=now - timedelta(days=settings.LEADFLOW_LOGIN_LOG_DAYS)).delete()
    return deleted
