"""API shapes of leads, tasks and timelines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from django.utils.translation import gettext_lazy
from ninja import Field, Schema

from leadflow.core.inputs import (
    MAX_INT32,
    NOT_BLANK,
    BodyIn,
    IsoDate,
    IsoDateTime,
    NestedObject,
    integer,
    one_of,
)
from leadflow.leads.models import ActivityKind, TaskKind

ACTIVITY_KINDS = [kind for kind in ActivityKind.values if kind != ActivityKind.SYSTEM]  # Leadflow's own: not typed
TaskKindIn = one_of(TaskKind.values, gettext_lazy("Unknown task kind."))
EXISTING = "Must name an existing one (refused with 422 naming this field otherwise)."


class GivenOut(Schema):
    """A phone or e-mail the person gave that could not be read, kept as typed (pipeline._keep_unreadable)."""

    field: str = Field(..., description="phone | email")
    value: str = Field(..., description="Exactly as the person typed it")
    problem: str = Field("", description="Why it could not be read")


class LeadOut(Schema):
    id: int
    full_name: str
    last_name: str
    first_name: str
    middle_name: str
    company_name: str
    legal_form: str
    position: str
    phone: str
    phone_ext: str
    email: str
    other_contacts: list[str] = Field(default_factory=list, description=(
        'Further phones (E.164, " ext. N" with an extension) and e-mails a manager put on the card'))
    telegram: str = Field("", description='The Telegram account ("t.me/ivan_petrov"), "" for none')
    city: str
    product_interest: str
    deal_type: str
    state: str
    stage: str = Field(..., alias="stage.code")
    stage_name: str = Field("", description="The stage's name in the request's language (a seeded default "
                            "translated, a name an admin typed as typed)")
    temperature: str
    owner_id: int | None
    team_id: int | None
    channel: str
    source_id: int | None
    campaign_id: int | None
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_content: str
    utm_term: str
    referrer: str
    landing_page: str
    consent_given: bool
    consent_text_version: str
    consent_channel: str
    consent_at: datetime | None
    lost_reason_id: int | None
    lost_note: str
    deferred_until: date | None
    is_possible_duplicate: bool
    created_at: datetime
    assigned_at: datetime | None
    first_contacted_at: datetime | None
    converted_at: datetime | None

    @staticmethod
    def resolve_stage_name(obj: object) -> str:
        return str(obj.stage)  # type: ignore[attr-defined]


class MergeUndoOut(LeadOut):
    notes: list[str] = Field([], alias="undo_notes", description="What the undo could not put back as it was, and why")


class LeadPage(Schema):
    items: list[LeadOut]
    next_cursor: str | None


class RequestOut(Schema):
    id: int
    channel: str
    message: str
    facts: dict
    matched_by: str
    submission_id: int | None
    utm_source: str
    utm_campaign: str
    created_at: datetime


class ActivityOut(Schema):
    id: int
    kind: str
    subject: str = Field("", description="As typed; one Leadflow wrote in the request's language")
    body: str
    duration_seconds: int | None
    occurred_at: datetime
    author_id: int | None

    @staticmethod
    def resolve_subject(obj: object) -> str:
        return obj.shown_subject  # type: ignore[attr-defined]

    @staticmethod
    def resolve_body(obj: object) -> str:
        return obj.shown_body  # type: ignore[attr-defined]


class TaskOut(Schema):
    id: int
    lead_id: int | None
    client_id: int | None
    assignee_id: int | None
    kind: str
    title: str = Field("", description="As typed; a task Leadflow set itself (\"Call the lead: ...\") worded in "
                       "the request's language (Accept-Language)")
    title_key: str = Field("", alias="text_key", description="A task Leadflow set itself: its stable English "
                           "template (\"Call the lead: %(name)s\"), the same in every language; empty for a "
                           "title a person typed")
    due_at: datetime
    completed_at: datetime | None
    result: str = Field("", description="As typed; one Leadflow wrote when it closed the task in the request's "
                        "language")
    previous_id: int | None
    is_overdue: bool = False

    @staticmethod
    def resolve_title(obj: object) -> str:
        return obj.shown_title  # type: ignore[attr-defined]

    @staticmethod
    def resolve_result(obj: object) -> str:
        return obj.shown_result  # type: ignore[attr-defined]


class StageChangeOut(Schema):
    from_stage: str | None = Field(None, alias="from_stage.code")
    to_stage: str = Field(..., alias="to_stage.code")
    from_state: str
    to_state: str
    changed_at: datetime
    changed_by_id: int | None


class OwnerChangeOut(Schema):
    from_owner_id: int | None
    to_owner_id: int | None
    reason: str
    changed_at: datetime
    changed_by_id: int | None


class FieldChangeOut(Schema):
    field: str
    old_value: str
    new_value: str
    changed_at: datetime
    changed_by_id: int | None


class LeadCardOut(Schema):
    lead: LeadOut
    client_id: int | None
    requests: list[RequestOut]
    activities: list[ActivityOut]
    tasks: list[TaskOut]
    stage_history: list[StageChangeOut]
    owner_history: list[OwnerChangeOut]
    field_changes: list[FieldChangeOut]


class AssignIn(BodyIn):
    owner_id: integer() = Field(..., description=f"The user to assign to. {EXISTING}")  # type: ignore[valid-type]


class StageIn(BodyIn):
    stage: str = Field(..., description="Stage code, e.g. contacted: one of GET /api/leads/meta/stages (the admin "
                                        f"configures them). {EXISTING}")


class RefuseIn(BodyIn):
    reason_id: integer() = Field(  # type: ignore[valid-type]
        ..., description=f"An active lost reason (GET /api/leads/meta/lost-reasons). {EXISTING}")
    note: str = ""


class DeferIn(BodyIn):
    until: IsoDate = Field(..., description="A day after today (in Leadflow's time zone); today or earlier is "
                                            "refused with 422 naming `until`")
    note: str = ""


class CompanyIn(NestedObject):
    name: str = ""
    legal_form: str = ""
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""
    legal_address: str = ""


class ConvertIn(BodyIn):
    owner_id: integer() | None = Field(  # type: ignore[valid-type]
        None, description=f"An active user to own the client. {EXISTING}")
    company: CompanyIn | None = None
    first_task_title: str = Field(
        "", max_length=255,
        description="the client's first task; empty: the lead's open tasks people wrote move to the client, and "
                    "without any, \"Call the new client\"")
    first_task_due_at: IsoDateTime | None = Field(
        None, description="empty: the start of the team's next working day; without a zone, in your time zone; a "
                          "time already past is refused with 422 naming the field")


class ConvertOut(Schema):
    client_id: int
    contact_id: int | None
    company_id: int | None
    lead_id: int


class ActivityIn(BodyIn):
    kind: one_of(ACTIVITY_KINDS, gettext_lazy("Unknown activity kind.")) = Field(  # type: ignore[valid-type]
        ..., description=" | ".join(ACTIVITY_KINDS))
    subject: str = Field("", max_length=255)
    body: str = Field("", max_length=20000)
    duration_seconds: integer(ge=0, le=MAX_INT32) | None = None  # type: ignore[valid-type]
    occurred_at: IsoDateTime | None = Field(None, description="When it happened (ISO 8601; without a zone, in "
                                                             "yours); empty: now")


class TaskIn(BodyIn):
    """A task on exactly one card: give lead_id or client_id, not both, not neither (422 naming lead_id)."""

    lead_id: integer() | None = Field(None, description=f"The lead; or client_id. {EXISTING}")  # type: ignore[valid-type]
    client_id: integer() | None = Field(  # type: ignore[valid-type]
        None, description=f"The client; or lead_id. {EXISTING}")
    assignee_id: integer() | None = Field(  # type: ignore[valid-type]
        None, description="Whom it is for (you by default): an active user who may work "
                          "the card; refused with 422 naming this field otherwise")
    kind: TaskKindIn = "other"  # type: ignore[valid-type]
    title: str = Field(..., min_length=1, max_length=255, json_schema_extra={"pattern": NOT_BLANK},
                       description="Not blank")
    due_at: IsoDateTime = Field(..., description="When it is due (ISO 8601; without a zone, in your time zone); a "
                                                 "time already past is refused with 422 naming `due_at`")


class CompleteTaskIn(BodyIn):
    """The next task needs both next_title and next_due_at, or neither (422 naming the one missing)."""

    result: str = Field(..., max_length=5000, json_schema_extra={"pattern": NOT_BLANK},
                       description="What came of it; not blank")
    next_title: str = Field("", max_length=255)
    next_due_at: IsoDateTime | None = Field(None, description="When the next task is due (without a zone, in "
                                                              "yours); a time already past is refused with 422 "
                                                              "naming `next_due_at`")
    next_kind: TaskKindIn = "call"  # type: ignore[valid-type]


class CompleteTaskOut(Schema):
    completed: TaskOut
    next: TaskOut | None


class StageOut(Schema):
    code: str
    name: str
    position: int
    kind: str
    is_qualified: bool

    @staticmethod
    def resolve_name(obj: object) -> str:
        return str(obj)  # a seeded default in the request's language, a typed one as typed


class LostReasonOut(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: object) -> str:
        return str(obj)  # a seeded default in the request's language, a typed one as typed


class NotificationOut(Schema):
    id: int
    kind: str
    text: str = Field("", description="Worded in the request's language when read, not when written")
    lead_id: int | None
    client_id: int | None
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_text(obj: object) -> str:
        return obj.shown_text  # type: ignore[attr-defined]


PHONE = "A phone number as typed, extension included; one that cannot be read is refused with 422 naming the field"
EMAIL = "An e-mail address; one that cannot be read is refused with 422 naming the field"


class LeadUpdateIn(BodyIn):
    """Only the fields given are changed; phones and e-mails are normalised as on intake. A lead keeps a name and
    at least one contact: an edit that would leave it without is refused (422, `__all__`)."""

    last_name: str | None = Field(None, max_length=120)
    first_name: str | None = Field(None, max_length=120)
    middle_name: str | None = Field(None, max_length=120)
    company: str | None = Field(None, max_length=255, description="Company with its legal form, e.g. ООО «Ромашка»")
    position: str | None = Field(None, max_length=160)
    phone: str | None = Field(None, max_length=64, description=PHONE)
    email: str | None = Field(None, max_length=254, description=EMAIL)
    telegram: str | None = Field(None, max_length=100, description='"@name" or a t.me/name link; stored as '
                                 '"t.me/name"; an empty string clears it; one that cannot be read is refused with '
                                 '422 naming the field')
    city: str | None = Field(None, max_length=120)
    product_interest: str | None = Field(None, max_length=120)
    # Checked by update() with the phone and the e-mail, so that every field's problem is named at once.
    deal_type: str | None = Field(None, description="retail | wholesale | empty",
                                  json_schema_extra={"enum": ["", "retail", "wholesale", None]})
    temperature: str | None = Field(None, description="cold | warm | hot",
                                    json_schema_extra={"enum": ["cold", "warm", "hot"]})


class InterestOut(Schema):
    id: int
    name: str
    company_name: str
    phone: str
    phone_ext: str
    email: str
    message: str
    reason: str
    channel: str
    team_id: int | None
    promoted_to_id: int | None
    promoted_to_client_id: int | None = Field(None, description=(
        "The client the interest was attached to when promoted: the person was already a client, no lead was made"))
    created_at: datetime
    email_suggestion: str = Field("", description='The address the e-mail most likely meant ("ivan@gmail.con" -> '
                                  '"ivan@gmail.com"), to give when promoting; "" when it reads right')

    other_contacts: list[str] = Field(default_factory=list, description=(
        'Further phones (E.164, " ext. N" with an extension) and e-mails given in the same fields'))
    unreadable_contacts: list[GivenOut] = Field(default_factory=list, description=(
        "Phones and e-mails given that could not be read, kept exactly as typed, with the problem: what a manager "
        "calls or writes to when promoting the interest"))
    messengers: list[str] = Field(default_factory=list, description=(
        'Messenger accounts given as a contact ("t.me/ivan_petrov"): for an interest with no phone or e-mail, where '
        "to write to ask for one"))

    @staticmethod
    def resolve_email_suggestion(obj: object) -> str:
        from leadflow.matching.normalize import email_suggestion

        email = getattr(obj, "email", "")
        return email_suggestion(email) if email else ""

    @staticmethod
    def resolve_other_contacts(obj: object) -> list[str]:
        from leadflow.leads.given import interest_contacts

        return interest_contacts(obj)["other"]  # type: ignore[no-any-return]

    @staticmethod
    def resolve_unreadable_contacts(obj: object) -> list[dict[str, str]]:
        from leadflow.leads.given import interest_contacts

        return interest_contacts(obj)["unreadable"]  # type: ignore[no-any-return]

    @staticmethod
    def resolve_messengers(obj: object) -> list[str]:
        from leadflow.leads.given import interest_contacts

        return interest_contacts(obj)["messengers"]  # type: ignore[no-any-return]


class PromoteIn(BodyIn):
    name: str = Field(..., min_length=1, max_length=255, json_schema_extra={"pattern": NOT_BLANK},
                       description="The person's full name")
    phone: str = Field("", max_length=64, description=PHONE)
    email: str = Field("", max_length=254, description=EMAIL)
    position: str = Field("", max_length=160)


CREATED = ('"created": a new lead was made from the interest (201). A person Leadflow already knew is answered '
           'with 200 and `"outcome": "attached"` instead')


class PromotedOut(LeadOut):
    """The lead an interest became, as its promoter may see it."""

    outcome: Literal["created"] = Field("created", description=CREATED)
    visible: Literal[True] = Field(True, description="true: the lead is in your view (its card is this body)")
    team_name: str = Field("", description="The team the lead went to (\"\" for a lead of no team)")
    notice: str = Field("", description="Where the lead went when that is not the interest's team, in the "
                                        "reader's language")


class PromotedElsewhereOut(Schema):
    """The lead an interest became when it is out of its promoter's view: where it went, and nothing of who works it
    (a manager sees the pool and their own leads; a head, the teams they head)."""

    outcome: Literal["created"] = Field("created", description=CREATED)
    visible: Literal[False] = Field(False, description="false: the lead went where you do not see it")
    id: int = Field(..., description="The lead's id (its card does not open for you)")
    team_id: int | None
    team_name: str = Field("", description="The team the lead went to")
    notice: str = Field(..., description="What happened, in the reader's language")


Promoted = Annotated[PromotedOut | PromotedElsewhereOut, Field(discriminator="visible")]


class AttachedOut(Schema):
    """The person given was already a lead or a client (found as the intake finds a repeat request): the interest's
    requests went to that card and its owner was told; no lead was made. Out of the promoter's view, the card is
    named by its team only, nothing of who works it."""

    outcome: Literal["attached"] = Field("attached", description='"attached": the interest went to an existing card')
    card_type: Literal["lead", "client"] = Field(..., description="What the existing card is")
    id: int = Field(..., description="The lead's or the client's id (its card opens for you only when `visible`)")
    visible: bool = Field(..., description="Whether the card is in your view")
    name: str = Field("", description='The card\'s name when it is in your view, "" otherwise')
    team_id: int | None
    team_name: str = Field("", description="The card's team (\"\" for one of no team)")
    notice: str = Field(..., description="What happened, in the reader's language")


class DuplicateOut(Schema):
    card_type: str
    card_id: int
    score: float
    reasons: list[str]
    possible_duplicate: bool = Field(..., description=(
        "Whether the score reaches the lower matching threshold (maybe the same person). False for a card listed "
        "only because it holds one of this person's own phones or e-mail addresses under another name: a shared "
        "number, so whoever calls one reaches the other"))
    visible: bool = Field(..., description="Whether you may open that card; otherwise only its owner is named")
    name: str = ""
    owner_name: str = ""


class MergeIn(BodyIn):
    survivor_id: integer()  # type: ignore[valid-type]
    other_ids: list[integer()] = Field(..., min_length=1)  # type: ignore[valid-type]
    choices: dict[str, integer()] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="field -> id of the lead whose value wins: a mergeable field of a lead "
                                          "and one of the merged leads, refused with 422 naming `choices.<field>` "
                                          "otherwise")


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged: list[int]
    choices: dict[str, int]
    merged_at: datetime
    undone_at: datetime | None
