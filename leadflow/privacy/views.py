"""Pages: withdraw a consent on a card, download a person's data, erase a person (admin, with confirmation)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow.clients.models import Client
from leadflow.clients.querysets import clients_visible_to
from leadflow.core.errors import DomainError
from leadflow.leads.models import Lead
from leadflow.privacy import services


def person_from(user: Any, params: Any) -> tuple[services.Person, Lead | None, Client | None]:
    """The person a request names (lead, client, email, phone or telegram); a card must be visible to the asker (else
    404)."""
    lead = client = None
    if params.get("lead"):
        lead = Lead.objects.visible_to(user).filter(pk=_int(params.get("lead"))).first()
        if lead is None:
            raise Http404
    if params.get("client"):
        client = clients_visible_to(user).filter(pk=_int(params.get("client"))).first()
        if client is None:
            raise Http404
    email, phone = str(params.get("email") or ""), str(params.get("phone") or "")
    person = services.find_person(lead=lead, client=client, email=email, phone=phone,
                                  telegram=str(params.get("telegram") or ""), include=included(params),
                                  strip=included(params, "strip"))
    return person, lead, client


def included(params: Any, name: str = "include") -> list[str]:
    """The cards ("lead:7") the admin took in although they share only a contact with the person's (`include`),
    or chose to keep with the person's contacts taken off their other contacts (`strip`)."""
    values = params.getlist(name) if hasattr(params, "getlist") else params.get(name) or []
    return [str(value) for value in values if value]


def card_label(card: services.Card) -> str:
    """"Lead #5", "Client contact #7", "Interest #3": how the erase page names a card."""
    kind, pk = card
    labels = {"lead": _("Lead #%(id)s"), "contact": _("Client contact #%(id)s"), "interest": _("Interest #%(id)s")}
    return labels[kind] % {"id": pk}


def why(join: services.Join | None) -> str:
    """Which contact brought a card in, and from which card: the erase page's answer to "why is this here?"."""
    if join is None:
        return ""
    if join.value and join.via:
        return _("holds %(contact)s, a contact of %(card)s") % {"contact": join.value_text,
                                                                 "card": card_label(join.via)}
    if join.value:
        return _("holds %(contact)s, the contact searched for") % {"contact": join.value_text}
    if join.via:
        return _("tied to %(card)s (a client and its lead or contact, a merge, a promoted interest)") % {
            "card": card_label(join.via)}
    return _("named in the search")


def _cards_shown(cards: list[services.Card]) -> dict[services.Card, dict[str, Any]]:
    """Name, owner and clients of each card, for the erase page's list of cards the person may not own alone."""
    from leadflow.leads.models import Interest

    shown: dict[services.Card, dict[str, Any]] = {}
    ids = {kind: [pk for k, pk in cards if k == kind] for kind in services.CARD_TYPES}
    for lead in Lead.objects.filter(pk__in=ids["lead"]).select_related("owner"):
        shown[("lead", lead.pk)] = {"name": lead.full_name, "owner": lead.owner}
    for client in Client.objects.filter(contact_id__in=ids["contact"]).select_related("contact", "owner"):
        shown[("contact", client.contact_id)] = {"name": client.contact.full_name, "owner": client.owner,
                                                 "client": client}
    for interest in Interest.objects.filter(pk__in=ids["interest"]):
        shown[("interest", interest.pk)] = {"name": interest.name, "owner": None}
    return shown


def erase_context(person: services.Person, params: Any) -> dict[str, Any]:
    """What the erase page lists: every card and why it came (the contact and the card it came from), and the
    cards that share a contact with the person's but that the matcher takes for someone else, to tick in."""
    taken = services.parse_cards(included(params))
    leads = list(Lead.objects.filter(pk__in=person.lead_ids).select_related("owner", "stage").order_by("pk"))
    for lead in leads:
        lead.why = why(person.joins.get(("lead", lead.pk)))
    clients = list(Client.objects.filter(pk__in=person.client_ids).select_related("owner").order_by("pk"))
    for client in clients:
        client.why = why(person.joins.get(("contact", client.contact_id)) or person.joins.get(("lead", client.lead_id)))
    from leadflow.leads.models import Interest

    interests = list(Interest.objects.filter(pk__in=person.interest_ids).order_by("pk"))
    for interest in interests:
        interest.why = why(person.joins.get(("interest", interest.pk)))
    doubtful = [(join, False) for join in person.left_out.values()]
    doubtful += [(join, True) for card, join in person.joins.items() if card in taken]
    shown = _cards_shown([join.card for join, _taken in doubtful])
    return {"leads": leads, "clients": clients, "interests": interests, "include": sorted(services.card_ref(c)
                                                                                          for c in taken),
            "strip": sorted(services.card_ref(card) for card in person.stripped),
            "doubtful": [{"join": join, "taken": was_taken, "label": card_label(join.card),
                          "via": card_label(join.via) if join.via else "",
                          "removable": ", ".join(sorted(services.value_text(value)
                                                        for value in person.removable.get(join.card, ()))),
                          "stripped": join.card in person.stripped, **shown.get(join.card, {})}
                         for join, was_taken in sorted(doubtful, key=lambda pair: pair[0].card)],
            "stripped": [{"label": card_label(card), "contacts": ", ".join(sorted(services.value_text(value)
                                                                                  for value in values))}
                         for card, values in sorted(person.stripped.items())]}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def export_response(document: dict[str, Any], *, name: str) -> HttpResponse:
    """JSON as an attachment: the browser saves it, never renders what a public form put in it."""
    body = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """Everything about the person as JSON: an admin, or the head of the team that holds all their cards."""
    if not (request.user.is_admin or request.user.role == "head"):
        raise Http404
    try:
        person, lead, client = person_from(request.user, request.GET)
    except DomainError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    if person.is_empty:
        raise Http404
    if not services.can_export(request.user, person):
        raise PermissionDenied(_("This person has cards outside your team: ask an administrator."))
    document = services.export_person(person=person, by=request.user)
    name = f"person-lead-{lead.pk}" if lead else (f"person-client-{client.pk}" if client else "person")
    return export_response(document, name=name)


@login_required
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    """A withdrawal recorded on the card by its owner, the head of its team or an admin."""
    lead = client = None
    if request.POST.get("lead"):
        lead = Lead.objects.visible_to(request.user).filter(pk=_int(request.POST["lead"])).first()
    elif request.POST.get("client"):
        client = clients_visible_to(request.user).filter(pk=_int(request.POST["client"])).first()
    if lead is None and client is None:
        raise Http404
    try:
        services.withdraw_consent(purpose=request.POST.get("purpose", ""), lead=lead, client=client, by=request.user)
    except DomainError as error:
        if error.status == 403:
            raise PermissionDenied(error.message) from error
        messages.error(request, "; ".join(" ".join(v) for v in error.fields.values()) or error.message)
    else:
        messages.success(request, _("The withdrawal is recorded."))
    return redirect(reverse("lead_card", args=[lead.pk]) if lead else reverse("client_card", args=[client.pk]))


def _labelled(errors: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The erase page's problems keyed by the labels the admin reads next to the inputs, not the fields' codes
    ("confirm: Type “erase” to confirm." read as an error of no field); "__all__" stays the page's own."""
    labels = {"email": _("E-mail"), "phone": _("Phone"), "telegram": _("Telegram"), "lead": _("Lead id"),
              "client": _("Client id"), "confirm": _("Confirmation"), "reference": _("Reference of the request"),
              "include": _("Cards taken in"), "strip": _("Contacts taken off other cards")}
    return {str(labels.get(name, name)): problems for name, problems in errors.items()}


@login_required
def erase(request: HttpRequest) -> HttpResponse:
    """Who would be erased (every card found) and a confirmation; a POST carrying the confirmation field erases.

    The page's own forms find the person by POST, so a searched e-mail or phone never stands in a URL (access
    logs, the browser's history); a card's link names only its id (GET ?lead=7)."""
    if not services.can_erase(request.user):
        raise PermissionDenied(_("Only an administrator may erase personal data."))
    params = request.POST if request.method == "POST" else request.GET
    context: dict[str, Any] = {"params": {k: params.get(k, "") for k in ("lead", "client", "email", "phone",
                                                                         "telegram")}}
    named = any(context["params"].values())
    if named:
        try:
            person, _lead, _client = person_from(request.user, params)
        except DomainError as error:
            context["errors"] = _labelled(error.fields) or {"__all__": [error.message]}
            return render(request, "privacy/erase.html", context, status=422)
        context["person"] = person
        context.update(erase_context(person, params))
    if request.method == "POST" and named and "confirm" in params:
        if params.get("confirm") != "erase":
            context["errors"] = _labelled({"confirm": [_("Type “erase” to confirm.")]})
            return render(request, "privacy/erase.html", context, status=422)
        try:
            log = services.erase_person(person=context["person"], by=request.user,
                                        reference=params.get("reference", ""))
        except DomainError as error:
            context["errors"] = {"__all__": [error.message]}
            return render(request, "privacy/erase.html", context, status=error.status)
        return render(request, "privacy/erased.html", {"log": log})
    return render(request, "privacy/erase.html", context)
