"""Show each user the site in their own language and time zone (stored times are UTC)."""

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation


def zone_name_of(user) -> str:  # type: ignore[no-untyped-def]
    if getattr(user, "time_zone", ""):
        return user.time_zone
    team = getattr(user, "team", None)
    return team.time_zone if team is not None and team.time_zone else settings.LEADFLOW_TIME_ZONE


def in_zone_of(moment: datetime | None, user) -> datetime | None:  # type: ignore[no-untyped-def]
    """A time given without a zone (an API body's or query's ISO 8601 without an offset) is the user's local time,
    as on the card's forms; without a user (a partner's key), the site's (LEADFLOW_TIME_ZONE), as in the partner's
    report. A time with a zone is kept as given."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, ZoneInfo(zone_name_of(user)))


def activate_zone_of(user) -> None:  # type: ignore[no-untyped-def]
    """Make the user's zone the current one: "today" (date checks, defaults) is the user's day, not UTC's."""
    try:
        timezone.activate(ZoneInfo(zone_name_of(user)))
    except (ZoneInfoNotFoundError, ValueError):
        timezone.activate(ZoneInfo(settings.LEADFLOW_TIME_ZONE))


class UserPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_zone_of(user)
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        else:
            timezone.activate(ZoneInfo(settings.LEADFLOW_TIME_ZONE))
        response = self.get_response(request)
        timezone.deactivate()
        return response
