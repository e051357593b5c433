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


def clients_open_to(user: User) -> QuerySet[Client]:
    """The clients whose card `user` may open: those they see (`clients_visible_to`), plus those on which they
    have an open task. A head may give a task on a colleague's client to someone of the team: the assignee opens
    the card from My tasks or the notification, logs the call and completes the task; when no open task of
    theirs is left, the card closes to them again. Such a card is not in their client list (it is not theirs)."""
    if not user.is_authenticated or not user.is_active:
        return Client.objects.none()
    if user.is_admin:
        return Client.objects.all()
    if user.role not in ("head", "manager"):
        return Client.objects.none()
    from leadflow.leads.models import Task  # leads' models import this app's models

    tasked = Task.objects.filter(assignee=user, completed_at__isnull=True, client__isnull=False).values("client_id")
    return Client.objects.filter(Q(pk__in=clients_visible_to(user).values("pk")) | Q(pk__in=tasked))


def companies_visible_to(user: User) -> QuerySet[Company]:
    """Companies of the clients one sees, plus those one owns."""
    if not user.is_authenticated or not user.is_active:
        return Company.objects.none()
    if user.is_admin:
        return Company.objects.all()
    client_companies = clients_visible_to(user).exclude(company__isnull=True).values("company_id")
    return Company.objects.filter(Q(owner=user) | Q(pk__in=client_companies))
