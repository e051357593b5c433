"""Client pages: my clients and the client card with its link back to the lead."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow.clients import services
from leadflow.clients.models import Client, Contact
from leadflow.clients.querysets import clients_visible_to
from leadflow.core.errors import DomainError
from leadflow.core.inputs import text_problem
from leadflow.matching.normalize import email_suggestion


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
    contacts = _contacts_of(client)
    lead = client.lead
    return render(request, "clients/card.html", {
        "client": client,
        "contacts": contacts,
        "requests": client.requests.all()[:50],
        "activities": client.activities.select_related("author")[:100],
        "tasks": client.tasks.select_related("assignee").order_by("completed_at", "due_at"),
        "lead": lead,
        "lead_activities": lead.activities.select_related("author")[:50] if lead else [],
        "field_changes": client.field_changes.select_related("changed_by"),
    })


def _contacts_of(client: Client) -> list[Contact]:
    """The people of a client: its company's contacts, or its own contact for a private client."""
    return list(client.company.contacts.all()) if client.company else ([client.contact] if client.contact else [])


@login_required
@require_POST
def accept_contact_email(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """One click on a contact's "did you mean" takes the suggested address, audited on the client.

    The address is worked out from the contact's own, never taken from the post: the button can only take the
    suggestion."""
    client = clients_visible_to(request.user).select_related("company", "contact").filter(pk=pk).first()
    contact = next((c for c in _contacts_of(client) if c.pk == contact_pk), None) if client else None
    if client is None or contact is None:
        raise Http404
    suggestion = email_suggestion(contact.email) if contact.email else ""
    if not suggestion:
        messages.error(request, _("There is no suggested e-mail address to accept."))
        return redirect("client_card", pk=client.pk)
    try:
        services.change_contact_email(client=client, contact=contact, email=suggestion, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("E-mail changed to %(email)s.") % {"email": suggestion})
    return redirect("client_card", pk=client.pk)
