"""The marketer's page: the hottest leads marketing is nurturing, and the latest hand-offs to sales."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from leadflow.accounts.models import Role
from leadflow.leads.models import Lead, LeadState
from leadflow.warming import services
from leadflow.warming.models import LeadScore

SHOWN = 50
CANDIDATES = 500


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
    # Points fade at one rate for all, so the strongest now are among the largest sums and the freshest ones.
    scores = LeadScore.objects.filter(lead__in=nurturing.values("pk"))
    candidates = {s.pk: s for s in scores.order_by("-behaviour_points")[:CANDIDATES]}
    candidates.update({s.pk: s for s in scores.order_by("-as_of")[:CANDIDATES]})
    ranked = sorted(((services.points_now(s, now=now, settings=settings), s.pk) for s in candidates.values()),
                    reverse=True)[:SHOWN]
    leads = Lead.objects.select_related("team").in_bulk([pk for _, pk in ranked])
    hottest = [{"lead": leads[pk], "points": points} for points, pk in ranked if pk in leads]
    handed = (LeadScore.objects.filter(marketing_qualified_at__isnull=False, lead__in=scope.values("pk"))
              .select_related("lead__owner", "lead__team").order_by("-marketing_qualified_at")[:SHOWN])
    context = {
        "hottest": hottest, "handed": handed, "nurturing_count": nurturing.count(), "policy": settings,
        "can_open_cards": request.user.is_admin or request.user.role in (Role.HEAD, Role.MANAGER),
    }
    return render(request, "warming/marketing.html", context)
