"""Client pages: my clients and the client card with its link back to the lead, its timeline and its tasks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow.clients import services
from leadflow.clients.forms import ClientEditForm
from leadflow.clients.models import Client, Contact
from leadflow.clients.querysets import clients_open_to, clients_visible_to, search_clients
from leadflow.core.errors import DomainError, InvalidInput
from leadflow.core.inputs import text_problem
from leadflow.leads import forms as lead_forms
from leadflow.leads import services as lead_services
from leadflow.leads.given import also_gave, held_by
from leadflow.leads.models import Lead
from leadflow.leads.templatetags.leadflow_tags import phone_shown
from leadflow.leads.views import completable_tasks, keep_refused, require_sales, restore_drafts, works_leads
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
        qs = search_clients(qs, query)
    return render(request, "clients/list.html", {"clients": qs.order_by("-created_at", "-pk")[:200], "q": query})


@login_required
def client_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The card opens to who manages the client (its owner, the head of its team, an admin) and to who has an open
    task on it: the latter logs calls and completes their task, but adds no tasks and changes nothing else."""
    user = request.user
    client = clients_open_to(user).select_related("company", "contact", "owner", "lead").filter(pk=pk).first()
    if client is None:
        raise Http404
    contacts = _contacts_of(client)
    lead = client.lead
    is_erased = client.erased_at is not None
    can_manage = works_leads(user) and lead_services.can_manage_client(client, user)
    requests = list(client.requests.all()[:50])
    held = held_by(*contacts)
    for item in requests:  # what a request since the conversion gave besides the contacts' own (read only)
        item.also_gave = also_gave(None, item.facts, held=held)
    context = {
        "client": client,
        "contacts": contacts,
        "requests": requests,
        "activities": client.activities.select_related("author")[:100],
        "tasks": (tasks := list(client.tasks.select_related("assignee").order_by("completed_at", "due_at"))),
        "completable": completable_tasks(user, tasks),
        "lead": lead,
        # The lead stays its own owner's card: linked only for who may open it (not, say, a new owner's).
        "lead_visible": bool(lead and Lead.objects.visible_to(user).filter(pk=lead.pk).exists()),
        "lead_activities": lead.activities.select_related("author")[:50] if lead else [],
        "field_changes": client.field_changes.select_related("changed_by"),
        "is_erased": is_erased,
        "can_manage": can_manage,
        "can_add_tasks": can_manage and not is_erased,
        "can_add_contacts": can_manage and not is_erased,
        "can_log": works_leads(user) and not is_erased,  # whoever opens the card works it (see above)
        "may_complete": works_leads(user),
        "activity_form": lead_forms.ActivityForm(auto_id="activity_%s"),
        "task_form": lead_forms.ClientTaskForm(user=user, client=client, auto_id="task_%s"),
        # The head of the client's team (or an admin) gives the client to another manager (leads.assign_client).
        "can_assign": not is_erased and (user.is_admin or (user.role == "head" and can_manage)),
        "assign_form": lead_forms.AssignForm(user=user, client=client, initial={"owner": client.owner_id},
                                             auto_id="assign_%s"),
        "can_edit": can_manage and not is_erased,
        "edit_form": ClientEditForm(auto_id="edit_%s", initial=ClientEditForm.initial_for(client)),
        "now": timezone.now(),
        "card_url": reverse("client_card", args=[client.pk]),
    }
    return render(request, "clients/card.html", restore_drafts(request, context, _draft_key(client.pk)))


def _draft_key(pk: int) -> str:
    return f"client-draft-{pk}"


def _problems(form) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
                     for name, errors in form.errors.items())


def _client_action(request: HttpRequest, pk: int, name: str, form, work) -> HttpResponse:  # type: ignore[no-untyped-def]
    """A client card's form: only who works the client may post it (others: 404); a refusal says why and keeps
    what was typed."""
    require_sales(request)
    client = clients_open_to(request.user).select_related("owner", "team").filter(pk=pk).first()
    if client is None:
        raise Http404
    bound = form(client)
    try:
        if not bound.is_valid():
            raise InvalidInput({field: list(errors) for field, errors in bound.errors.items()}, _problems(bound))
        if name in ("task", "edit"):  # who only has a task on the client logs calls, and changes nothing else
            lead_services.require_manage_client(client, request.user)
        else:
            lead_services.require_work_client(client, request.user)
        messages.success(request, work(client, bound.cleaned_data))
    except DomainError as error:
        if error.fields:
            # Back to the form, its errors by the fields and summed up above them (leads.forms.show_refused), as on
            # the lead card; nothing at the card's top.
            keep_refused(request, _draft_key(client.pk), name, error)
            return redirect(reverse("client_card", args=[client.pk]) + f"#action-{name}")
        # A refusal of the asker, not of what was typed (the client is not theirs to plan): the form may not even
        # be shown to them, so it is said at the top, and what was typed is kept.
        messages.error(request, error.message)
        request.session[_draft_key(client.pk)] = {"action": name, "data": {
            key: value for key, value in request.POST.items() if key not in ("csrfmiddlewaretoken", "next")}}
    return redirect("client_card", pk=client.pk)


@login_required
@require_POST
def client_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a call, e-mail, meeting, proposal or note on the client's timeline."""
    def work(client: Client, data: dict) -> str:
        minutes = data["duration_minutes"]
        lead_services.log_activity(client=client, kind=data["kind"], by=request.user, subject=data["subject"],
                                   body=data["body"], duration_seconds=minutes * 60 if minutes is not None else None)
        return _("Logged.")

    return _client_action(request, pk, "activity", lambda client: lead_forms.ActivityForm(request.POST), work)


@login_required
@require_POST
def client_task(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a task on the client: for its owner unless a head gives it to someone of the team."""
    def work(client: Client, data: dict) -> str:
        owner = client.owner if client.owner is not None and client.owner.is_active else None  # not one who left
        lead_services.create_task(client=client, assignee=data.get("assignee") or owner or request.user,
                                  title=data["title"], due_at=data["due_at"], kind=data["kind"], by=request.user)
        return _("Task added.")

    return _client_action(request, pk, "task", lambda client: lead_forms.ClientTaskForm(
        request.POST, user=request.user, client=client), work)


@login_required
@require_POST
def client_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """The head of the client's team gives the client to another manager of the team."""
    def work(client: Client, data: dict) -> str:
        lead_services.assign_client(client=client, to=data["owner"], by=request.user)
        return _("Assigned to %(name)s.") % {"name": data["owner"].display_name()}

    return _client_action(request, pk, "assign", lambda client: lead_forms.AssignForm(
        request.POST, user=request.user, client=client), work)


@login_required
@require_POST
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's owner, the head of its team or an admin fills in the company and the main contact (audited)."""
    def work(client: Client, data: dict) -> str:
        try:
            company, contact = services.read_client_edit(*ClientEditForm.parts(data, client))
            services.update_client(client=client, by=request.user, company=company, contact=contact)
        except DomainError as error:
            if error.fields:  # "company.inn" is said by the form's `inn`, "company.phone" by its `company_phone`
                named = ClientEditForm.field_names()
                fields: dict[str, list[str]] = {}
                for name, problems in error.fields.items():
                    fields.setdefault(named.get(name, name), []).extend(problems)
                raise DomainError(error.code, error.message, fields=fields) from error
            raise
        return _("Saved.")

    return _client_action(request, pk, "edit", lambda client: ClientEditForm(request.POST), work)


def _contacts_of(client: Client) -> list[Contact]:
    """The people of a client: its company's contacts, or its own contact for a private client."""
    return list(client.company.contacts.all()) if client.company else ([client.contact] if client.contact else [])


def contact_email_suggestion(contact: Contact) -> str:
    """The address a contact's e-mail most likely meant; "" when it reads right or was checked as right."""
    return email_suggestion(contact.email, checked=contact.email_checked)


@login_required
@require_POST
def check_contact_email(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """A contact's "the address is right": the e-mail stays as typed, the suggestion goes away (audited)."""
    client = clients_visible_to(request.user).select_related("company", "contact").filter(pk=pk).first()
    contact = next((c for c in _contacts_of(client) if c.pk == contact_pk), None) if client else None
    if client is None or contact is None:
        raise Http404
    if not contact_email_suggestion(contact):
        messages.error(request, _("There is no suggested e-mail address to dismiss."))
        return redirect("client_card", pk=client.pk)
    try:
        services.check_contact_email(client=client, contact=contact, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("E-mail %(email)s kept as right.") % {"email": contact.email})
    return redirect("client_card", pk=client.pk)


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
    suggestion = contact_email_suggestion(contact)
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


@login_required
@require_POST
def add_contact(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """Put one of the contacts a request to the client gave ("Also gave") on one of its contacts. Only a contact the
    client's requests hold is taken, never any value posted."""
    require_sales(request)
    client = clients_visible_to(request.user).select_related("company", "contact").filter(pk=pk).first()
    contacts = _contacts_of(client) if client else []
    contact = next((c for c in contacts if c.pk == contact_pk), None)
    if client is None or contact is None:
        raise Http404
    value = request.POST.get("contact", "")
    held = held_by(*contacts)
    offered = {given["value"] for item in client.requests.all()[:50] for given in also_gave(None, item.facts,
                                                                                              held=held)}
    try:
        if value not in offered:
            raise DomainError("not_given", _("This contact is not one the person gave, or the card has it already."))
        where = services.add_other_contact(client=client, contact=contact, value=value, by=request.user)
    except DomainError as error:
        messages.error(request, "; ".join(" ".join(v) for v in error.fields.values()) if error.fields
                       else error.message)
    else:
        shown = phone_shown(value)
        messages.success(request, _("%(contact)s added to %(name)s's other contacts.") % {
            "contact": shown, "name": contact.full_name} if where == "other_contacts" else _(
            "%(contact)s is %(name)s's contact now.") % {"contact": shown, "name": contact.full_name})
    return redirect("client_card", pk=client.pk)
