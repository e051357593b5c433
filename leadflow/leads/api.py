"""Leads, tasks and notifications over the API; every endpoint calls the same service as the UI."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status

from leadflow.accounts.middleware import in_zone_of, zone_name_of
from leadflow.accounts.models import Role, User
from leadflow.core.errors import Forbidden, InvalidInput, NotFound
from leadflow.core.inputs import MAX_INT, MAX_SEARCH, IsoDate, PathId, QueryBool, QueryId, one_of, page_limit, worded
from leadflow.leads import schemas, services
from leadflow.leads.models import Lead, LostReason, Notification, Stage, Task
from leadflow.leads.querysets import (
    INTEREST_PENDING,
    BadCursor,
    interests_visible_to,
    local_day_bounds,
    sorted_page,
    sorts_available,
)
from leadflow.matching import normalize

router = Router(tags=["leads"])
tasks_router = Router(tags=["tasks"])
interests_router = Router(tags=["interests"])
merges_router = Router(tags=["merges"])

MAX_PAGE = 200
PageLimit = page_limit(MAX_PAGE, gettext_lazy("Between 1 and 200."))


def visible_lead(user: User, lead_id: int) -> Lead:
    lead = Lead.objects.visible_to(user).select_related("stage", "team", "owner").filter(pk=lead_id).first()
    if lead is None:
        raise NotFound("lead")
    return lead


class LeadFilters(Schema):
    state: str | None = None
    stage: str | None = None
    owner: Annotated[str, Field(pattern="^(me|none|[0-9]{1,18})$"),  # type: ignore[valid-type]
                     worded(gettext_lazy("A user id, 'me' or 'none'."))] | None = None
    pool: QueryBool | None = None  # type: ignore[valid-type]
    team_id: QueryId | None = None  # type: ignore[valid-type]
    source_id: QueryId | None = None  # type: ignore[valid-type]
    campaign_id: QueryId | None = None  # type: ignore[valid-type]
    temperature: str | None = None
    created_from: IsoDate | None = None
    created_to: IsoDate | None = None
    q: str | None = Field(None, max_length=MAX_SEARCH)
    # "newest" (default), "score" (best first) or "hottest" (hot, warm, cold; each by points now); ties by newest
    sort: one_of(sorts_available(), lambda value: _("One of: %(kinds)s.")  # type: ignore[valid-type]
                 % {"kinds": ", ".join(sorts_available())}) | None = None
    cursor: str | None = Field(None, description="next_cursor of the page before, as given (refused with 422 "
                                                 "naming `cursor` otherwise)")
    limit: PageLimit = 50  # type: ignore[valid-type]


@router.get("", response=schemas.LeadPage, summary="List and search leads visible to you")
def list_leads(request: HttpRequest, filters: Query[LeadFilters]) -> dict[str, Any]:
    user = request.auth
    qs = Lead.objects.visible_to(user).select_related("stage")
    qs = qs.filter(state=filters.state) if filters.state else qs.live()
    if filters.stage:
        qs = qs.filter(stage__code=filters.stage)
    if filters.owner == "me":
        qs = qs.filter(owner=user)
    elif filters.owner == "none":
        qs = qs.filter(owner__isnull=True)
    elif filters.owner:
        qs = qs.filter(owner_id=int(filters.owner))
    if filters.pool:
        qs = qs.in_pool()
    for name in ("team_id", "source_id", "campaign_id", "temperature"):
        value = getattr(filters, name)
        if value is not None:
            qs = qs.filter(**{name: value})
    if filters.created_from:
        qs = qs.filter(created_at__date__gte=filters.created_from)
    if filters.created_to:
        qs = qs.filter(created_at__date__lte=filters.created_to)
    if filters.q:
        qs = qs.search(filters.q)
    try:
        items, next_cursor = sorted_page(qs, filters.sort or "", filters.cursor, filters.limit)
    except BadCursor as error:
        raise InvalidInput({"cursor": [_("Not a cursor this API gave out.")]}) from error
    return {"items": items, "next_cursor": next_cursor}


@router.get("/{lead_id}", response=schemas.LeadCardOut, summary="A lead card: timeline, requests, tasks, history")
def lead_card(request: HttpRequest, lead_id: PathId) -> dict[str, Any]:
    lead = visible_lead(request.auth, lead_id)
    client = getattr(lead, "client", None) if lead.state == "converted" else None
    now = timezone.now()
    tasks = list(lead.tasks.all())
    for task in tasks:
        task.is_overdue = task.completed_at is None and task.due_at < now
    return {
        "lead": lead,
        "client_id": client.pk if client else None,
        "requests": list(lead.requests.all()[:100]),
        "activities": list(lead.activities.all()[:200]),
        "tasks": tasks,
        "stage_history": list(lead.stage_changes.select_related("from_stage", "to_stage")),
        "owner_history": list(lead.owner_changes.all()),
        "field_changes": list(lead.field_changes.all()),
    }


@router.patch("/{lead_id}", response=schemas.LeadOut, summary="Edit a lead's contacts and key fields (audited)")
def update(request: HttpRequest, lead_id: PathId, data: schemas.LeadUpdateIn) -> Lead:
    from django.conf import settings

    lead = visible_lead(request.auth, lead_id)
    given = data.dict(exclude_unset=True)
    changes: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, value in given.items():
        if name in ("deal_type", "temperature"):  # a choice: as the document lists it, never a padded " hot "
            if name == "deal_type" and value not in (None, "", "retail", "wholesale"):
                errors["deal_type"] = [_("Must be retail, wholesale or empty.")]
            elif name == "temperature" and value not in ("cold", "warm", "hot"):
                errors["temperature"] = [_("Must be cold, warm or hot.")]
            else:
                changes[name] = value or ""
            continue
        value = (value or "").strip()
        if name == "phone":
            if value:
                try:
                    phone = normalize.normalize_phone(value, region=settings.LEADFLOW_DEFAULT_REGION)
                    changes["phone"], changes["phone_ext"] = phone.e164, phone.extension
                except normalize.NormalizationError as error:
                    errors["phone"] = [str(error)]
            else:
                changes["phone"], changes["phone_ext"] = "", ""
        elif name in ("email", "telegram"):  # as the client's contact edit reads them (clients.services)
            normalize.read_edited_contact(name, value, changes, errors)
        elif name == "company":
            company = normalize.split_company(value)
            changes["company_name"], changes["legal_form"] = company.name, company.legal_form
        else:
            changes[name] = value
    if errors:
        raise InvalidInput(errors)
    services.update_lead(lead=lead, changes=changes, by=request.auth)
    return Lead.objects.select_related("stage").get(pk=lead.pk)


@router.get("/{lead_id}/duplicates", response=list[schemas.DuplicateOut],
            summary="Possible duplicates of this lead among leads and clients, with scores and reasons, and the cards "
                    "holding one of its phones or e-mail addresses under another name")
def duplicates(request: HttpRequest, lead_id: PathId) -> list[dict[str, Any]]:
    from leadflow.clients.models import Contact
    from leadflow.clients.querysets import clients_visible_to
    from leadflow.matching import services as matching

    user: User = request.auth
    lead = visible_lead(user, lead_id)
    found = matching.find_for_card(matching.facts_of_lead(lead), card=("lead", lead.pk))
    lead_ids = [c.card_id for c in found if c.card_type == "lead"]
    leads = {x.pk: x for x in Lead.objects.filter(pk__in=lead_ids).live().select_related("owner")}
    visible = set(Lead.objects.visible_to(user).filter(pk__in=lead_ids).values_list("pk", flat=True))
    contacts = {x.pk: x for x in Contact.objects.filter(pk__in=[c.card_id for c in found if c.card_type == "contact"])
                .select_related("owner")}
    visible_contacts = set(clients_visible_to(user).filter(contact_id__in=contacts).values_list("contact_id",
                                                                                                flat=True))
    result = []
    for candidate in sorted(found, key=lambda c: -c.score):
        card = leads.get(candidate.card_id) if candidate.card_type == "lead" else contacts.get(candidate.card_id)
        if card is None:
            continue
        seen = candidate.card_id in (visible if candidate.card_type == "lead" else visible_contacts)
        result.append({
            "card_type": candidate.card_type, "card_id": candidate.card_id, "score": round(candidate.score, 3),
            "reasons": candidate.reasons, "possible_duplicate": candidate.possible_duplicate,
            "visible": seen, "name": card.full_name if seen else "",
            "owner_name": card.owner.display_name() if card.owner_id else "",
        })
    return result


# What compare() reads (2 to 10 ids; int() forgives spaces, a sign, underscores, other scripts' digits), written
# plainly; 18 digits at most, so that every id the document allows fits a 64-bit column.
COMPARED_IDS = "^[0-9]{1,18}(,[0-9]{1,18}){1,9}$"


@merges_router.get("/compare", response=list[schemas.LeadOut], summary="Leads side by side before a merge")
def compare(request: HttpRequest, ids: Annotated[str, Field(  # type: ignore[valid-type]
        description="Comma-separated lead ids, 2 to 10", json_schema_extra={"pattern": COMPARED_IDS})]) -> list[Lead]:
    try:
        wanted = [int(part) for part in ids.split(",") if part.strip()]
    except ValueError as error:
        raise InvalidInput({"ids": [_("Comma-separated lead ids.")]}) from error
    if any(abs(pk) > MAX_INT for pk in wanted):  # no id is that large, and no database compares with it
        raise InvalidInput({"ids": [_("Comma-separated lead ids.")]})
    if not 2 <= len(wanted) <= 10:
        raise InvalidInput({"ids": [_("Between 2 and 10 leads.")]})
    found = {x.pk: x for x in Lead.objects.visible_to(request.auth).select_related("stage").filter(pk__in=wanted)}
    if len(found) != len(set(wanted)):
        raise NotFound("lead")
    return [found[pk] for pk in wanted]


@merges_router.post("", response={201: schemas.MergeOut}, summary="Merge leads into a survivor, field by field")
def merge(request: HttpRequest, data: schemas.MergeIn) -> Status:
    from leadflow.leads.merging import merge_leads

    survivor = visible_lead(request.auth, data.survivor_id)
    others = [visible_lead(request.auth, pk) for pk in data.other_ids]
    return Status(201, merge_leads(survivor=survivor, others=others, by=request.auth, choices=data.choices))


@merges_router.post("/{merge_id}/undo", response=schemas.MergeUndoOut, summary="Undo a merge",
                    description="Returns the survivor as it is after the undo, and `notes`: what the undo could not "
                                "put back, or put back in another way, and why (in the caller's language).")
def undo(request: HttpRequest, merge_id: PathId) -> Lead:
    from leadflow.leads.merging import undo_merge
    from leadflow.leads.models import LeadMerge

    merge_row = LeadMerge.objects.filter(pk=merge_id).first()
    if merge_row is None:
        raise NotFound("merge")
    visible_lead(request.auth, merge_row.survivor_id)
    notes: list[str] = []
    survivor = undo_merge(merge=merge_row, by=request.auth, notes=notes)
    lead = Lead.objects.select_related("stage").get(pk=survivor.pk)
    lead.undo_notes = notes
    return lead


@router.post("/{lead_id}/claim", response=schemas.LeadOut, summary="Claim a pooled lead (first come, first served)")
def claim(request: HttpRequest, lead_id: PathId) -> Lead:
    # A lead the caller cannot see is not found, whatever it is: one a teammate claimed a second ago included, as
    # its owner is not the caller's to learn (a manager sees the pool and their own leads, LeadQuerySet.visible_to).
    lead = visible_lead(request.auth, lead_id)
    return visible_lead(request.auth, services.claim_lead(lead=lead, by=request.auth).pk)


@router.post("/{lead_id}/assign", response=schemas.LeadOut, summary="Assign or reassign (head of sales, admin)")
def assign(request: HttpRequest, lead_id: PathId, data: schemas.AssignIn) -> Lead:
    lead = visible_lead(request.auth, lead_id)
    to = User.objects.filter(pk=data.owner_id).first()
    if to is None:
        raise InvalidInput({"owner_id": [_("No such user.")]})
    services.assign_lead(lead=lead, to=to, by=request.auth)
    return Lead.objects.select_related("stage").get(pk=lead.pk)


@router.post("/{lead_id}/stage", response=schemas.LeadOut, summary="Move to another open stage")
def stage(request: HttpRequest, lead_id: PathId, data: schemas.StageIn) -> Lead:
    lead = visible_lead(request.auth, lead_id)
    target = Stage.objects.filter(code=data.stage).first()
    if target is None:
        raise InvalidInput({"stage": [f"No stage with code {data.stage!r}."]})
    services.change_stage(lead=lead, stage=target, by=request.auth)
    return Lead.objects.select_related("stage").get(pk=lead.pk)


@router.post("/{lead_id}/qualify", response=schemas.LeadOut, summary="Mark sales-qualified")
def qualify(request: HttpRequest, lead_id: PathId) -> Lead:
    lead = visible_lead(request.auth, lead_id)
    services.qualify_lead(lead=lead, by=request.auth)
    return Lead.objects.select_related("stage").get(pk=lead.pk)


@router.post("/{lead_id}/refuse", response=schemas.LeadOut, summary="Refuse with a reason (never deleted)")
def refuse(request: HttpRequest, lead_id: PathId, data: schemas.RefuseIn) -> Lead:
    lead = visible_lead(request.auth, lead_id)
    reason = LostReason.objects.filter(pk=data.reason_id, is_active=True).first()
    if reason is None:
        raise InvalidInput({"reason_id": [_("No such active lost reason.")]})
    services.refuse_lead(lead=lead, reason=reason, note=data.note, by=request.auth)
    return Lead.objects.select_related("stage").get(pk=lead.pk)


@router.post("/{lead_id}/defer", response=schemas.LeadOut, summary="Defer until a date; a task comes back then")
def defer(request: HttpRequest, lead_id: PathId, data: schemas.DeferIn) -> Lead:
    lead = visible_lead(request.auth, lead_id)
    services.defer_lead(lead=lead, until=data.until, note=data.note, by=request.auth)
    return Lead.objects.select_related("stage").get(pk=lead.pk)


@router.post("/{lead_id}/reopen", response=schemas.LeadOut, summary="Reopen a refused or deferred lead")
def reopen(request: HttpRequest, lead_id: PathId) -> Lead:
    lead = visible_lead(request.auth, lead_id)
    services.reopen_lead(lead=lead, by=request.auth)
    return Lead.objects.select_related("stage").get(pk=lead.pk)


@router.post("/{lead_id}/convert", response={201: schemas.ConvertOut}, summary="Convert into a client")
def convert(request: HttpRequest, lead_id: PathId, data: schemas.ConvertIn) -> Status:
    lead = visible_lead(request.auth, lead_id)
    owner = None
    if data.owner_id is not None:
        owner = User.objects.filter(pk=data.owner_id, is_active=True).first()
        if owner is None:
            raise InvalidInput({"owner_id": [_("No such active user.")]})
    company = services.CompanyFacts(**data.company.dict()) if data.company else None
    due = in_zone_of(data.first_task_due_at, request.auth)
    first_task = services.FirstTask(title=data.first_task_title, due_at=due)
    client = services.convert_lead(lead=lead, by=request.auth, company=company, owner=owner, first_task=first_task)
    return Status(201, {"client_id": client.pk, "contact_id": client.contact_id,
                        "company_id": client.company_id, "lead_id": lead.pk})


@router.post("/{lead_id}/activities", response={201: schemas.ActivityOut}, summary="Log a call, e-mail, meeting...")
def add_activity(request: HttpRequest, lead_id: PathId, data: schemas.ActivityIn) -> Status:
    lead = visible_lead(request.auth, lead_id)
    services._require_manage(lead, request.auth)
    activity = services.log_activity(lead=lead, kind=data.kind, by=request.auth, subject=data.subject,
                                     body=data.body, duration_seconds=data.duration_seconds,
                                     occurred_at=in_zone_of(data.occurred_at, request.auth))
    return Status(201, activity)


@router.get("/meta/stages", response=list[schemas.StageOut], summary="Pipeline stages")
def stages(request: HttpRequest) -> Any:
    return Stage.objects.all()


@router.get("/meta/lost-reasons", response=list[schemas.LostReasonOut], summary="Lost reasons")
def lost_reasons(request: HttpRequest) -> Any:
    # In the reader's alphabet: seeded defaults are worded for them, so the English order would be a jumble.
    return sorted(LostReason.objects.filter(is_active=True), key=lambda reason: str(reason).casefold())


@router.get("/meta/notifications", response=list[schemas.NotificationOut], summary="My notifications")
def notifications(request: HttpRequest, unread: QueryBool = False) -> Any:  # type: ignore[valid-type]
    qs = Notification.objects.filter(user=request.auth)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs[:100]


# ---------------------------------------------------------------- tasks


class TaskFilters(Schema):
    scope: one_of(("mine", "overdue", "today", "upcoming", "team"),  # type: ignore[valid-type]
                  gettext_lazy("One of mine, overdue, today, upcoming, team.")) = "mine"
    include_done: QueryBool = False  # type: ignore[valid-type]
    limit: PageLimit = 100  # type: ignore[valid-type]


@tasks_router.get("", response=list[schemas.TaskOut], summary="My tasks: overdue, due today, upcoming")
def list_tasks(request: HttpRequest, filters: Query[TaskFilters]) -> list[Task]:
    user: User = request.auth
    now = timezone.now()
    if filters.scope == "team":
        if not (user.is_admin or user.role == Role.HEAD):
            raise Forbidden(_("Only the head of sales sees the team's tasks."))
        qs = Task.objects.visible_to(user)
    else:
        qs = Task.objects.filter(assignee=user)
    if not filters.include_done:
        qs = qs.open()
    start, end = local_day_bounds(zone_name_of(user), now)  # the user's day, as on the tasks page
    if filters.scope == "overdue":
        qs = qs.overdue(now)
    elif filters.scope == "today":
        qs = qs.due_on(start, end)
    elif filters.scope == "upcoming":
        qs = qs.filter(due_at__gte=end)
    tasks = list(qs.order_by("due_at", "pk")[: filters.limit])
    for task in tasks:
        task.is_overdue = task.completed_at is None and task.due_at < now
    return tasks


@tasks_router.post("", response={201: schemas.TaskOut}, summary="Add a task to a lead or client")
def add_task(request: HttpRequest, data: schemas.TaskIn) -> Status:
    from leadflow.clients.api import TASK_KINDS as CLIENT_TASK_KINDS
    from leadflow.clients.api import client_task_assignee, visible_client

    user: User = request.auth
    if (data.lead_id is None) == (data.client_id is None):
        raise InvalidInput({"lead_id": [_("Give exactly one of lead_id and client_id.")]})
    lead = visible_lead(user, data.lead_id) if data.lead_id else None
    client = visible_client(user, data.client_id) if data.client_id else None
    assignee = user
    if client is not None:  # the rules of the client card's tasks (clients.api.add_client_task)
        services.require_manage_client(client, user)
        assignee = client_task_assignee(user, client, data.assignee_id or user.pk)
        if data.kind not in CLIENT_TASK_KINDS:
            raise InvalidInput({"kind": [_("One of: %(kinds)s.") % {"kinds": ", ".join(CLIENT_TASK_KINDS)}]})
    elif data.assignee_id and data.assignee_id != user.pk:
        if not (user.is_admin or user.role == Role.HEAD):
            raise Forbidden(_("Only the head of sales may give tasks to others."))
        assignee = User.objects.filter(pk=data.assignee_id, is_active=True).first()
        if assignee is None:
            raise InvalidInput({"assignee_id": [_("No such active user.")]})
    if lead is not None:
        services._require_manage(lead, user)
    if data.kind not in dict(Task._meta.get_field("kind").choices):
        raise InvalidInput({"kind": [_("Unknown task kind.")]})
    task = services.create_task(lead=lead, client=client, assignee=assignee, title=data.title,
                                due_at=in_zone_of(data.due_at, user),
                                kind=data.kind, by=user)
    return Status(201, task)


def visible_task(user: User, task_id: int) -> Task:
    task = Task.objects.visible_to(user).filter(pk=task_id).first()
    if task is None:
        raise NotFound("task")
    return task


@tasks_router.post("/{task_id}/complete", response=schemas.CompleteTaskOut,
                   summary="Complete with a result and, usually, the next task")
def complete(request: HttpRequest, task_id: PathId, data: schemas.CompleteTaskIn) -> dict[str, Any]:
    task = visible_task(request.auth, task_id)
    if data.next_kind not in dict(Task._meta.get_field("kind").choices):
        raise InvalidInput({"next_kind": [_("Unknown task kind.")]})
    next_task = services.complete_task(task=task, result=data.result, by=request.auth, next_title=data.next_title,
                                       next_due_at=in_zone_of(data.next_due_at, request.auth),
                                       next_kind=data.next_kind)
    return {"completed": Task.objects.get(pk=task.pk), "next": next_task}


# ---------------------------------------------------------------- interests


@interests_router.get("", response=list[schemas.InterestOut], summary="Interests of your team (not yet leads)")
def list_interests(request: HttpRequest, promoted: QueryBool = False,  # type: ignore[valid-type]
                   limit: PageLimit = 50) -> Any:  # type: ignore[valid-type]
    visible = interests_visible_to(request.auth)
    return ((visible.exclude(INTEREST_PENDING) if promoted else visible.filter(INTEREST_PENDING))
            .prefetch_related("requests")
            .order_by("-created_at")[:limit])


@interests_router.post("/{interest_id}/promote", response={201: schemas.Promoted, 200: schemas.AttachedOut},
                       summary="Add the missing person's name and contact: the interest becomes a lead",
                       description="The person is first looked up as the intake looks up a repeat request (by "
                                   "phone, e-mail and name, over leads and clients' contacts): when Leadflow "
                                   "already knows them, the interest's requests are attached to that card, its "
                                   "owner is told, no lead is made, and the answer is 200 with "
                                   "`outcome: \"attached\"` (the card named by its team only when it is out of "
                                   "your view). Otherwise (201, `outcome: \"created\"`) the lead goes where a new "
                                   "lead from the interest's source goes today (its "
                                   "team, or the next one when that team is switched off or there is none) and "
                                   "is routed there. In your view, the answer is the lead (`visible: true`); "
                                   "otherwise (routed to a teammate, or to a team you do not work) only where "
                                   "it went (`visible: false`, `team_id`, `team_name`, `notice`). A phone, "
                                   "e-mail or Telegram account (typed, or the interest's own) of a person erased "
                                   "at their request is refused with 422 `person_erased`, on the field it came "
                                   "in (`phone`, `email`; `__all__` for the interest's Telegram account), and "
                                   "nothing changes: only the person may come back, through a web form.")
def promote(request: HttpRequest, interest_id: PathId, data: schemas.PromoteIn) -> Status:
    interest = interests_visible_to(request.auth).filter(pk=interest_id).first()
    if interest is None:
        raise NotFound("interest")
    person = services.person_for_promotion(interest=interest, name=data.name, phone=data.phone, email=data.email,
                                           position=data.position)
    promoted = services.promote_interest(interest=interest, person=person, by=request.auth)
    seen = services.promotion_seen_by(promoted=promoted, interest=interest, user=request.auth)
    if not promoted.is_new:
        card = promoted.lead or promoted.client
        return Status(200, {"outcome": "attached", "card_type": "lead" if promoted.lead else "client", "id": card.pk,
                            "visible": seen.visible, "name": seen.card_name, "team_id": card.team_id,
                            "team_name": seen.team_name, "notice": seen.notice})
    lead = promoted.lead
    if not seen.visible:
        return Status(201, {"visible": False, "id": lead.pk, "team_id": lead.team_id, "team_name": seen.team_name,
                            "notice": seen.notice})
    card = Lead.objects.select_related("stage").get(pk=lead.pk)
    card.visible, card.team_name, card.notice = True, seen.team_name, seen.notice
    return Status(201, card)
