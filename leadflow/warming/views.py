"""The marketer's page: the hottest leads marketing is nurturing, and the latest hand-offs to sales."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from leadflow.accounts.models import Role
from leadflow.leads.models import Lead, LeadState
from leadflow.leads.querysets import points_now_expression
from leadflow.warming import services
from leadflow.warming.models import LeadScore

SHOWN = 50


def marketing_scope(user) -> object:  # type: ignore[no-untyped-def]
    """Admin and marketers: every team; a head of sales: the team's leads."""
    if user.is_admin or user.role == Role.MARKETER:
        return Lead.objects.all()
    if user.role == Role.HEAD:
        return Lead.objects.visible_to(user)
    raise Http404


@login_required
def marketing(request: HttpRequest) -> HttpResponse:
    scope = marketing_scope(request.user)
    now = timezone.now()
    settings = services.policy()
    nurturing = scope.filter(state=LeadState.NURTURING)
    # The most points now (fit points and the fading behaviour points, as the lead list's "hottest first" reads them),
    # ties newest first. Candidates by the largest stored sums and the freshest ones missed a lead whose points are
    # fit points (they do not fade), listed after leads with fewer points now or not at all.
    points_now = points_now_expression(now)
    ranked = (nurturing.filter(score__isnull=False).annotate(points_now=points_now).select_related("team")
              .order_by("-points_now", "-created_at", "-pk")[:SHOWN])
    hottest = [{"lead": lead, "points": lead.points_now} for lead in ranked]
    handed = (LeadScore.objects.filter(marketing_qualified_at__isnull=False, lead__in=scope.values("pk"))
              .select_related("lead__owner", "lead__team").order_by("-marketing_qualified_at")[:SHOWN])
    context = {
        "hottest": hottest, "handed": handed, "nurturing_count": nurturing.count(), "policy": settings,
        "can_open_cards": request.user.is_admin or request.user.role in (Role.HEAD, Role.MANAGER),
    }
    return render(request, "warming/marketing.html", context)
