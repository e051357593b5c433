"""The sales team's pages: pool, my leads, lead card, board, tasks, team, notifications.

Every view finds cards through `visible_to` (so bob gets 404 for alice's lead), parses a form,
calls the same service as the API, and renders the page or, for htmx requests, the partial it updates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow.accounts.models import Role, Team, User
from leadflow.core.errors import DomainError, InvalidInput, NotFound
from leadflow.core.inputs import parse_id
from leadflow.core.worktime import WorkingClock
from leadflow.intake.models import Submission
from leadflow.leads import forms, routing_setup, services
from leadflow.leads.context import pool_size
from leadflow.leads.given import (
    also_gave,
    for_reader,
    interest_contacts,
    replaced_contacts,
    unreadable_given,
    unreadable_of,
)
from leadflow.leads.merging import merge_leads, undo_merge
from leadflow.leads.models import Channel, Lead, LeadMerge, Notification, RoutingRule, Stage, Task
from leadflow.leads.querysets import (
    INTEREST_PENDING,
    BadCursor,
    encode_cursor,
    headed_team_ids,
    interests_visible_to,
    keyset_page,
    local_day_bounds,
    sorted_page,
)
from leadflow.leads.routing import team_calendar
from leadflow.leads.templatetags.leadflow_tags import phone_shown

PAGE = 50
BOARD_TILES = 20  # per column; the column's count links to the full list of that stage


def works_leads(user: User) -> bool:
    return user.is_admin or user.role in (Role.HEAD, Role.MANAGER)


def require_sales(request: HttpRequest) -> None:
    if not works_leads(request.user):
        raise Http404


def visible_lead(request: HttpRequest, pk: int) -> Lead:
    lead = Lead.objects.visible_to(request.user).select_related(
        "stage", "owner", "team", "source", "campaign", "lost_reason").filter(pk=pk).first()
    if lead is None:
        raise Http404
    return lead


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def with_sla(qs: Any) -> Any:
    """Each lead's earliest open task due time: the SLA clock shown in lists.

    A correlated subquery, not a join + GROUP BY: it runs only for the page's rows after LIMIT,
    so a page costs the same with 100 or 100,000 leads behind it.
    """
    first_due = Task.objects.filter(lead=OuterRef("pk"), completed_at__isnull=True).order_by("due_at")
    return qs.annotate(next_due=Subquery(first_due.values("due_at")[:1]))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if user.is_admin or user.role == Role.HEAD:
        return redirect("team")
    if user.role == Role.MANAGER:
        return redirect("my_tasks")
    return render(request, "leads/welcome.html")


@login_required
def pool(request: HttpRequest) -> HttpResponse:
    require_sales(request)
    qs = with_sla(Lead.objects.visible_to(request.user).in_pool().select_related("source", "stage"))
    now = timezone.now()
    if "since" in request.GET:
        return _pool_news(qs, request, now)
    try:
        leads, next_cursor = keyset_page(qs, request.GET.get("after"), PAGE)
    except BadCursor as error:
        raise Http404 from error
    context = {"leads": leads, "next_cursor": next_cursor, "now": now,
               "refresh_seconds": settings.LEADFLOW_POOL_REFRESH_SECONDS}
    template = "leads/partials/pool_rows.html" if is_htmx(request) and request.GET.get("after") else "leads/pool.html"
    return render(request, template, context)


# A lead is committed a moment after its clock starts: each poll looks this far back, the page skips rows it has.
POOL_POLL_OVERLAP = timedelta(seconds=30)


def _pool_news(qs: Any, request: HttpRequest, now: datetime) -> HttpResponse:
    """The pool page's poll: rows of the leads that came into the pool since the page's last look (newest first;
    the page adds those it does not show yet), the moment of this look and the pool's size (for the menu badge
    and the tab title)."""
    try:
        since = parse_datetime(request.GET["since"]) if len(request.GET["since"]) <= 40 else None
    except ValueError:  # well formed but no moment: "2026-02-30T10:00:00+00:00"
        since = None
    if since is None or timezone.is_naive(since):
        return HttpResponse(_("since: give the moment of the last look (ISO 8601 with a zone)."), status=400)
    after = since - POOL_POLL_OVERLAP
    fresh = list(qs.filter(Q(created_at__gt=after) | Q(sales_since__gt=after)).order_by("-created_at", "-pk")[:PAGE])
    response = render(request, "leads/partials/pool_rows.html", {"leads": fresh, "next_cursor": None, "now": now})
    response["X-Pool-Seen"] = now.isoformat()
    response["X-Pool-Count"] = pool_size(request.user)
    response["Cache-Control"] = "no-store"
    return response


def filtered_leads(request: HttpRequest) -> tuple[forms.LeadFilterForm, Any]:
    """The list page's filter form and the leads it selects (None when the filters are invalid);
    the export reads the same, so a file holds exactly what the page shows."""
    user: User = request.user
    form = forms.LeadFilterForm(request.GET or None, user=user)
    qs = Lead.objects.visible_to(user).select_related("stage", "owner", "source")
    if not (user.is_admin or user.role == Role.HEAD):
        qs = qs.filter(owner=user)
    if not (form.is_valid() or not request.GET):
        return form, None
    data = form.cleaned_data if request.GET else {}
    qs = qs.filter(state=data["state"]) if data.get("state") else qs.live().exclude(
        state__in=["refused", "converted"])
    for name in ("stage", "source", "campaign", "owner"):
        if data.get(name):
            qs = qs.filter(**{name: data[name]})
    if data.get("temperature"):
        qs = qs.filter(temperature=data["temperature"])
    if data.get("overdue"):
        qs = qs.filter(Exists(Task.objects.overdue().filter(lead=OuterRef("pk"))))
    if data.get("created_from"):
        qs = qs.filter(created_at__date__gte=data["created_from"])
    if data.get("created_to"):
        qs = qs.filter(created_at__date__lte=data["created_to"])
    if data.get("q"):
        qs = qs.search(data["q"])
    return form, qs


def chosen_sort(request: HttpRequest, form: forms.LeadFilterForm) -> str:
    """The order the list is shown in (newest first unless the valid form names another); the export follows it."""
    return form.cleaned_data.get("sort", "") if request.GET and form.is_valid() else ""


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    require_sales(request)
    form, qs = filtered_leads(request)
    leads: list[Lead] = []
    next_cursor = None
    if qs is not None:
        try:
            sort = chosen_sort(request, form)
            leads, next_cursor = sorted_page(with_sla(qs), sort, request.GET.get("after"), PAGE)
        except BadCursor as error:
            raise Http404 from error
    query = request.GET.copy()
    query.pop("after", None)
    context = {"form": form, "leads": leads, "next_cursor": next_cursor, "query": query.urlencode(),
               "now": timezone.now()}
    template = "leads/partials/lead_rows.html" if is_htmx(request) and request.GET.get("after") else "leads/list.html"
    return render(request, template, context)


def email_suggestion_for(lead: Lead) -> str:
    """The address the lead's e-mail most likely meant ("ivan@gmail.con" -> "ivan@gmail.com"); "" once the e-mail
    reads right (accepted or edited by hand). Worked out from the card's address itself, so a lead typed in by a
    manager, imported or edited has it as well as one from a web form."""
    from leadflow.matching.normalize import email_suggestion

    return email_suggestion(lead.email, checked=lead.email_checked)


def client_duplicates(found: list[Any], user: User) -> list[dict[str, Any]]:
    """Clients among the possible duplicates (by a contact's phone, e-mail or name, or a company's INN or name):
    the manager must know the person may already be a colleague's client before calling. The client's card is
    linked when the user may open it; otherwise only whose client it is."""
    from leadflow.clients.models import Client
    from leadflow.clients.querysets import clients_visible_to

    by_kind = {"contact": "contact_id", "company": "company_id"}
    wanted = [c for c in found if c.card_type in by_kind]
    if not wanted:
        return []
    clients: dict[tuple[str, int], Client] = {}
    for kind, column in by_kind.items():
        ids = [c.card_id for c in wanted if c.card_type == kind]
        for client in Client.objects.select_related("owner").filter(**{f"{column}__in": ids}).order_by("pk"):
            clients.setdefault((kind, getattr(client, column)), client)
    visible = set(clients_visible_to(user).filter(pk__in=[c.pk for c in clients.values()]).values_list("pk", flat=True))
    shown: list[dict[str, Any]] = []
    for candidate in wanted:
        client = clients.get((candidate.card_type, candidate.card_id))
        if client is not None and all(item["client"].pk != client.pk for item in shown):
            shown.append({"candidate": candidate, "client": client, "visible": client.pk in visible})
    return shown


def card_history(lead: Lead) -> list[tuple[str, Any]]:
    """Stage, owner and field changes as one story, oldest first, each said once: a stage change already says the
    state it moved the lead to, so the audit lines of that moment for `stage` and `state` are not repeated under it;
    a change of state alone (deferred, reopened) is the audit's "state: Open → Deferred" line, not "stage: New →
    New (Open → Deferred)"."""
    fields = list(lead.field_changes.select_related("changed_by"))
    all_stages = list(lead.stage_changes.select_related("from_stage", "to_stage", "changed_by"))

    def says(stage: Any, field: Any) -> bool:
        """Whether the stage-history line and the audit line record the same change."""
        if abs((stage.changed_at - field.changed_at).total_seconds()) >= 2:
            return False
        if field.field == "state":
            return (stage.from_state, stage.to_state) == (field.old_value, field.new_value)
        return field.field == "stage" and stage.to_stage is not None and stage.to_stage.code == field.new_value

    # A change of state alone keeps its audit line; every other stage change keeps its own line.
    stages = [stage for stage in all_stages if stage.from_stage_id != stage.to_stage_id
              or not any(says(stage, field) for field in fields)]
    owners = list(lead.owner_changes.select_related("from_owner", "to_owner", "changed_by"))
    fields = [field for field in fields if not any(says(stage, field) for stage in stages)]
    story = [*(("stage", c) for c in stages), *(("owner", c) for c in owners), *(("field", c) for c in fields)]
    return sorted(story, key=lambda item: item[1].changed_at)


def completable_tasks(user: User, tasks: list[Task]) -> set[int]:
    """The open tasks of a card `user` may complete there: their own, and as a head their team's (an absent
    manager's call is done by someone); the ids `complete_task` would accept."""
    open_ids = [task.pk for task in tasks if task.completed_at is None]
    if not open_ids:
        return set()
    return set(Task.objects.visible_to(user).filter(pk__in=open_ids).values_list("pk", flat=True))


def card_context(request: HttpRequest, lead: Lead) -> dict[str, Any]:
    from leadflow.matching import services as matching

    user: User = request.user
    requests = list(lead.requests.all()[:50])
    raw = {s.pk: s.payload for s in Submission.objects.filter(pk__in=[r.submission_id for r in requests
                                                                      if r.submission_id])}
    replaced = replaced_contacts(lead)
    for item in requests:
        item.raw_payload = raw.get(item.submission_id)
        item.also_gave = also_gave(lead, item.facts, replaced)
        item.unreadable = unreadable_of(item)
    found = matching.find_for_card(matching.facts_of_lead(lead), card=("lead", lead.pk))
    duplicate_leads = {x.pk: x for x in Lead.objects.live().select_related("owner").filter(
        pk__in=[c.card_id for c in found if c.card_type == "lead"])}
    visible_ids = set(Lead.objects.visible_to(user).filter(pk__in=duplicate_leads).values_list("pk", flat=True))
    duplicates = [{"candidate": c, "lead": duplicate_leads[c.card_id], "visible": c.card_id in visible_ids}
                  for c in found if c.card_type == "lead" and c.card_id in duplicate_leads]
    duplicates += client_duplicates(found, user)
    for item in duplicates:
        # Listed only for the shared phone or e-mail: likely another person, but calling one reaches the other.
        item["shared_contact_only"] = not item["candidate"].possible_duplicate
    # An erased person's card stays (anonymised, so the counts hold) but is worked no more: no forms.
    can_manage = services._can_manage(lead, user) and lead.erased_at is None
    return {
        "lead": lead,
        "client": getattr(lead, "client", None) if lead.state == "converted" else None,
        "requests": requests,
        "email_suggestion": email_suggestion_for(lead),
        "unreadable": for_reader(unreadable_given(requests)),
        "activities": lead.activities.select_related("author")[:100],
        "tasks": (tasks := list(lead.tasks.select_related("assignee").order_by("completed_at", "due_at"))),
        "completable": completable_tasks(user, tasks),
        "history": card_history(lead),
        "duplicates": duplicates,
        "merges": LeadMerge.objects.filter(survivor=lead).order_by("-merged_at")[:5],
        "can_manage": can_manage,
        "can_assign": user.is_admin or (user.role == Role.HEAD and can_manage),
        "can_claim": lead.owner_id is None and lead.state == "open" and lead.erased_at is None,
        "is_open": lead.state == "open",
        # One page, many forms: each gets ids of its own, so every label names a field of its form.
        "stage_form": forms.StageForm(initial={"stage": lead.stage.code}, auto_id="stage_%s"),
        "activity_form": forms.ActivityForm(auto_id="activity_%s"),
        "task_form": forms.TaskForm(user=user, auto_id="task_%s"),
        "refuse_form": forms.RefuseForm(auto_id="refuse_%s"),
        "defer_form": forms.DeferForm(auto_id="defer_%s"),
        "convert_form": forms.ConvertForm(user=user, initial={"company_name": lead.company_name,
                                                               "legal_form": lead.legal_form}, auto_id="convert_%s"),
        "assign_form": forms.AssignForm(user=user, lead=lead, initial={"owner": lead.owner_id}, auto_id="assign_%s"),
        "edit_form": forms.LeadEditForm(auto_id="edit_%s", initial={
            "last_name": lead.last_name, "first_name": lead.first_name, "middle_name": lead.middle_name,
            "company": f"{lead.legal_form} {lead.company_name}".strip(), "position": lead.position,
            "phone": phone_shown(lead.phone, lead.phone_ext), "email": lead.email, "telegram": lead.telegram_shown,
            "city": lead.city, "product_interest": lead.product_interest, "temperature": lead.temperature}),
        "now": timezone.now(),
    }


@login_required
def lead_card(request: HttpRequest, pk: int) -> HttpResponse:
    require_sales(request)
    lead = visible_lead(request, pk)
    context = restore_drafts(request, card_context(request, lead), _draft_key(lead.pk))
    return render(request, "leads/card.html", context)


def restore_drafts(request: HttpRequest, context: dict[str, Any], key: str) -> dict[str, Any]:
    """A card's context with the form a refused action came from as it was typed, open (one wrong INN must not
    cost the rest), and a refused task completion's draft (the card's and My tasks' forms)."""
    draft = request.session.pop(key, None)
    if draft and f"{draft['action']}_form" in context:
        form = context[f"{draft['action']}_form"]
        if "errors" in draft:
            forms.show_refused(form, data=draft["data"], errors=draft["errors"])
        else:
            form.initial.update(draft["data"])
        context["open_action"] = draft["action"]
    context["complete_draft"] = request.session.pop(TASK_DRAFT, None)
    return context


# The card's forms whose input is kept when the action is refused (a validation error, a check digit), each error
# shown by its field where the form is (forms.show_refused), not at the top of the card, away from what to correct.
KEPT_FORMS = {"convert", "refuse", "defer", "task", "activity", "edit"}


def keep_refused(request: HttpRequest, key: str, name: str, error: DomainError) -> None:
    """Keep a refused form's input as typed (every value of a field: several choices too) and why it was refused,
    by field, for the card to show it again ("__all__": the form's own check of several fields). A refusal naming
    no field is said at the card's top by the caller; the form then gets back only what was typed."""
    data = {field: request.POST.getlist(field) for field in request.POST
            if field not in ("csrfmiddlewaretoken", "next")}
    if not error.fields:  # said at the top of the card (lead_action): the form gets back what was typed only
        request.session[key] = {"action": name, "data": {field: values[-1] for field, values in data.items()}}
        return
    request.session[key] = {
        "action": name, "data": data,
        "errors": {field: [str(message) for message in messages] for field, messages in error.fields.items()},
    }


TASK_DRAFT = "task-draft"


def _draft_key(pk: int) -> str:
    return f"lead-draft-{pk}"


ACTIONS: dict[str, Any] = {}


def action(name: str):  # type: ignore[no-untyped-def]
    def register(function):  # type: ignore[no-untyped-def]
        ACTIONS[name] = function
        return function

    return register


@login_required
@require_POST
def lead_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Every button and form on the card posts here; a refused action says why, nothing half-done."""
    require_sales(request)
    handler = ACTIONS.get(name)
    if handler is None:
        raise Http404
    try:
        lead = visible_lead(request, pk)
    except Http404:
        if name == "claim" and is_htmx(request):
            return gone_from_pool(request, pk)
        raise
    try:
        outcome = handler(request, lead)
    except DomainError as error:
        if name == "claim" and isinstance(error, NotFound):
            # Claimed by a teammate meanwhile: gone from the pool, as any lead the reader cannot see.
            if is_htmx(request):
                return gone_from_pool(request, pk)
            raise Http404 from None
        outcome = error.message
        if error.fields and not isinstance(error, RefusedForm):
            outcome = "; ".join(f"{' '.join(v)}" for v in error.fields.values())
        if name in KEPT_FORMS:
            keep_refused(request, _draft_key(lead.pk), name, error)
            if error.fields and not request.POST.get("next"):
                # Back to the form, its errors by the fields and summed up above them; nothing at the card's top.
                return redirect(reverse("lead_card", args=[lead.pk]) + f"#action-{name}")
            # A refusal naming no field is of the card, not of what was typed (converted meanwhile, no longer
            # theirs): the form may be gone from the card, so it is said at the top; the input is kept all the same.
        messages.error(request, outcome)
        if name == "claim" and is_htmx(request):
            return render(request, "leads/partials/claim_result.html", {"lead": lead, "error": outcome})
    else:
        if isinstance(outcome, HttpResponse):
            return outcome
        if outcome:
            messages.success(request, outcome)
        if name == "claim" and is_htmx(request):
            return render(request, "leads/partials/claim_result.html", {"lead": lead, "claimed": True})
    target = request.POST.get("next") or reverse("lead_card", args=[lead.pk])
    if not target.startswith("/") or target.startswith("//"):
        target = reverse("lead_card", args=[lead.pk])
    return redirect(target)


def gone_from_pool(request: HttpRequest, pk: int) -> HttpResponse:
    """The pool row's answer to a claim of a lead the reader cannot see (claimed by someone a second ago, or never
    theirs): the same words for every such lead, so nothing is learnt of it or of its owner. Answered 200, as the
    other claim answers are: htmx puts a 4xx answer nowhere, and the row would stay with its button."""
    return render(request, "leads/partials/claim_result.html", {
        "pk": pk, "error": _("This lead is not in your pool any more.")})


class RefusedForm(InvalidInput):
    """A card's form refused by its own checks: its errors by field, and one line naming each field's label (the
    message where the form is not shown again)."""

    def __init__(self, form: Any) -> None:
        problems = []
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            problems.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        super().__init__({field: list(errors) for field, errors in form.errors.items()},
                         "; ".join(str(p) for p in problems))


def _invalid(form: Any) -> str:
    raise RefusedForm(form)


@action("claim")
def _claim(request: HttpRequest, lead: Lead) -> str:
    services.claim_lead(lead=lead, by=request.user)
    return _("The lead is yours.")


@action("assign")
def _assign(request: HttpRequest, lead: Lead) -> str:
    form = forms.AssignForm(request.POST, user=request.user)
    if not form.is_valid():
        _invalid(form)
    services.assign_lead(lead=lead, to=form.cleaned_data["owner"], by=request.user)
    return _("Assigned to %(name)s.") % {"name": form.cleaned_data["owner"].display_name()}


@action("stage")
def _stage(request: HttpRequest, lead: Lead) -> str:
    form = forms.StageForm(request.POST)
    if not form.is_valid():
        _invalid(form)
    services.change_stage(lead=lead, stage=form.cleaned_data["stage"], by=request.user)
    return _("Stage changed.")


@action("qualify")
def _qualify(request: HttpRequest, lead: Lead) -> str:
    services.qualify_lead(lead=lead, by=request.user)
    return _("Marked as qualified.")


@action("activity")
def _activity(request: HttpRequest, lead: Lead) -> str:
    form = forms.ActivityForm(request.POST)
    if not form.is_valid():
        _invalid(form)
    services._require_manage(lead, request.user)
    minutes = form.cleaned_data["duration_minutes"]
    services.log_activity(lead=lead, kind=form.cleaned_data["kind"], by=request.user,
                          subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                          duration_seconds=minutes * 60 if minutes is not None else None)
    return _("Logged.")


@action("task")
def _task(request: HttpRequest, lead: Lead) -> str:
    form = forms.TaskForm(request.POST, user=request.user)
    if not form.is_valid():
        _invalid(form)
    services._require_manage(lead, request.user)
    services.create_task(lead=lead, assignee=form.cleaned_data.get("assignee") or request.user,
                         title=form.cleaned_data["title"], due_at=form.cleaned_data["due_at"],
                         kind=form.cleaned_data["kind"], by=request.user)
    return _("Task added.")


@action("refuse")
def _refuse(request: HttpRequest, lead: Lead) -> str:
    form = forms.RefuseForm(request.POST)
    if not form.is_valid():
        _invalid(form)
    services.refuse_lead(lead=lead, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
                         by=request.user)
    return _("The lead is marked refused.")


@action("defer")
def _defer(request: HttpRequest, lead: Lead) -> str:
    form = forms.DeferForm(request.POST)
    if not form.is_valid():
        _invalid(form)
    services.defer_lead(lead=lead, until=form.cleaned_data["until"], note=form.cleaned_data["note"],
                        by=request.user)
    return _("Deferred.")


@action("reopen")
def _reopen(request: HttpRequest, lead: Lead) -> str:
    services.reopen_lead(lead=lead, by=request.user)
    return _("Reopened.")


@action("edit")
def _edit(request: HttpRequest, lead: Lead) -> str:
    form = forms.LeadEditForm(request.POST)
    if not form.is_valid():
        _invalid(form)
    services.update_lead(lead=lead, changes=form.changes(), by=request.user)
    return _("Saved.")


@action("accept_email")
def _accept_email(request: HttpRequest, lead: Lead) -> str:
    """One click on the card's "did you mean" takes the suggested address, through the audited edit of the lead.

    The address is worked out from the card's own, never taken from the post: the button can only take the
    suggestion."""
    suggestion = email_suggestion_for(lead)
    if not suggestion:
        raise DomainError("no_suggestion", _("There is no suggested e-mail address to accept."))
    services.update_lead(lead=lead, changes={"email": suggestion}, by=request.user)
    return _("E-mail changed to %(email)s.") % {"email": suggestion}


@action("check_email")
def _check_email(request: HttpRequest, lead: Lead) -> str:
    """The card's "the address is right": the e-mail stays as typed and the suggestion goes away (audited)."""
    if not email_suggestion_for(lead):
        raise DomainError("no_suggestion", _("There is no suggested e-mail address to dismiss."))
    services.check_email(lead=lead, by=request.user)
    return _("E-mail %(email)s kept as right.") % {"email": lead.email}


@action("add_contact")
def _add_contact(request: HttpRequest, lead: Lead) -> str:
    """Put one of the contacts a request gave ("Also gave") on the card. Only a contact the card's requests hold
    is taken, never any value posted."""
    contact = request.POST.get("contact", "")
    replaced = replaced_contacts(lead)
    offered = {entry["value"] for item in lead.requests.all()[:50] for entry in also_gave(lead, item.facts, replaced)}
    if contact not in offered:
        raise DomainError("not_given", _("This contact is not one the person gave, or the card has it already."))
    where = services.add_other_contact(lead=lead, contact=contact, by=request.user)
    shown = phone_shown(contact)
    if where == "other_contacts":
        return _("%(contact)s added to the card's other contacts.") % {"contact": shown}
    return _("%(contact)s is the card's contact now.") % {"contact": shown}


@action("convert")
def _convert(request: HttpRequest, lead: Lead) -> HttpResponse:
    form = forms.ConvertForm(request.POST, user=request.user)
    if not form.is_valid():
        _invalid(form)
    data = form.cleaned_data
    company = None
    if data["company_name"]:
        company = services.CompanyFacts(name=data["company_name"], legal_form=data["legal_form"], inn=data["inn"],
                                        kpp=data["kpp"], ogrn=data["ogrn"], legal_address=data["legal_address"])
    first_task = services.FirstTask(title=data["first_task_title"], due_at=data["first_task_due_at"])
    client = services.convert_lead(lead=lead, by=request.user, company=company, owner=data.get("owner"),
                                   first_task=first_task)
    messages.success(request, _("Converted into a client."))
    return redirect("client_card", pk=client.pk)


@action("merge")
def _merge(request: HttpRequest, lead: Lead) -> str:
    others = [visible_lead(request, pk) for pk in map(parse_id, request.POST.getlist("other")) if pk]
    choices = {name[len("choice_"):]: parse_id(value) for name, value in request.POST.items()
               if name.startswith("choice_") and parse_id(value)}
    merge = merge_leads(survivor=lead, others=others, by=request.user, choices=choices)
    return _("Merged %(count)d lead(s) into this one.") % {"count": len(merge.merged)}


@action("undo_merge")
def _undo_merge(request: HttpRequest, lead: Lead) -> str:
    merge = LeadMerge.objects.filter(pk=request.POST.get("merge", "0"), survivor=lead).first()
    if merge is None:
        raise Http404
    notes: list[str] = []
    undo_merge(merge=merge, by=request.user, notes=notes)
    return " ".join([_("Merge undone."), *notes])


def shown_value(lead: Lead, name: str) -> str:
    """A field's value as people read it: choice labels and owner names, not codes."""
    if name == "owner_id":
        return lead.owner.display_name() if lead.owner_id else ""
    if name == "phone":
        return phone_shown(lead.phone)  # its extension has a row of its own
    field = Lead._meta.get_field(name)
    value = getattr(lead, name)
    return str(dict(field.choices).get(value, value)) if field.choices and value else (value or "")


@login_required
def compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Side by side: the lead and the duplicates picked, with a choice of value per field."""
    require_sales(request)
    lead = visible_lead(request, pk)
    others = [visible_lead(request, x) for x in map(parse_id, request.GET.getlist("other")) if x and x != pk]
    if not others:
        raise Http404
    from leadflow.leads.merging import MERGE_FIELDS, default_choices

    choices = default_choices(lead, others)
    rows = [{"field": name, "label": Lead._meta.get_field(name.removesuffix("_id")).verbose_name,
             "values": [(x.pk, shown_value(x, name)) for x in [lead, *others]],
             "chosen": choices[name]} for name in MERGE_FIELDS]
    return render(request, "leads/compare.html", {"lead": lead, "others": others, "rows": rows})


class _TileFacts:
    """A board tile's links and age, made without a URL reverse or a plural lookup per tile.

    A board shows a hundred tiles; `{% url %}` and `timesince` per tile were most of its rendering time.
    """

    PLACEHOLDER = 987654321

    def __init__(self, *, now: Any) -> None:
        self.now = now
        self.card = reverse("lead_card", args=[self.PLACEHOLDER]).replace(str(self.PLACEHOLDER), "{}")
        self.action = reverse("lead_action", args=[self.PLACEHOLDER, "stage"]).replace(str(self.PLACEHOLDER), "{}")
        # Abbreviated units read the same for any number, in Russian too ("3 д", "21 д").
        self.units = ((86400, _("%(n)d d")), (3600, _("%(n)d h")), (60, _("%(n)d min")))
        self.less = _("< 1 min")

    def __call__(self, lead: Lead) -> Lead:
        lead.card_url = self.card.format(lead.pk)
        lead.stage_url = self.action.format(lead.pk)
        seconds = (self.now - lead.created_at).total_seconds()
        lead.age = next((label % {"n": seconds // size} for size, label in self.units if seconds >= size), self.less)
        return lead


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Leads by stage in columns, with counts and age; filter by owner (head) or own leads."""
    require_sales(request)
    user: User = request.user
    qs = Lead.objects.visible_to(user).open().select_related("owner")
    owner_id = request.GET.get("owner", "")
    team_id = request.GET.get("team", "")
    if user.is_admin or user.role == Role.HEAD:
        if parse_id(owner_id):
            qs = qs.filter(owner_id=parse_id(owner_id))
        if parse_id(team_id):
            qs = qs.filter(team_id=parse_id(team_id))
    else:
        qs = qs.filter(owner=user)
    stages = list(Stage.objects.filter(kind="open"))
    # One statement, a branch per stage: each branch is a range of the (team, state, stage, created_at) index
    # read alone (COUNT(*), not COUNT(id)), where one GROUP BY over the team makes PostgreSQL scan the table.
    branches = [qs.order_by().filter(stage=stage).values("stage").annotate(n=Count("*"), first=Min("created_at"))
                for stage in stages]
    grouped = branches[0].union(*branches[1:], all=True) if branches else []
    per_stage = {row["stage"]: row for row in grouped}
    counts = {stage: row["n"] for stage, row in per_stage.items()}
    oldest = {stage: row["first"] for stage, row in per_stage.items()}
    columns = []
    tile = _TileFacts(now=timezone.now())
    for stage in stages:
        # Every tile of a column offers the same "move to" choices: build them once per column, not per tile.
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (other.code, mark_safe(" selected") if other.pk == stage.pk else "", str(other)) for other in stages))
        columns.append({"stage": stage, "count": counts.get(stage.pk, 0), "oldest": oldest.get(stage.pk),
                        "options": options,
                        "leads": [tile(lead) for lead in qs.filter(stage=stage).order_by("-created_at")[:BOARD_TILES]]})
    people = forms.team_people(user) if user.is_admin or user.role == Role.HEAD else []
    teams = Team.objects.filter(pk__in=headed_team_ids(user)) if user.role == Role.HEAD else (
        Team.objects.all() if user.is_admin else Team.objects.none())
    return render(request, "leads/board.html", {"columns": columns, "stages": stages, "people": people,
                                                "teams": teams, "team_id": team_id, "owner_id": owner_id,
                                                "now": timezone.now()})


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    require_sales(request)
    user: User = request.user
    now = timezone.now()
    _, end = local_day_bounds(timezone.get_current_timezone_name(), now)
    base = Task.objects.open().filter(assignee=user).select_related("lead", "client")
    context = {
        "overdue": list(base.filter(due_at__lt=now)[:100]),
        "today": list(base.filter(due_at__gte=now, due_at__lt=end)[:100]),
        "upcoming": list(base.filter(due_at__gte=end)[:100]),
        "complete_form": forms.CompleteTaskForm(),
        "now": now,
    }
    context["complete_draft"] = request.session.pop(TASK_DRAFT, None)
    return render(request, "leads/tasks.html", context)


@login_required
@require_POST
def complete_task(request: HttpRequest, pk: int) -> HttpResponse:
    require_sales(request)
    task = Task.objects.visible_to(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404
    form = forms.CompleteTaskForm(request.POST)
    try:
        if not form.is_valid():
            _invalid(form)
        services.complete_task(task=task, result=form.cleaned_data["result"], by=request.user,
                               next_title=form.cleaned_data["next_title"],
                               next_due_at=form.cleaned_data["next_due_at"])
        messages.success(request, _("Task completed."))
    except DomainError as error:
        # Each field's problem, as the card says it (a next task due in the past), not "Some fields are invalid".
        messages.error(request, "; ".join(" ".join(problems) for problems in error.fields.values())
                       if error.fields else error.message)
        # What was typed comes back in the form it came from (the card's or My tasks'), open.
        request.session[TASK_DRAFT] = {
            "task": task.pk, **{key: request.POST.get(key, "") for key in ("result", "next_title", "next_due_at")}}
    target = request.POST.get("next") or reverse("my_tasks")
    if task.client_id and target == reverse("client_card", args=[task.client_id]):
        from leadflow.clients.querysets import clients_open_to

        if not clients_open_to(request.user).filter(pk=task.client_id).exists():
            target = reverse("my_tasks")  # their last task on a colleague's client is done: the card closed to them
    return redirect(target if target.startswith("/") and not target.startswith("//") else reverse("my_tasks"))


def _interests_page(request: HttpRequest, *, failed: Any = None, failed_interest: Any = None,
                    status: int = 200) -> HttpResponse:
    """Every interest the reader may review, newest first, a page at a time as the lead list pages (the "More" row
    loads the next, by htmx or as a plain link). A promotion refused on a later page shows the page that starts at
    its interest, so what was typed comes back with its errors."""
    pending = interests_visible_to(request.user).filter(INTEREST_PENDING).select_related("team").prefetch_related(
        "requests")
    cursor = request.GET.get("after")
    try:
        rows, next_cursor = keyset_page(pending, cursor, PAGE)
    except BadCursor as error:
        raise Http404 from error
    if failed_interest is not None and failed_interest.pk not in {row.pk for row in rows}:
        # the cursor just before it: (created_at, pk + 1) keeps it and what is older
        cursor = encode_cursor(failed_interest.created_at, failed_interest.pk + 1)
        rows, next_cursor = keyset_page(pending, cursor, PAGE)
    for row in rows:
        # the other ways to reach the person and ask for what is missing, as the API's InterestOut gives them
        row.contacts = interest_contacts(row)
    shown = [(row, failed if failed is not None and failed.prefix == f"interest-{row.pk}"
              else forms.PromoteForm(prefix=f"interest-{row.pk}")) for row in rows]
    context = {"interests": shown, "next_cursor": next_cursor, "from_later": bool(cursor)}
    template = ("leads/partials/interest_rows.html" if is_htmx(request) and request.GET.get("after")
                else "leads/interests.html")
    return render(request, template, context, status=status)


@login_required
def interests(request: HttpRequest) -> HttpResponse:
    """Attention that is not a lead yet (DOMAIN.md 1), the reader's to review: their team's and those of no team
    (a head's, the teams they head; the admin's, all), each promoted to a lead once the person is known."""
    require_sales(request)
    return _interests_page(request)


@login_required
@require_POST
def promote_interest(request: HttpRequest, pk: int) -> HttpResponse:
    """As POST /api/interests/{id}/promote: the same service, and the same word on where the interest went (a new
    lead, or the card of the person Leadflow already knew)."""
    require_sales(request)
    interest = interests_visible_to(request.user).filter(pk=pk).first()
    if interest is None:
        raise Http404
    form = forms.PromoteForm(request.POST, prefix=f"interest-{pk}")
    valid = form.is_valid()
    # Read as the API reads it even when a field failed the form, so every field's problem is said at once.
    typed = {name: form.cleaned_data.get(name, request.POST.get(form.add_prefix(name), "")) for name in form.fields}
    try:
        person = services.person_for_promotion(interest=interest, **typed)
        if not valid:
            _invalid(form)
        promoted = services.promote_interest(interest=interest, person=person, by=request.user)
    except DomainError as error:
        if not error.fields:
            messages.error(request, error.message)  # promoted by someone else meanwhile
            return redirect("interests")
        _refused(form, error)
        return _interests_page(request, failed=form, failed_interest=interest, status=422)
    seen = services.promotion_seen_by(promoted=promoted, interest=interest, user=request.user)
    if not seen.visible:
        messages.warning(request, seen.notice)
        return redirect("interests")
    if not promoted.is_new:
        messages.warning(request, seen.notice)  # not what the promoter asked for: said as a warning, on the card
        if promoted.client is not None:
            return redirect("client_card", pk=promoted.client.pk)
        return redirect("lead_card", pk=promoted.lead.pk)  # type: ignore[union-attr]
    messages.success(request, " ".join(filter(None, [str(_("The interest is now a lead.")), seen.notice])))
    return redirect("lead_card", pk=promoted.lead.pk)  # type: ignore[union-attr]


TEAM_ROWS = 50  # leads shown per list on the team page; the rest are a click away (pool, my leads)


@login_required
def team(request: HttpRequest) -> HttpResponse:
    """The head of sales: waiting for assignment, load per manager, SLA breaches, bulk assignment."""
    user: User = request.user
    if not (user.is_admin or user.role == Role.HEAD):
        raise Http404
    now = timezone.now()
    visible = Lead.objects.visible_to(user)
    # The longest-waiting first: they are the ones about to be escalated.
    waiting = list(with_sla(visible.in_pool().select_related("source", "team")).order_by("created_at", "pk")
                   [:TEAM_ROWS + 1])
    # The teams whose routing the reader sets (DOMAIN.md 10): the head's own, every active one for the admin. With
    # more than one, every table names each row's team: a Wholesale lead assigned to a Moscow manager is refused.
    routing_teams = list(Team.objects.filter(is_active=True).order_by("name") if user.is_admin
                         else Team.objects.filter(pk__in=headed_team_ids(user)).order_by("name"))
    several_teams = len(routing_teams) > 1
    # One subquery per figure: joining leads, clients and tasks at once would multiply the rows.
    def per_person(qs: Any, field: str) -> Any:
        # COUNT(*): read from an index on (person, state) alone, without visiting the rows.
        counted = qs.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("*")).values("n")
        return Coalesce(Subquery(counted[:1]), 0)

    from leadflow.clients.models import Client

    people = forms.team_people(user).select_related("team").annotate(
        open_leads=per_person(Lead.objects.filter(state__in=["open", "deferred"]), "owner"),
        open_clients=per_person(Client.objects.filter(is_active=True), "owner"),
        overdue_tasks=per_person(Task.objects.filter(completed_at__isnull=True, due_at__lt=now), "assignee"),
    )
    # Past the first contact's deadline (the first task's due time, kept on the card) and not contacted: the speed
    # report's breaches. Any overdue open task missed a lead whose first task was closed without a contact ("no
    # answer", then a task for tomorrow) and a manually assigned one (its head's task closed, no call task left).
    # Imported files (an exhibition's contacts) have no speed-to-lead clock, as in the warnings and the speed report.
    breaches = list(visible.open().filter(first_contacted_at__isnull=True, sla_due_at__lt=now)
                    .exclude(channel=Channel.IMPORT).select_related("owner", "team")
                    .order_by("-created_at")[:TEAM_ROWS + 1])
    clocks: dict[int | None, WorkingClock] = {}
    for lead in breaches[:TEAM_ROWS]:
        # How late in the team's working time, as the deadline was counted (and as the speed report says).
        clock = clocks.get(lead.team_id) or clocks.setdefault(lead.team_id, WorkingClock(team_calendar(lead.team)))
        lead.working_late = timedelta(seconds=clock.seconds_between(lead.sla_due_at, now))
    # One row more than shown says whether there are more, without counting them all.
    return render(request, "leads/team.html", {
        "waiting": waiting[:TEAM_ROWS], "more_waiting": len(waiting) > TEAM_ROWS, "people": people,
        "breaches": breaches[:TEAM_ROWS], "more_breaches": len(breaches) > TEAM_ROWS,
        "assign_form": forms.AssignForm(user=user, with_team=several_teams), "now": now,
        "routing_teams": routing_teams, "several_teams": several_teams})


@login_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    if not (user.is_admin or user.role == Role.HEAD):
        raise Http404
    form = forms.AssignForm(request.POST, user=user)
    ids = [x for x in map(parse_id, request.POST.getlist("lead")) if x]
    if not form.is_valid() or not ids:
        messages.error(request, _("Pick leads and a manager."))
        return redirect("team")
    done = 0
    for lead in Lead.objects.visible_to(user).filter(pk__in=ids):
        try:
            services.assign_lead(lead=lead, to=form.cleaned_data["owner"], by=user)
            done += 1
        except DomainError as error:
            # The field's problem ("not in the lead's team"), not InvalidInput's untranslated "Some fields are invalid."
            reason = "; ".join(" ".join(str(p) for p in v) for v in error.fields.values()) if error.fields else None
            messages.error(request, f"{lead.full_name}: {reason or error.message}")
    messages.success(request, _("%(count)d lead(s) assigned.") % {"count": done})
    return redirect("team")


def _routing_team(request: HttpRequest, pk: int) -> Team:
    """The team whose routing is asked for, if the asker may set it: its head or the administrator (403 else)."""
    team = Team.objects.filter(pk=pk).first()
    if team is None:
        raise Http404
    if not routing_setup.may_set_routing(request.user, team):
        raise PermissionDenied
    return team


def _switched_off(request: HttpRequest, team: Team) -> HttpResponse | None:
    """A change to a switched-off team's routing, refused: its page again, which says why (viewing stays open)."""
    return None if team.is_active else _routing_page(request, team, status=409)


def _routing_page(request: HttpRequest, team: Team, *, settings_form: Any = None, rule_form: Any = None,
                  status: int = 200) -> HttpResponse:
    managers = routing_setup.routing_managers(team)
    rules = list(team.routing_rules.select_related("assignee").prefetch_related("candidates")
                 .order_by("position", "pk"))
    return render(request, "leads/team_routing.html", {
        "team": team, "rules": rules,
        "settings_form": settings_form or forms.TeamRoutingForm(instance=team, managers=managers),
        "rule_form": rule_form or forms.TeamRuleForm(team=team),
        "history": routing_setup.routing_history(team)}, status=status)


def _refused(form: Any, error: DomainError) -> None:
    """A service's refusal on the form's own fields (or above it when the form has no such field); a field the form
    itself already faulted keeps its own words, not the service's second saying of the same problem."""
    for name, problems in (error.fields or {"__all__": [error.message]}).items():
        target = name if name in form.fields else None
        if target is not None and form.has_error(target):
            continue
        for problem in problems:
            form.add_error(target, problem)


@login_required
def team_routing(request: HttpRequest, pk: int) -> HttpResponse:
    """A team's routing for its head: scheme, SLA, pool limit, managers' weights, and the rules (DOMAIN.md 10)."""
    team = _routing_team(request, pk)
    if request.method != "POST":
        return _routing_page(request, team)
    if refused := _switched_off(request, team):
        return refused
    managers = routing_setup.routing_managers(team)
    form = forms.TeamRoutingForm(request.POST, instance=Team.objects.get(pk=team.pk), managers=managers)
    if form.is_valid():
        try:
            changed = routing_setup.update_team_routing(
                team=team, by=request.user, managers=form.managers_data(),
                **{name: form.cleaned_data[name] for name in routing_setup.TEAM_FIELDS})
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Routing saved: %(count)d change(s); the next lead follows it.")
                             % {"count": changed})
            return redirect("team_routing", pk=team.pk)
    return _routing_page(request, team, settings_form=form, status=422)


def _save_rule(request: HttpRequest, team: Team, rule: RoutingRule) -> HttpResponse | None:
    """Validate and save a posted rule; None when it was saved, else the form with its errors to show."""
    form = forms.TeamRuleForm(request.POST, instance=rule, team=team)
    if form.is_valid():
        try:
            routing_setup.save_routing_rule(rule=form.save(commit=False), by=request.user,
                                            candidates=list(form.cleaned_data["candidates"]))
        except DomainError as error:
            _refused(form, error)
        else:
            return None
    return form


@login_required
@require_POST
def team_rule_new(request: HttpRequest, pk: int) -> HttpResponse:
    team = _routing_team(request, pk)
    if refused := _switched_off(request, team):
        return refused
    form = _save_rule(request, team, RoutingRule(team=team))
    if form is not None:
        return _routing_page(request, team, rule_form=form, status=422)
    messages.success(request, _("Rule added; it is tried last."))
    return redirect("team_routing", pk=team.pk)


def _team_rule(team: Team, rule_pk: int) -> RoutingRule:
    """One of the team's rules; another team's rule is not found (404), as if it did not exist."""
    rule = RoutingRule.objects.filter(pk=rule_pk, team=team).first()
    if rule is None:
        raise Http404
    return rule


@login_required
def team_rule(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    """One rule of the team, to edit."""
    team = _routing_team(request, pk)
    rule = _team_rule(team, rule_pk)
    if request.method == "POST":
        if refused := _switched_off(request, team):
            return refused
        form = _save_rule(request, team, rule)
        if form is None:
            messages.success(request, _("Rule saved."))
            return redirect("team_routing", pk=team.pk)
        status = 422
    else:
        form, status = forms.TeamRuleForm(instance=rule, team=team), 200
    return render(request, "leads/team_rule.html", {"team": team, "rule": rule, "form": form}, status=status)


@login_required
@require_POST
def team_rule_delete(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    team = _routing_team(request, pk)
    rule = _team_rule(team, rule_pk)
    if refused := _switched_off(request, team):
        return refused
    try:
        routing_setup.delete_routing_rule(rule=rule, by=request.user)
    except DomainError:  # switched off since the check above: the page says so
        return _routing_page(request, Team.objects.get(pk=team.pk), status=409)
    messages.success(request, _("Rule %(name)s deleted.") % {"name": rule.name})
    return redirect("team_routing", pk=team.pk)


@login_required
@require_POST
def team_rule_move(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    team = _routing_team(request, pk)
    rule = _team_rule(team, rule_pk)
    if refused := _switched_off(request, team):
        return refused
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        messages.error(request, _("Move the rule up or down."))
    else:
        try:
            routing_setup.move_routing_rule(rule=rule, offset=offset, by=request.user)
        except DomainError:  # switched off since the check above: the page says so
            return _routing_page(request, Team.objects.get(pk=team.pk), status=409)
    return redirect(reverse("team_routing", kwargs={"pk": team.pk}) + "#rules")


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    if is_htmx(request) and request.GET.get("bell"):
        return render(request, "leads/partials/bell.html")
    # Newest first, a page at a time: the older ones are a click away, not cut off at the first hundred.
    items = Notification.objects.filter(user=request.user).select_related("lead", "client").order_by("-pk")
    before = request.GET.get("before", "")
    if before.isdigit():
        items = items.filter(pk__lt=int(before))
    page = list(items[:NOTIFICATIONS_PAGE + 1])
    older = page[NOTIFICATIONS_PAGE - 1].pk if len(page) > NOTIFICATIONS_PAGE else None
    from leadflow.clients.querysets import clients_open_to

    # A client is linked while the reader may open it (a task on a colleague's client: until it is done).
    client_ids = {item.client_id for item in page if item.client_id}
    openable = set(clients_open_to(request.user).filter(pk__in=client_ids).values_list("pk", flat=True)) \
        if client_ids else set()
    return render(request, "leads/notifications.html", {"items": page[:NOTIFICATIONS_PAGE], "older": older,
                                                        "openable_clients": openable})


NOTIFICATIONS_PAGE = 100


@login_required
@require_POST
def read_notifications(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications")
