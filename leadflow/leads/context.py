"""What every page's header needs: the unread notification count and the user's menu."""

from typing import Any

from django.http import HttpRequest

from leadflow.leads.models import Notification


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count(),
        "is_head": user.is_admin or user.role == "head",
        "works_leads": user.is_admin or user.role in ("head", "manager"),
    }
