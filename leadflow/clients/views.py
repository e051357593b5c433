"""Client pages: my clients and the client card with its link back to the lead."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from leadflow.clients.querysets import clients_visible_to
from leadflow.core.inputs import text_problem


@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    qs = clients_visible_to(request.user).select_related("company", "contact", "owner")
    query = request.GET.get("q", "").strip()[:120]
    problem = text_problem(query)
    if problem:  # the page still answers, saying what was wrong with the search
        messages.error(request, _("Search: %(problem)s") % {"problem": problem})
        query = ""
    if query:
        qs = qs.filter(name__icontains=query)
    return render(request, "clients/list.html", {"clients": qs.order_by("-created_at", "-pk")[:200], "q": query})


@login_required
def client_card(request: HttpRequest, pk: int) -> HttpResponse:
    client = clients_visible_to(request.user).select_related("company", "contact", "owner", "lead").filter(
        pk=pk).first()
    if client is None:
        raise Http404
    contacts = list(client.company.contacts.all()) if client.company else ([client.contact] if client.contact else [])
    lead = client.lead
    return render(request, "clients/card.html", {
        "client": client,
        "contacts": contacts,
        "requests": client.requests.all()[:50],
        "activities": client.activities.select_related("author")[:100],
        "tasks": client.tasks.select_related("assignee").order_by("completed_at", "due_at"),
        "lead": lead,
        "lead_activities": lead.activities.select_related("author")[:50] if lead else [],
    })
