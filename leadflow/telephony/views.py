"""The calls page: who called, who answered, which missed calls still wait for their call back."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.leads.querysets import headed_team_ids
from leadflow.telephony.models import Call, CallState

PERIODS = {"1": 1, "7": 7, "30": 30}
PAGE = 50


def calls_visible_to(user: User) -> QuerySet[Call]:
    """A manager sees the calls they answered and those of their leads, clients and call-back tasks; a head,
    also every call of the teams they lead; an admin, all. Marketers work with campaigns, not calls."""
    if not (user.is_authenticated and user.is_active):
        return Call.objects.none()
    if user.is_admin:
        return Call.objects.all()
    mine = Q(answered_by=user) | Q(lead__owner=user) | Q(client__owner=user) | Q(callback_task__assignee=user)
    if user.role == "head":
        teams = headed_team_ids(user)
        return Call.objects.filter(mine | Q(team_id__in=teams) | Q(lead__team_id__in=teams))
    if user.role == "manager":
        return Call.objects.filter(mine)
    return Call.objects.none()


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if not (user.is_admin or user.role in ("head", "manager")):
        raise Http404
    period = request.GET.get("period", "7") if request.GET.get("period") in PERIODS else "7"
    state = request.GET.get("state", "")
    waiting = request.GET.get("waiting") == "1"
    calls = calls_visible_to(user).filter(started_at__gte=timezone.now() - timedelta(days=PERIODS[period]))
    if state in CallState.values:
        calls = calls.filter(state=state)
    if waiting:  # missed, and nobody has called back yet
        calls = calls.filter(state=CallState.MISSED, callback_task__isnull=False,
                             callback_task__completed_at__isnull=True)
    calls = calls.select_related("lead", "client", "answered_by", "callback_task__assignee").order_by(
        "-started_at", "-id")
    page = Paginator(calls, PAGE).get_page(request.GET.get("page"))
    query = {"period": period, "state": state if state in CallState.values else "", "waiting": "1" if waiting else ""}
    return render(request, "telephony/calls.html", {
        "page": page, "period": period, "state": query["state"], "waiting": waiting, "states": CallState.choices,
        "query": "&".join(f"{k}={v}" for k, v in query.items() if v), "now": timezone.now(),
    })
