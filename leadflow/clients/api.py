"""Clients and companies over the API (read; they are created by converting leads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from leadflow.accounts.models import User
from leadflow.clients.models import Client, Company
from leadflow.clients.querysets import clients_visible_to, companies_visible_to
from leadflow.clients.validators import clean_number
from leadflow.core.errors import InvalidInput, NotFound
from leadflow.core.inputs import MAX_INT, MAX_SEARCH
from leadflow.leads.schemas import ActivityOut, RequestOut, TaskOut

router = Router(tags=["clients"])


class CompanyOut(Schema):
    id: int
    name: str
    legal_form: str
    inn: str
    kpp: str
    ogrn: str
    legal_address: str
    city: str
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
    client = clients_visible_to(user).select_related("company", "contact", "lead").filter(pk=client_id).first()
    if client is None:
        raise NotFound("client")
    return client


def check_page(q: str, limit: int, offset: int) -> None:
    errors: dict[str, list[str]] = {}
    if not 1 <= limit <= 200:
        errors["limit"] = [_("Between 1 and 200.")]
    if not 0 <= offset <= MAX_INT:
        errors["offset"] = [_("From 0 up.") if offset < 0 else _("The number is too large.")]
    if len(q) > MAX_SEARCH:
        errors["q"] = [_("At most %(limit)d characters.") % {"limit": MAX_SEARCH}]
    if errors:
        raise InvalidInput(errors)


@router.get("/clients", response=list[ClientOut], summary="Clients visible to you")
def list_clients(request: HttpRequest, q: str = "", limit: int = 50, offset: int = 0) -> Any:
    check_page(q, limit, offset)
    qs = clients_visible_to(request.auth)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("-created_at", "-pk")[offset: offset + limit]


@router.get("/clients/{client_id}", response=ClientCardOut, summary="A client card, with the lead's early history")
def client_card(request: HttpRequest, client_id: int) -> dict[str, Any]:
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


@router.get("/companies", response=list[CompanyOut], summary="Companies of your clients")
def list_companies(request: HttpRequest, q: str = "", limit: int = 50, offset: int = 0) -> Any:
    check_page(q, limit, offset)
    qs = companies_visible_to(request.auth)
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(inn=clean_number(q))  # "7707 083893" finds 7707083893
    return qs.order_by("name", "pk")[offset: offset + limit]


@router.get("/companies/{company_id}", response=CompanyOut, summary="A company")
def company(request: HttpRequest, company_id: int) -> Company:
    found = companies_visible_to(request.auth).filter(pk=company_id).first()
    if found is None:
        raise NotFound("company")
    return found


class ContactMergeIn(Schema):
    survivor_id: int
    other_ids: list[int] = Field(..., min_length=1)
    choices: dict[str, int] = Field(default_factory=dict, description="field -> id of the contact whose value wins")


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
def undo_contact_merge(request: HttpRequest, merge_id: int) -> Any:
    from leadflow.clients.merging import undo_contact_merge as undo
    from leadflow.clients.models import ContactMerge

    merge = ContactMerge.objects.filter(pk=merge_id).first()
    if merge is None:
        raise NotFound("merge")
    visible_contact(request.auth, merge.survivor_id)
    return undo(merge=merge, by=request.auth)
