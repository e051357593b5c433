"""Who sees which client and company."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from leadflow.accounts.models import User
from leadflow.clients.models import Client, Company
from leadflow.leads.querysets import headed_team_ids


def clients_visible_to(user: User) -> QuerySet[Client]:
    """A manager sees own clients; a head, the team's; an admin, all."""
    if not user.is_authenticated or not user.is_active:
        return Client.objects.none()
    if user.is_admin:
        return Client.objects.all()
    if user.role == "head":
        return Client.objects.filter(Q(owner=user) | Q(team_id__in=headed_team_ids(user)))
    if user.role == "manager":
        return Client.objects.filter(owner=user)
    return Client.objects.none()


def companies_visible_to(user: User) -> QuerySet[Company]:
    """Companies of the clients one sees, plus those one owns."""
    if not user.is_authenticated or not user.is_active:
        return Company.objects.none()
    if user.is_admin:
        return Company.objects.all()
    client_companies = clients_visible_to(user).exclude(company__isnull=True).values("company_id")
    return Company.objects.filter(Q(owner=user) | Q(pk__in=client_companies))
