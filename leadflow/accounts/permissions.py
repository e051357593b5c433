"""What each role may do in Django's admin (where configuration lives), without groups to set up by hand.

An administrator (role) may do everything there, as a superuser may. A marketer runs campaigns: sources,
campaigns, their spend and extra costs, web forms, tracking sites and the warming rules; forms, sources,
campaigns and sites are switched off rather than deleted (leads keep pointing at them). Heads of sales and
managers work in Leadflow's own pages; teams and users are the admin's, and a head sets their own team's routing
(scheme, SLA, weights, rules) on the team's routing page (leads.routing_setup), not here.
Permissions given to a user or a group in the admin still count on top (Django's ModelBackend).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.backends import BaseBackend

from leadflow.accounts.models import Role

EDIT = ("view", "add", "change")
ALL = ("view", "add", "change", "delete")
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.MARKETER: {
        "marketing.source": EDIT, "marketing.campaign": EDIT, "marketing.campaignspend": ALL,
        "marketing.extracost": ALL, "intake.form": EDIT, "warming.trackingsite": EDIT, "warming.pointsrule": ALL,
        "warming.fitrule": ALL, "warming.pointspolicy": ("view", "change"),
    },
}
STAFF_ROLES = (Role.ADMIN, Role.MARKETER)  # roles that use the admin: they may log in there


def _every_permission() -> set[str]:
    return {f"{model._meta.app_label}.{action}_{model._meta.model_name}"
            for model in apps.get_models() for action in model._meta.default_permissions}


class RolePermissionsBackend(BaseBackend):
    """Permissions that follow from the user's role (no authentication: the other backends log people in)."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not getattr(user_obj, "is_active", False) or obj is not None:
            return set()
        # Kept on the user object for the request, as ModelBackend keeps its own: the admin asks dozens of times.
        if not hasattr(user_obj, "_role_perm_cache"):
            role = getattr(user_obj, "role", None)
            user_obj._role_perm_cache = _every_permission() if role == Role.ADMIN else {
                f"{label.split('.')[0]}.{action}_{label.split('.')[1]}"
                for label, actions in ROLE_PERMISSIONS.get(role, {}).items() for action in actions}
        return user_obj._role_perm_cache

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))
