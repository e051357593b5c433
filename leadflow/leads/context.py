"""What every page's header needs: the unread notification count, the pool's size and the user's menu."""

from typing import Any

from django.http import HttpRequest

from leadflow.leads.models import Lead, Notification


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    works_leads = user.is_admin or user.role in ("head", "manager")
    return {
        "unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count(),
        "is_head": user.is_admin or user.role == "head",
        "works_leads": works_leads,
        # The menu's badge on "Pool": leads waiting for someone to claim them, refreshed with the bell.
        "pool_count": Lead.objects.visible_to(user).in_pool().count() if works_leads else 0,
    }
