"""Clients and companies over the API (read; they are created by converting leads)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator

from leadflow.accounts.middleware import in_zone_of
from leadflow.accounts.models import Role, User
from leadflow.clients.models import Client, Company
from leadflow.clients.querysets import (
    clients_open_to,
    clients_visible_to,
    companies_visible_to,
    search_clients,
    search_companies,
)
from leadflow.core.errors import Forbidden, InvalidInput, NotFound
from leadflow.core.inputs import (
    MAX_INT,
    MAX_SEARCH,
    NOT_BLANK,
    BodyIn,
    IsoDateTime,
    NestedObject,
    PathId,
    QueryBool,
    digits,
    integer,
    one_of,
    page_limit,
    worded,
)
from leadflow.leads import services as lead_services
from leadflow.leads.models import ActivityKind, Task, TaskKind
from leadflow.leads.schemas import ActivityOut, AssignIn, CompleteTaskIn, CompleteTaskOut, GivenOut, RequestOut, TaskOut

router = Router(tags=["clients"])


class CompanyOut(Schema):
    id: int
    name: str
    legal_form: str
    inn: str
    kpp: str
    ogrn: str
    okpo: str
    legal_address: str
    city: str
    phone: str
    website: str
    owner_id: int | None


class ContactOut(Schema):
    id: int
    full_name: str
    last_name: str
    first_name: str
    middle_name: str
    position: str
    phone: str
    phone_ext: str
    email: str
    telegram: str = Field("", description='The Telegram account ("t.me/ivan_petrov"), "" for none')
    other_contacts: list[str] = Field(default_factory=list, description=(
        'Further phones (E.164, " ext. N" with an extension) and e-mails the person gave (carried over from the '
        'lead at conversion); a request from any of them finds the client'))
    unreadable_contacts: list[GivenOut] = Field(default_factory=list, description=(
        "Phones and e-mails the person gave that could not be read, kept exactly as typed, with the problem"))
    company_id: int | None


class ClientOut(Schema):
    id: int
    name: str
    company_id: int | None
    contact_id: int | None
    owner_id: int | None
    team_id: int | None
    lead_id: int | None
    is_active: bool
    created_at: datetime


class ClientCardOut(Schema):
    client: ClientOut
    company: CompanyOut | None
    contacts: list[ContactOut]
    requests: list[RequestOut]
    activities: list[ActivityOut]
    tasks: list[TaskOut]
    lead_activities: list[ActivityOut]


def visible_client(user: User, client_id: int) -> Client:
    """A client whose card `user` may open (clients_open_to: who manages it, or has an open task on it)."""
    client = clients_open_to(user).select_related("company", "contact", "lead", "owner").filter(
        pk=client_id).first()
    if client is None:
        raise NotFound("client")
    return client


# A page of a list: how many (1 to 200), from where, and a search of at most MAX_SEARCH characters.
Limit = page_limit(200, gettext_lazy("Between 1 and 200."))
Offset = Annotated[int, Field(ge=0, le=MAX_INT), worded(
    {"greater_than_equal": gettext_lazy("From 0 up."), "less_than_equal": gettext_lazy("The number is too large.")}),
    BeforeValidator(digits)]
Search = Annotated[str, Field(max_length=MAX_SEARCH), worded(
    lazy(lambda: _("At most %(limit)d characters.") % {"limit": MAX_SEARCH}, str)())]


@router.get("/clients", response=list[ClientOut], summary="Clients visible to you")
def list_clients(request: HttpRequest, q: Search = "", limit: Limit = 50,  # type: ignore[valid-type]
                 offset: Offset = 0) -> Any:  # type: ignore[valid-type]
    qs = clients_visible_to(request.auth)
    if q:
        qs = search_clients(qs, q)
    return qs.order_by("-created_at", "-pk")[offset: offset + limit]


@router.get("/clients/{client_id}", response=ClientCardOut, summary="A client card, with the lead's early history",
            description="Open to the client's owner, the head of its team, an admin, and to whoever has an open task "
                        "on the client (until it is done). Others get 404.")
def client_card(request: HttpRequest, client_id: PathId) -> dict[str, Any]:
    client = visible_client(request.auth, client_id)
    contacts = list(client.company.contacts.all()) if client.company else ([client.contact] if client.contact else [])
    return {
        "client": client,
        "company": client.company,
        "contacts": contacts,
        "requests": list(client.requests.all()[:100]),
        "activities": list(client.activities.all()[:200]),
        "tasks": list(client.tasks.all()),
        "lead_activities": list(client.lead.activities.all()[:200]) if client.lead else [],
    }


@router.post("/clients/{client_id}/assign", response=ClientOut, summary="Give a client to another manager (head, "
             "admin)", description="The head of the client's team or an admin gives the client to a manager of that "
                                   "team; the client's open tasks that were the old owner's go with it, and the new "
                                   "owner is notified.")
def assign_client(request: HttpRequest, client_id: PathId, data: AssignIn) -> Client:
    client = visible_client(request.auth, client_id)
    to = User.objects.filter(pk=data.owner_id).first()
    if to is None:
        raise InvalidInput({"owner_id": [_("No such user.")]})
    return lead_services.assign_client(client=client, to=to, by=request.auth)


class CompanyEditIn(NestedObject):
    """Only the fields sent are changed; an empty string clears one."""

    name: str | None = Field(None, max_length=255, description='With its legal form ("ООО Ромашка") unless '
                                                              "legal_form is sent too")
    legal_form: str | None = Field(None, max_length=20)
    inn: str | None = Field(None, max_length=40, description="10 or 12 digits, check digits verified")
    kpp: str | None = Field(None, max_length=40)
    ogrn: str | None = Field(None, max_length=40, description="13 digits, or 15 for a sole trader (OGRNIP)")
    okpo: str | None = Field(None, max_length=40, description="8 digits, or 10 for a sole trader")
    legal_address: str | None = Field(None, max_length=1000)
    city: str | None = Field(None, max_length=120)
    phone: str | None = Field(None, max_length=64, description="The main line, as typed; stored in E.164")
    website: str | None = Field(None, max_length=200)


class ContactEditIn(NestedObject):
    """Only the fields sent are changed; an empty string clears one."""

    last_name: str | None = Field(None, max_length=120)
    first_name: str | None = Field(None, max_length=120)
    middle_name: str | None = Field(None, max_length=120)
    position: str | None = Field(None, max_length=160)
    phone: str | None = Field(None, max_length=64, description='As typed, extension included ("8 495 123-45-67 '
                                                               'доб. 12"); stored in E.164 and the extension')
    email: str | None = Field(None, max_length=254)
    telegram: str | None = Field(None, max_length=100, description='"@name" or a t.me/name link; stored as '
                                 '"t.me/name"')


class ClientUpdateIn(BodyIn):
    company: CompanyEditIn | None = None
    contact: ContactEditIn | None = None
    contact_id: integer(ge=1, le=MAX_INT) | None = Field(None, description="Another person of the client's company "
                                                                       "to edit (default: the main contact)")


@router.patch("/clients/{client_id}", response=ClientCardOut, summary="Edit a client's company and contact "
              "(audited)", description="The client's owner, the head of its team or an admin. Errors name the field "
                                       "as company.inn, contact.email...; nothing is saved when one is refused.")
def update_client(request: HttpRequest, client_id: PathId, data: ClientUpdateIn) -> dict[str, Any]:
    from leadflow.clients import services

    client = visible_client(request.auth, client_id)
    given_company = data.company.dict(exclude_unset=True) if data.company else {}
    given_contact = data.contact.dict(exclude_unset=True) if data.contact else {}
    company, contact = services.read_client_edit(given_company, given_contact)
    services.update_client(client=client, by=request.auth, company=company, contact=contact,
                           contact_id=data.contact_id)
    return client_card(request, client_id)


@router.get("/companies", response=list[CompanyOut], summary="Companies of your clients")
def list_companies(request: HttpRequest, q: Search = "", limit: Limit = 50,  # type: ignore[valid-type]
                   offset: Offset = 0) -> Any:  # type: ignore[valid-type]
    qs = companies_visible_to(request.auth)
    if q:
        qs = search_companies(qs, q)
    return qs.order_by("name", "pk")[offset: offset + limit]


@router.get("/companies/{company_id}", response=CompanyOut, summary="A company")
def company(request: HttpRequest, company_id: PathId) -> Company:
    found = companies_visible_to(request.auth).filter(pk=company_id).first()
    if found is None:
        raise NotFound("company")
    return found


class ContactMergeIn(BodyIn):
    survivor_id: integer()  # type: ignore[valid-type]
    other_ids: list[integer()] = Field(..., min_length=1)  # type: ignore[valid-type]
    choices: dict[str, integer()] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="field -> id of the contact whose value wins")


class ContactMergeOut(Schema):
    id: int
    survivor_id: int
    merged: list[int]
    merged_at: datetime
    undone_at: datetime | None


def visible_contact(user: User, contact_id: int) -> Any:
    from leadflow.clients.models import Contact

    contact = Contact.objects.filter(pk=contact_id).filter(
        pk__in=clients_visible_to(user).values("contact_id")).first()
    if contact is None:
        raise NotFound("contact")
    return contact


@router.post("/contacts/merges", response={201: ContactMergeOut}, summary="Merge duplicate contacts of clients")
def merge_contacts(request: HttpRequest, data: ContactMergeIn) -> Status:
    from leadflow.clients.merging import merge_contacts as merge

    survivor = visible_contact(request.auth, data.survivor_id)
    others = [visible_contact(request.auth, pk) for pk in data.other_ids]
    return Status(201, merge(survivor=survivor, others=others, by=request.auth, choices=data.choices))


@router.post("/contacts/merges/{merge_id}/undo", response=ContactOut, summary="Undo a contact merge")
def undo_contact_merge(request: HttpRequest, merge_id: PathId) -> Any:
    from leadflow.clients.merging import undo_contact_merge as undo
    from leadflow.clients.models import ContactMerge

    merge = ContactMerge.objects.filter(pk=merge_id).first()
    if merge is None:
        raise NotFound("merge")
    visible_contact(request.auth, merge.survivor_id)
    return undo(merge=merge, by=request.auth)


# ---------------------------------------------------------------- working a client: its timeline and tasks

ACTIVITY_KINDS = [kind for kind in ActivityKind.values if kind != ActivityKind.SYSTEM]
TASK_KINDS = [kind for kind in TaskKind.values if kind != TaskKind.ASSIGN]  # the pool's task, not a client's
WHO_MAY = ("The client's owner, the head of its team and an admin work the client; whoever has an open task on it "
           "may also log activities and complete their task. Others get 404 (403 when they may open the client "
           "but not do this), and nothing changes. A client whose personal data was erased takes no tasks or "
           "activities (409 `card_erased`).")


def one_of_kinds(kinds: list[str]) -> Any:
    return one_of(kinds, lambda value: _("One of: %(kinds)s.") % {"kinds": ", ".join(kinds)})


class ClientActivityIn(BodyIn):
    kind: one_of_kinds(ACTIVITY_KINDS) = Field(..., description=" | ".join(ACTIVITY_KINDS))  # type: ignore[valid-type]
    subject: str = Field("", max_length=255, description="One line: what it was about")
    body: str = Field("", max_length=20000, description="Notes, shown as plain text")
    duration_seconds: integer(ge=0, le=24 * 3600) | None = Field(  # type: ignore[valid-type]
        None, description="A call's or meeting's length")
    occurred_at: IsoDateTime | None = Field(None, description="When it happened (ISO 8601; without a zone, in "
                                                              "yours); default now")


class ClientTaskIn(BodyIn):
    title: str = Field(..., min_length=1, max_length=255, json_schema_extra={"pattern": NOT_BLANK},
                       description="What to do; not blank")
    kind: one_of_kinds(TASK_KINDS) = Field(TaskKind.CALL, description=" | ".join(TASK_KINDS))  # type: ignore[valid-type]
    due_at: IsoDateTime = Field(..., description="When it is due (ISO 8601; without a zone, in your time zone); a "
                                                 "time already past is refused with 422 naming `due_at`")
    assignee_id: integer() | None = Field(  # type: ignore[valid-type]
        None, description="Whom it is for; by default the client's owner. Only a head (for the people of their "
                          "teams) or an admin may choose, and only someone of the client's team who works clients: "
                          "refused with 422 naming `assignee_id` otherwise.")


class ClientCompleteTaskIn(CompleteTaskIn):
    next_kind: one_of_kinds(TASK_KINDS) = TaskKind.CALL  # type: ignore[valid-type]


class ClientTaskFilters(Schema):
    include_done: QueryBool = Field(  # type: ignore[valid-type]
        True, description="Completed and cancelled tasks too (they come after the open ones)")


def client_task_assignee(user: User, client: Client, assignee_id: int | None) -> User:
    """The task's person: the client's owner by default; another only from a head (their teams' people, or the
    client's owner) or an admin, and only someone who works clients (a task must be workable by who gets it)."""
    from leadflow.leads.forms import team_people

    if assignee_id is None:
        return client.owner if client.owner is not None and client.owner.is_active else user
    if assignee_id == user.pk:
        return user
    if not (user.is_admin or user.role == Role.HEAD):
        raise Forbidden(_("Only a head of sales or an admin may give a task to someone else."))
    people = team_people(user) | User.objects.filter(pk=client.owner_id, is_active=True)
    assignee = people.filter(pk=assignee_id).first()
    if assignee is None:
        raise InvalidInput({"assignee_id": [_("Not one of the people you may give tasks to: the managers and heads "
                                              "of your teams.")]})
    if not lead_services.works_clients(assignee):
        raise InvalidInput({"assignee_id": [_("This person does not work with clients.")]})
    return assignee


@router.get("/clients/{client_id}/activities", response=list[ActivityOut], summary="A client's timeline",
            description="Calls, e-mails, meetings, proposals and notes logged on the client, newest first (the "
                        "lead's early history is in the card's `lead_activities`). " + WHO_MAY)
def client_activities(request: HttpRequest, client_id: PathId, limit: Limit = 50,  # type: ignore[valid-type]
                      offset: Offset = 0) -> Any:  # type: ignore[valid-type]
    client = visible_client(request.auth, client_id)
    return client.activities.all()[offset: offset + limit]


@router.post("/clients/{client_id}/activities", response={201: ActivityOut}, summary="Log a call, e-mail, meeting "
             "or note on a client", description=WHO_MAY)
def log_client_activity(request: HttpRequest, client_id: PathId, data: ClientActivityIn) -> Status:
    client = visible_client(request.auth, client_id)
    lead_services.require_work_client(client, request.auth)
    activity = lead_services.log_activity(client=client, kind=data.kind, by=request.auth, subject=data.subject,
                                          body=data.body, duration_seconds=data.duration_seconds,
                                          occurred_at=in_zone_of(data.occurred_at, request.auth))
    return Status(201, activity)


@router.get("/clients/{client_id}/tasks", response=list[TaskOut], summary="A client's tasks",
            description="Open tasks first (soonest due first), then the completed ones. " + WHO_MAY)
def client_tasks(request: HttpRequest, client_id: PathId, filters: Query[ClientTaskFilters]) -> list[Task]:
    client = visible_client(request.auth, client_id)
    qs = client.tasks.all() if filters.include_done else client.tasks.open()
    now = timezone.now()
    tasks = list(qs.order_by(F("completed_at").asc(nulls_first=True), "due_at", "pk")[:500])
    for task in tasks:
        task.is_overdue = task.completed_at is None and task.due_at < now
    return tasks


@router.post("/clients/{client_id}/tasks", response={201: TaskOut}, summary="Add a task on a client",
             description="For the client's owner unless a head or an admin gives it to someone (`assignee_id`); "
                         "the person is notified. Only the owner, the head of the client's team and an admin add "
                         "tasks. " + WHO_MAY)
def add_client_task(request: HttpRequest, client_id: PathId, data: ClientTaskIn) -> Status:
    user: User = request.auth
    client = visible_client(user, client_id)
    lead_services.require_manage_client(client, user)
    assignee = client_task_assignee(user, client, data.assignee_id)
    task = lead_services.create_task(client=client, assignee=assignee, title=data.title, kind=data.kind,
                                     due_at=in_zone_of(data.due_at, user), by=user)  # type: ignore[arg-type]
    return Status(201, task)


@router.post("/clients/{client_id}/tasks/{task_id}/complete", response=CompleteTaskOut,
             summary="Complete a client's task with its result and, usually, the next one",
             description="Its assignee, the head of the client's team or an admin completes it; the next task goes "
                         "to the same person. " + WHO_MAY)
def complete_client_task(request: HttpRequest, client_id: PathId, task_id: PathId,
                         data: ClientCompleteTaskIn) -> dict[str, Any]:
    user: User = request.auth
    client = visible_client(user, client_id)
    task = Task.objects.visible_to(user).filter(pk=task_id, client=client).first()
    if task is None:
        raise NotFound("task")
    next_task = lead_services.complete_task(task=task, result=data.result, by=user, next_title=data.next_title,
                                            next_due_at=in_zone_of(data.next_due_at, user), next_kind=data.next_kind)
    return {"completed": Task.objects.get(pk=task.pk), "next": next_task}
