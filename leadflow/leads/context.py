"""What every page's header needs: the unread notification count, the pool's size and the user's menu."""

from typing import Any

from django.http import HttpRequest

from leadflow.accounts.models import User
from leadflow.leads.models import Lead, Notification

# Past this many the badge says "99+": counting stops there, so a base with a deep pool pays no more per page.
POOL_BADGE_CAP = 100


def pool_size(user: User) -> str:
    """How many leads wait in the pool the user sees, as the badge says it: "0".."99", or "99+" past the cap."""
    count = Lead.objects.pool_of(user).values("pk")[:POOL_BADGE_CAP].count()
    return f"{POOL_BADGE_CAP - 1}+" if count >= POOL_BADGE_CAP else str(count)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    works_leads = user.is_admin or user.role in ("head", "manager")
    return {
        "unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count(),
        "is_head": user.is_admin or user.role == "head",
        # The partner report (partners.views.partners_open_to): heads for their teams' partners, the marketer all.
        "sees_partners": user.is_admin or user.role in ("head", "marketer"),
        "works_leads": works_leads,
        # The menu's badge on "Pool": leads waiting for someone to claim them, refreshed with the bell.
        "pool_count": pool_size(user) if works_leads else "0",
    }
