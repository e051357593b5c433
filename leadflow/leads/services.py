"""Every change to a lead, a task or a timeline: one typed function each, inside a transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, IntegerField, Max, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadflow.accounts.middleware import zone_name_of
from leadflow.accounts.models import Role, Team, User
from leadflow.clients.models import Client, Company, Contact
from leadflow.clients.validators import clean_number
from leadflow.core import rows
from leadflow.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from leadflow.core.memo import Memo
from leadflow.core.worktime import WorkCalendar, add_working_minutes, next_working_day_start
from leadflow.events.services import record_event
from leadflow.leads.given import carried_to_client, messengers_given, one_contact
from leadflow.leads.models import (
    REACH_QUALIFIED,
    Activity,
    ActivityKind,
    Channel,
    FieldChange,
    Interest,
    Lead,
    LeadState,
    LostReason,
    Notification,
    OwnerChange,
    Request,
    Stage,
    StageChange,
    StageKind,
    Task,
    TaskKind,
    combine_reach,
    reach_of,
    seeded_name,
    system_result,
    system_result_fields,
    system_text,
)
from leadflow.leads.querysets import INTEREST_PENDING, headed_team_ids
from leadflow.leads.routing import decide_owner, team_calendar
from leadflow.matching import normalize
from leadflow.matching import services as matching
from leadflow.matching.models import CardType
from leadflow.matching.normalize import Phone, phone_text, split_phone_text


@dataclass
class Touch:
    """Where one touch came from."""

    channel: str
    source_id: int | None = None
    campaign_id: int | None = None
    utm: dict[str, str] = field(default_factory=dict)  # source, medium, campaign, content, term
    referrer: str = ""
    landing_page: str = ""
    visitor_id: str = ""

    def fields(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "source_id": self.source_id,
            "campaign_id": self.campaign_id,
            "utm_source": self.utm.get("source", ""),
            "utm_medium": self.utm.get("medium", ""),
            "utm_campaign": self.utm.get("campaign", ""),
            "utm_content": self.utm.get("content", ""),
            "utm_term": self.utm.get("term", ""),
            "referrer": self.referrer,
            "landing_page": self.landing_page,
            "visitor_id": self.visitor_id,
        }


@dataclass
class PersonFacts:
    """The normalised facts of a person, as the pipeline or a manager supplies them."""

    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    full_name: str = ""
    company_name: str = ""
    legal_form: str = ""
    position: str = ""
    phone: str = ""
    phone_ext: str = ""
    email: str = ""
    city: str = ""
    product_interest: str = ""
    deal_type: str = ""
    company_size: int | None = None
    # Further numbers and addresses given in the same field ("+7 912 ..., +7 495 ... доб. 12"); a phone as
    # E.164 with " ext. N" when it has an extension. The card keeps the first; these make it findable.
    other_phones: list[str] = field(default_factory=list)
    other_emails: list[str] = field(default_factory=list)
    # The consumer mail domain the e-mail most likely meant ("ivan@gmail.con" -> "ivan@gmail.com"): kept as typed,
    # suggested on the card and to the sender, never changed without a person accepting it.
    email_suggestion: str = ""
    # A contact given that could not be read, kept as given while the rest stands on the other contact:
    # [{"field": "phone", "code": "unreadable", "value": "8-912-ЗВОНИТЬ", "problem": "..."}] (pipeline._keep_unreadable)
    unreadable: list[dict[str, str]] = field(default_factory=list)
    # A quiz's questions and answers as the person saw them (intake.builders.answers): [{"question", "answer",
    # "field"}], shown on the request; the answers that are fields filled them already. The budget has no field on the
    # card: the request keeps the answer as `budget` too.
    answers: list[dict[str, str]] = field(default_factory=list)
    budget: str = ""
    # Messenger accounts given as a contact ("t.me/ivan_petrov"): no phone or e-mail, kept for the manager to write to.
    messengers: list[str] = field(default_factory=list)

    def keys(self) -> matching.Facts:
        others = [matching.PhoneFact(*split_phone_text(text)) for text in self.other_phones]
        return matching.Facts(
            phones=([matching.PhoneFact(self.phone, self.phone_ext)] if self.phone else []) + others,
            emails=([self.email] if self.email else []) + self.other_emails,
            first_name=self.first_name, last_name=self.last_name, middle_name=self.middle_name,
            company=self.company_name, city=self.city,
        )


@dataclass
class Consent:
    given: bool = False
    text_version: str = ""
    channel: str = ""
    at: datetime | None = None


# ---------------------------------------------------------------- helpers


_stages = Memo("leads.Stage")


def initial_stage() -> Stage:
    stage = _stages.get("initial", lambda: Stage.objects.filter(kind=StageKind.OPEN).order_by("position", "id").first())
    if stage is None:
        stage = Stage.objects.create(code="new", name="New", position=0)
    return stage


def _stage_of_kind(kind: str) -> Stage:
    stage = Stage.objects.filter(kind=kind).order_by("position", "id").first()
    if stage is None:
        raise DomainError("stage_missing", _("No stage of kind %(kind)s is configured.") % {"kind": kind})
    return stage


def locked_lead(pk: int) -> Lead:
    """Read a lead under a row lock, so two changes to one card queue instead of interleaving (call it inside
    the transaction of the change)."""
    return Lead.objects.select_for_update(of=("self",)).select_related("team", "owner", "stage").get(pk=pk)


def _lock(lead: Lead) -> Lead:
    return locked_lead(lead.pk)


def _audit(*, lead: Lead | None = None, client: Client | None = None, field: str, old: Any, new: Any,
           by: User | None) -> None:
    if (old or "") == (new or ""):
        return
    FieldChange.objects.create(
        lead=lead, client=client, field=field, old_value="" if old is None else str(old),
        new_value="" if new is None else str(new), changed_by=by,
    )


def _record_stage(lead: Lead, *, old_stage: Stage | None, old_state: str, by: User | None) -> None:
    rows.create(
        StageChange, lead=lead, from_stage=old_stage, to_stage=lead.stage, from_state=old_state, to_state=lead.state,
        changed_by=by,
    )
    reach = combine_reach(lead.stage_reach, reach_of(lead.stage))
    if reach != lead.stage_reach:  # a new card got it at insert; a step back or sideways changes nothing
        lead.stage_reach = reach
        Lead.objects.filter(pk=lead.pk).update(stage_reach=reach)


def refresh_stage_reach(lead_ids: Iterable[int] | None = None) -> int:
    """Recompute the stage reach from the history: after a merge moved history, or stages were reconfigured."""
    stages = list(Stage.objects.all())
    if not stages:
        return 0
    qualified = Case(*[When(to_stage_id=s.pk, then=Value(REACH_QUALIFIED)) for s in stages if s.is_qualified],
                     default=Value(0), output_field=IntegerField())
    position = Case(*[When(to_stage_id=s.pk, then=Value(reach_of(s) % REACH_QUALIFIED)) for s in stages],
                    default=Value(0), output_field=IntegerField())
    code = (StageChange.objects.filter(lead_id=OuterRef("pk")).order_by().values("lead_id")
            .annotate(code=Max(qualified) + Max(position)).values("code"))
    leads = Lead.objects.all() if lead_ids is None else Lead.objects.filter(pk__in=list(lead_ids))
    return leads.update(stage_reach=Coalesce(Subquery(code, output_field=IntegerField()), Value(0)))


# While set (a bulk import), notifications are counted per (user, kind) instead of written one by one,
# so the caller can send each person one summary instead of thousands of e-mails.
_collected_notifications: ContextVar[Counter[tuple[int, str]] | None] = ContextVar("collected", default=None)


@contextmanager
def collect_notifications() -> Iterator[Counter[tuple[int, str]]]:
    """Within the block, `notify` counts instead of writing; yields the counter of (user id, kind)."""
    counter: Counter[tuple[int, str]] = Counter()
    token = _collected_notifications.set(counter)
    try:
        yield counter
    finally:
        _collected_notifications.reset(token)


def notify(*, user: User, kind: str, template: str, lead: Lead | None = None, client: Client | None = None,
           **params: Any) -> None:
    """An in-app notification, worded in the recipient's language; the worker e-mails it too."""
    collected = _collected_notifications.get()
    if collected is not None:
        collected[(user.pk, kind)] += 1
        return
    with translation.override(user.language or settings.LANGUAGE_CODE):
        # Stored worded in the recipient's language (as a fallback); shown re-worded in theirs at the time, its
        # nested texts too (a task's title, a channel's label: see SystemText).
        fields = system_text("text", template, **params)
    fields["text"] = str(fields["text"])[:500]
    note = rows.create(Notification, user=user, kind=kind, lead=lead, client=client, **fields)
    record_event("notification.created", notification_id=note.pk, user_id=user.pk, kind=kind)


def team_as_now(team: Any, team_if_switched_off: Callable[[Team], Team | None] | None) -> Any:
    """The team a new lead or interest goes to, as the database holds it now (one query).

    A team kept per process (a partner's key, a dealer's region, a tracking site: core.memo) may predate a routing
    change its head saved in another process, or its switching off: the scheme and SLA a lead is routed by are read
    now, and a team switched off since is replaced by `team_if_switched_off` (when given)."""
    if team is None:
        return None
    team = Team.objects.filter(pk=team.pk).first() or team
    if not team.is_active and team_if_switched_off is not None:
        team = team_if_switched_off(team)
    return team


def _head_of(lead: Lead) -> User | None:
    return lead.team.head if lead.team and lead.team.head_id else None


def _due_after_sla(lead_team: Any, now: datetime) -> datetime:
    minutes = lead_team.sla_minutes if lead_team else settings.LEADFLOW_SLA_MINUTES
    return add_working_minutes(now, minutes, team_calendar(lead_team))


def _require_open(lead: Lead) -> None:
    if lead.state != LeadState.OPEN:
        raise DomainError("lead_not_open", _("The lead is %(state)s.") % {"state": lead.get_state_display()})


def _can_manage(lead: Lead, user: User) -> bool:
    """Owner, head of the lead's team, or admin may work the lead."""
    if user.is_admin:
        return True
    if lead.owner_id == user.pk:
        return True
    return user.role == Role.HEAD and (lead.team_id is None or lead.team.head_id == user.pk)


def _require_manage(lead: Lead, user: User) -> None:
    if not _can_manage(lead, user):
        raise Forbidden(_("Only the owner, the head of the team or an admin may do this."))


def can_manage_client(client: Client, user: User) -> bool:
    """Who may work a client: whoever sees it (its owner, the head of its team, an admin)."""
    from leadflow.clients.querysets import clients_visible_to  # it imports leads' querysets

    return clients_visible_to(user).filter(pk=client.pk).exists()


def require_manage_client(client: Client, user: User) -> None:
    if not can_manage_client(client, user):
        raise Forbidden(_("Only the client's owner, the head of its team or an admin may do this."))


def can_work_client(client: Client, user: User) -> bool:
    """Who may open a client's card, log calls on it and complete their task there: whoever manages it, and
    whoever has an open task on it (clients.querysets.clients_open_to)."""
    from leadflow.clients.querysets import clients_open_to  # it imports leads' querysets

    return clients_open_to(user).filter(pk=client.pk).exists()


def require_work_client(client: Client, user: User) -> None:
    if not can_work_client(client, user):
        raise Forbidden(_("Only the client's owner, the head of its team, an admin or someone with a task on the "
                          "client may do this."))


def works_clients(user: User) -> bool:
    """Whether a task on a client may be given to `user`: an active manager, head of sales or admin."""
    return bool(user.is_active and (user.is_admin or user.role in (Role.MANAGER, Role.HEAD)))


def in_client_team(client: Client, user: User) -> bool:
    """Whether `user` works in the client's team (its people, its head, the client's owner, an admin).

    A task opens the client's card to its assignee: a head of several teams gives a client's task to the
    client's team, not to a manager of their other team, who would read another team's client and carry its
    work in their own figures. A client without a team is anyone's to help with."""
    return bool(user.is_admin or client.team_id is None or user.pk == client.owner_id
                or user.team_id == client.team_id or client.team_id in headed_team_ids(user))


class CardErased(DomainError):
    """Nobody is sent to call, write to or meet a person whose data was erased at their request."""

    def __init__(self) -> None:
        super().__init__("card_erased", _("This person's data was erased at their request: no tasks or activities "
                                          "may be added to the card, and they must not be contacted."))


def _require_not_erased(*, lead: Lead | None, client: Client | None) -> None:
    """Read under a lock: an erasure running now (it locks the cards first) is waited for, then seen."""
    if client is not None and list(Client.objects.select_for_update().filter(pk=client.pk).exclude(
            erased_at__isnull=True).values_list("pk", flat=True)):
        raise CardErased()
    if lead is not None and Lead.objects.filter(pk=lead.pk, erased_at__isnull=False).exists():
        raise CardErased()


def _is_head_or_admin(user: User, lead: Lead) -> bool:
    return user.is_admin or (user.role == Role.HEAD and _can_manage(lead, user))


# ---------------------------------------------------------------- creation and requests


def create_lead(
    *,
    person: PersonFacts,
    touch: Touch,
    team: Any,
    consent: Consent | None = None,
    message: str = "",
    submission_id: int | None = None,
    by: User | None = None,
    now: datetime | None = None,
    possible_duplicate: bool = False,
    first_touch: Touch | None = None,
    nurture: bool = False,
    team_if_switched_off: Callable[[Team], Team | None] | None = None,
) -> Lead:
    """Create a lead card with its first request, route it and give it a first task.

    `team_if_switched_off`: the team to give the lead instead when `team`, read now, has been switched off since
    the caller found it (a team kept per process: a switched-off team gets no new leads from that moment).

    With `nurture` the lead stays with marketing (state "nurturing": not routed, no task, no SLA) until its
    points make it hot (leadflow.warming hands it to sales then).

    The card keeps the person's first touch (``first_touch``: e.g. the visit a web form's script remembered),
    the request keeps this touch, so both first and last touch are known."""
    now = now or timezone.now()
    consent = consent or Consent()
    team = team_as_now(team, team_if_switched_off)
    # No savepoint of its own: a failure rolls back the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        lead = rows.create(
            Lead, last_name=person.last_name, first_name=person.first_name, middle_name=person.middle_name,
            full_name=person.full_name, company_name=person.company_name, legal_form=person.legal_form,
            position=person.position, company_size=person.company_size, phone=person.phone,
            phone_ext=person.phone_ext, email=person.email,
            # the first Telegram account given; the request keeps every one (its facts' "messengers")
            telegram=person.messengers[0] if person.messengers else "",
            city=person.city, product_interest=person.product_interest, deal_type=person.deal_type,
            message=message, stage=(stage := initial_stage()), stage_reach=reach_of(stage), team=team,
            sla_due_at=None if nurture else _due_after_sla(team, now),  # with marketing: set at the hand-off
            sales_since=None if nurture else now,
            is_possible_duplicate=possible_duplicate,
            consent_given=consent.given, consent_text_version=consent.text_version,
            consent_channel=consent.channel or touch.channel, consent_at=consent.at or (now if consent.given else None),
            created_at=now, state=LeadState.NURTURING if nurture else LeadState.OPEN,
            **(first_touch or touch).fields(),
        )
        _record_stage(lead, old_stage=None, old_state="", by=by)
        matching.register_keys(card_type=CardType.LEAD, card_id=lead.pk, facts=person.keys())
        rows.create(Request, lead=lead, submission_id=submission_id, message=message,
                    facts=_facts_dict(person), created_at=now, **touch.fields())
        record_event("lead.created", lead_id=lead.pk, channel=touch.channel, team_id=lead.team_id)
        _promote_matching_interests(lead, person.keys())
        if nurture:
            record_event("lead.nurturing", lead_id=lead.pk, team_id=lead.team_id)
        else:
            route_lead(lead=lead, now=now, by=by)
    return lead


def _own_contacts(keys: matching.Facts) -> matching.Facts:
    """The person's own phones and e-mails, by which their earlier interests are known. Not a company's line (a
    switchboard, a toll-free number), not the main line behind their extension (an interest holds the number
    without one), not a role mailbox (info@, sales@): those are everyone's at the company, and the interests that
    came from them are other people's, left for a manager to review."""
    phones = [phone for phone in keys.phones if not phone.extension and not normalize.is_company_line(
        normalize.number_type_of(phone.e164), extension="", company=keys.company)]
    return matching.Facts(phones=phones, emails=[email for email in keys.emails
                                                 if not normalize.is_role_mailbox(email)])


def _promote_matching_interests(lead: Lead | None, keys: matching.Facts, *, client: Client | None = None,
                                attached: bool = False, matched_by: str = "") -> None:
    """Earlier interests from the same phone or e-mail become part of this lead's history (DOMAIN.md 1), or of the
    known lead's or client's an interest was promoted onto (`attached`, `matched_by` said on their requests). One
    already on a card stays there."""
    interest_ids = matching.cards_with_keys(_own_contacts(keys), card_type=CardType.INTEREST)
    if not interest_ids:
        return
    pending = list(Interest.objects.filter(INTEREST_PENDING, pk__in=interest_ids).values_list("pk", flat=True))
    if not pending:
        return
    said = ({"lead_id": lead.pk if lead else None, "client_id": client.pk if client else None, "attached": True}
            if attached else {"lead_id": lead.pk})  # type: ignore[union-attr]
    for interest_id in pending:
        record_event("interest.promoted", interest_id=interest_id, **said)
    if client is None:
        Interest.objects.filter(INTEREST_PENDING, pk__in=pending).update(promoted_to=lead)
    else:
        Interest.objects.filter(INTEREST_PENDING, pk__in=pending).update(promoted_to_client=client)
    moved = Request.objects.filter(interest_id__in=pending, lead__isnull=True, client__isnull=True)
    moved.update(lead=lead, client=client, **({"matched_by": matched_by} if matched_by else {}))


def _already_promoted() -> DomainError:
    return DomainError("already_promoted", _("The interest is already promoted: a lead, or on the card of the person "
                                             "it came from."))


@dataclass(frozen=True)
class PromotedCard:
    """The card a promoted interest went to: a lead made from it, or the lead or client that already knew the person
    (`is_new` False: nothing was created, the interest's requests were attached there)."""

    lead: Lead | None
    client: Client | None
    is_new: bool


def promote_interest(*, interest: Interest, person: PersonFacts, by: User) -> PromotedCard:
    """A manager supplies what the interest lacked (a person's name, a direct contact): it becomes a lead, or part of
    the card of the person Leadflow already knows.

    The person is looked up as the intake looks up a repeat request (matching.find, then intake.pipeline.pick_card:
    a client first, then a lead in work, then the most recent one, a refused or converted lead included): when they
    are known, the interest's requests are attached to that card (with the person's other interests from the
    contacts given, as a lead made here takes them) and its owner is told, as for a repeat request
    (DOMAIN.md 8: two managers must not call the same person), and no lead is made.

    Otherwise the lead goes to the interest's team as it is now; one switched off since the interest came gets no new
    leads, so the lead goes where the intake would send the interest's submission today (intake.pipeline.team_now_for),
    as it sends a new lead whose team was switched off: to the next team, not refused (nothing waits in a dead
    team, and the person's request is not turned away because of how the company is organised). An interest of no
    team (none took leads when it came, a call to a line of no team) goes there too, not to no team while teams
    take leads; with no team taking leads at all it is a lead of no team, in everyone's pool, as the intake's new
    leads are then (a company that has set up no teams works that way)."""
    from leadflow.intake.pipeline import pick_card  # the intake builds on this module

    if interest.is_promoted:
        raise _already_promoted()
    if not (person.full_name and (person.phone or person.email)):
        raise InvalidInput({"__all__": [_("A lead needs a person's name and a phone or an e-mail.")]})
    with transaction.atomic():
        # Two managers promoting it at once: the second waits here for the first, then finds it done (SQLite's
        # writers queue at BEGIN IMMEDIATE already). Nothing else locks an interest, so no order to keep with cards.
        current = Interest.objects.select_for_update().filter(pk=interest.pk).first()
        if current is None:
            raise NotFound("interest")
        if current.is_promoted:
            raise _already_promoted()
        matching.lock_identity(person.keys())  # as the intake: a submission of the same person waits, then finds it
        _refuse_erased_person(person)
        touch = Touch(channel=interest.channel, source_id=interest.source_id, campaign_id=interest.campaign_id,
                      utm={"source": interest.utm_source, "medium": interest.utm_medium,
                           "campaign": interest.utm_campaign, "content": interest.utm_content,
                           "term": interest.utm_term},
                      referrer=interest.referrer, landing_page=interest.landing_page, visitor_id=interest.visitor_id)
        candidates = matching.find(person.keys())
        known_lead, known_client, matched_by = pick_card(candidates, lock=True)
        if known_lead is not None or known_client is not None:
            _attach_interest(interest=current, lead=known_lead, client=known_client, person=person, touch=touch,
                             matched_by=matched_by)
            interest.promoted_to_id = current.promoted_to_id
            interest.promoted_to_client_id = current.promoted_to_client_id
            return PromotedCard(lead=known_lead, client=known_client, is_new=False)
        # A known card takes the request whichever contact found it; a new lead needs one that reaches the person.
        _require_own_contact(Phone(e164=person.phone, extension=person.phone_ext), person.email,
                             company=person.company_name)
        team = interest.team if interest.team_id else _team_now_for(interest)
        lead = create_lead(person=person, touch=touch, team=team, message=interest.message, by=by,
                           possible_duplicate=any(c.card_type in (CardType.LEAD, CardType.CONTACT)
                                                  for c in candidates),
                           team_if_switched_off=lambda off: _team_now_for(interest, switched_off=off))
        # create_lead took it already when the person's contacts are the interest's own (its matching interests)
        if Interest.objects.filter(pk=interest.pk, promoted_to__isnull=True).update(promoted_to=lead):
            record_event("interest.promoted", interest_id=interest.pk, lead_id=lead.pk)
        interest.promoted_to_id = lead.pk
        Request.objects.filter(interest=interest, lead__isnull=True).update(lead=lead)
    return PromotedCard(lead=lead, client=None, is_new=True)


def _refuse_erased_person(person: PersonFacts) -> None:
    """A person erased at their request is not brought back by a promotion, as the intake does not take them back
    from anyone but themselves (intake.pipeline._erased_person: the same lookup of the same contacts): whether the
    manager typed the phone or e-mail or left the interest's own, or the interest's requests gave the Telegram
    account. Each hit on its field; nothing is changed."""
    from leadflow.privacy.models import TombstoneKind
    from leadflow.privacy.services import tombstones_for

    erased = {tombstone.kind for tombstone in tombstones_for(
        emails=[person.email] if person.email else [],
        phones=[(person.phone, person.phone_ext)] if person.phone else [],
        telegrams=person.messengers)}
    if not erased:
        return
    errors: dict[str, list[str]] = {}
    word = _("This contact belongs to a person whose data was erased at their request; only they may give it again, "
             "through a web form.")
    if TombstoneKind.PHONE in erased:
        errors["phone"] = [word]
    if TombstoneKind.EMAIL in erased:
        errors["email"] = [word]
    if TombstoneKind.TELEGRAM in erased:
        errors["__all__"] = [_("The interest's Telegram account belongs to a person whose data was erased at their "
                               "request: it is not made a lead or put on a card; only they may come back, through a "
                               "web form.")]
    raise PersonErased(errors)


class PersonErased(DomainError):
    """A promotion would bring back a person erased at their request (422, code `person_erased`, on the fields whose
    contact is theirs): the input is refused as a whole, nothing changes."""

    status = 422

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("person_erased", _("This person's data was erased at their request: a promotion does not "
                                            "bring them back."), fields=fields)


def _attach_interest(*, interest: Interest, lead: Lead | None, client: Client | None, person: PersonFacts,
                     touch: Touch, matched_by: str) -> None:
    """The interest's requests go to the card that knew the person, and its owner hears of them as of a repeat
    request (attach_request's word, task and event); `lead` was read under its lock by pick_card."""
    now = timezone.now()
    moved = Request.objects.filter(interest=interest, lead__isnull=True, client__isnull=True)
    newest = moved.order_by("-created_at", "-pk").first()
    moved.update(lead=lead, client=client, matched_by=matched_by)
    if lead is not None:
        Interest.objects.filter(pk=interest.pk).update(promoted_to=lead)
        interest.promoted_to = lead
    else:
        Interest.objects.filter(pk=interest.pk).update(promoted_to_client=client)
        interest.promoted_to_client = client
    if newest is None:  # an interest keeps its first request; one made by hand may have none
        newest = rows.create(Request, lead=lead, client=client, interest=interest, message=interest.message,
                             facts=_facts_dict(person), matched_by=matched_by, created_at=now, **touch.fields())
    else:
        newest.lead, newest.client = lead, client
    _tell_of_repeat(request=newest, lead=lead, client=client, person=person, channel=touch.channel,
                    matched_by=matched_by, now=now, locked=True)
    record_event("interest.promoted", interest_id=interest.pk, lead_id=lead.pk if lead else None,
                 client_id=client.pk if client else None, attached=True)
    # the person's other interests from these contacts too, as a lead made by the promotion takes them
    _promote_matching_interests(lead, person.keys(), client=client, attached=True, matched_by=matched_by)


def person_for_promotion(*, interest: Interest, name: str, phone: str = "", email: str = "",
                         position: str = "") -> PersonFacts:
    """What a manager typed to promote an interest, read as the intake reads it (the API and the page alike); a
    contact left empty is the interest's own. Each problem on its field, nothing half-read."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("The person's name: a lead is a concrete person.")]
    number = Phone(e164=interest.phone, extension=interest.phone_ext)
    if phone.strip():
        try:
            number = normalize.normalize_phone(phone, region=settings.LEADFLOW_DEFAULT_REGION)
        except normalize.NormalizationError as error:
            errors["phone"] = [str(error)]
    address = interest.email
    if email.strip():
        try:
            address = normalize.normalize_email(email)
        except normalize.NormalizationError as error:
            errors["email"] = [str(error)]
    if errors:
        raise InvalidInput(errors)
    parts = normalize.split_person_name(name)
    company = normalize.split_company(interest.company_name)
    return PersonFacts(
        last_name=parts.last, first_name=parts.first, middle_name=parts.middle, full_name=parts.full,
        company_name=company.name, legal_form=company.legal_form, position=position.strip(), phone=number.e164,
        phone_ext=number.extension, email=address,
        # Often the interest's only contact: a new card keeps it, a known card with none takes it (_tell_of_repeat).
        messengers=messengers_given(list(Request.objects.filter(interest=interest).order_by("pk"))),
    )


def _require_own_contact(number: Phone, address: str, *, company: str) -> None:
    """A new lead is reached directly (DOMAIN.md 1-2): as the intake's classifier, a company's main line without an
    extension (a switchboard, a toll-free number) or a role mailbox (info@) alone does not make one, whether the
    manager typed it or left the interest's own. Each on its field, with what would do instead."""
    direct_phone = bool(number.e164) and not normalize.is_company_line(
        normalize.number_type_of(number.e164), extension=number.extension, company=company)
    own_email = bool(address) and not normalize.is_role_mailbox(address)
    if not (number.e164 or address) or direct_phone or own_email:
        return
    errors: dict[str, list[str]] = {}
    if number.e164:
        errors["phone"] = [_("The company's main line reaches a switchboard, not the person: give their direct "
                             "number or extension, or their own e-mail.")]
    if address:
        errors["email"] = [_("A shared mailbox, not the person's own: give their own e-mail or direct phone.")]
    raise InvalidInput(errors)


@dataclass(frozen=True)
class Promotion:
    """Where an interest went, as its promoter is told: the card itself only when it is in their view."""

    visible: bool
    team_name: str
    notice: str
    is_new: bool = True  # False: attached to the card that already knew the person, no lead made
    card_name: str = ""  # the known card's name, when in their view


def promotion_seen_by(*, promoted: PromotedCard, interest: Interest, user: User) -> Promotion:
    """The promoter's answer (the API's and the page's): in their view, the card, and its team when that is not the
    interest's; otherwise only its team, nothing of who works it, so they are not left with a card that says "not
    found" and no word why (a manager sees the pool and their own leads and clients; a head, the teams they head)."""
    from leadflow.clients.querysets import clients_visible_to  # it imports leads' querysets

    card: Lead | Client = promoted.lead or promoted.client  # type: ignore[assignment]
    team_name = Team.objects.filter(pk=card.team_id).values_list("name", flat=True).first() or ""
    if not promoted.is_new:
        if promoted.lead is not None:
            visible = Lead.objects.visible_to(user).filter(pk=card.pk).exists()
            name = promoted.lead.full_name
            seen = _("The person was already a lead: the interest was attached to their existing card %(name)s, "
                     "and its owner was told. No new lead was made.")
        else:
            visible = clients_visible_to(user).filter(pk=card.pk).exists()
            name = promoted.client.name  # type: ignore[union-attr]
            seen = _("The person is already a client: the interest was attached to their existing card %(name)s, "
                     "and its owner was told. No new lead was made.")
        if visible:
            return Promotion(visible=True, team_name=team_name, notice=seen % {"name": name}, is_new=False,
                             card_name=name)
        return Promotion(visible=False, team_name=team_name, is_new=False, notice=_(
            "The person is already known: the interest was attached to their existing card in the team %(team)s, "
            "and its owner was told. No new lead was made; the card is not in your view, so it does not open for "
            "you.") % {"team": team_name or "—"})
    lead = promoted.lead
    if Lead.objects.visible_to(user).filter(pk=card.pk).exists():
        notice = ""
        if lead.team_id != interest.team_id:  # type: ignore[union-attr]
            notice = _("The lead went to the team %(team)s, where a new lead from this source goes today.") % {
                "team": team_name} if card.team_id else _(
                "No team takes new leads: the lead is in the pool of no team, which every manager sees.")
        return Promotion(visible=True, team_name=team_name, notice=notice)
    return Promotion(visible=False, team_name=team_name, notice=_(
        "The lead went to the team %(team)s and was given out by its routing; it is not in your view, so its card "
        "does not open for you.") % {"team": team_name or "—"})


def _team_now_for(interest: Interest, *, switched_off: Team | None = None) -> Team | None:
    """The team a lead promoted from `interest` goes to when the interest has none, or when its team, `switched_off`,
    was switched off since: where the intake would send the interest's submission today."""
    from leadflow.intake.models import Submission
    from leadflow.intake.pipeline import team_now_for  # the intake builds on this module

    submission = Submission.objects.filter(interest=interest).order_by("pk").first()
    return team_now_for(submission, switched_off=frozenset({switched_off.pk}) if switched_off else frozenset())


def _facts_dict(person: PersonFacts) -> dict[str, str]:
    return {k: v for k, v in person.__dict__.items() if v}


def route_lead(*, lead: Lead, now: datetime | None = None, by: User | None = None) -> None:
    """Route by the team's scheme and set the first task due within the team's speed-to-lead SLA."""
    now = now or timezone.now()
    decision = decide_owner(lead, now=now)
    due = _due_after_sla(lead.team, now)
    if lead.sla_due_at is None:  # a new card got it at insert (same clock); a lead routed later gets it now
        lead.sla_due_at, lead.sales_since = due, now
        Lead.objects.filter(pk=lead.pk).update(sla_due_at=due, sales_since=now)
    if decision.owner is not None:
        # A rule's choice, or the team's own scheme (least loaded, round robin) with no rule involved.
        _set_owner(lead, decision.owner, reason="rule" if decision.rule else "routing", by=by, now=now)
        User.objects.filter(pk=decision.owner.pk).update(routed_count=F("routed_count") + 1)
        _first_task(lead, assignee=decision.owner, due=due, by=by)
        return
    if decision.scheme == "manual":
        head = _head_of(lead)
        Task.objects.create(
            lead=lead, assignee=head, kind=TaskKind.ASSIGN, due_at=due, created_by=by,
            **system_text("title", gettext_noop("Assign a responsible person: %(name)s"), name=lead.full_name),
        )
        if head:
            notify(user=head, kind="lead.awaiting_assignment", lead=lead,
                   template=gettext_noop("New lead waits for assignment: %(name)s"), name=lead.full_name)
        record_event("lead.awaiting_assignment", lead_id=lead.pk, team_id=lead.team_id)
        return
    # Pool: the first task waits for whoever claims the lead; it is due on the same SLA clock.
    _first_task(lead, assignee=None, due=due, by=by)
    record_event("lead.pooled", lead_id=lead.pk, team_id=lead.team_id)


def _first_task(lead: Lead, *, assignee: User | None, due: datetime, by: User | None) -> Task:
    kind = TaskKind.EMAIL if lead.channel == "email" and not lead.phone else TaskKind.CALL
    template = gettext_noop("Answer the e-mail: %(name)s") if kind == TaskKind.EMAIL else gettext_noop(
        "Call the lead: %(name)s")
    return rows.create(Task, lead=lead, assignee=assignee, kind=kind, due_at=due, created_by=by,
                       **system_text("title", template, name=lead.full_name))


def attach_request(
    *,
    lead: Lead | None = None,
    client: Client | None = None,
    person: PersonFacts,
    touch: Touch,
    message: str = "",
    submission_id: int | None = None,
    matched_by: str = "",
    now: datetime | None = None,
    locked: bool = False,
) -> Request:
    """Attach a repeat touch to the card it belongs to and tell the card's owner (DOMAIN.md 8).

    `locked`: the lead was read by `locked_lead` in this transaction already (the pipeline's pick_card)."""
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        request = rows.create(
            Request, lead=lead, client=client, submission_id=submission_id, message=message, facts=_facts_dict(person),
            matched_by=matched_by, created_at=now, **touch.fields(),
        )
        _tell_of_repeat(request=request, lead=lead, client=client, person=person, channel=touch.channel,
                        matched_by=matched_by, now=now, locked=locked)
    return request


def _tell_of_repeat(*, request: Request, lead: Lead | None, client: Client | None, person: PersonFacts, channel: str,
                    matched_by: str, now: datetime, locked: bool) -> None:
    """What a request attached to a known card brings: the card learns the person's contacts, its owner (or the head
    of a card nobody owns) is told and given a task when none is open, and the event is recorded."""
    card_type, card_id = (CardType.LEAD, lead.pk) if lead else (CardType.CONTACT, client.contact_id)
    if card_id:
        matching.register_keys(card_type=card_type, card_id=card_id, facts=person.keys())
    if lead is not None:
        lead = lead if locked else _lock(lead)
        filled: list[str] = []  # the card's empty contact fields the request fills, in one write
        if not lead.email and person.email:
            lead.email = person.email
            filled.append("email")
        if not lead.phone and person.phone:
            lead.phone, lead.phone_ext = person.phone, person.phone_ext
            filled += ["phone", "phone_ext"]
        if not lead.telegram and person.messengers:  # as the first request's account fills a new card
            lead.telegram = person.messengers[0]
            filled.append("telegram")
        if filled:
            lead.save(update_fields=[*filled, "updated_at"])
    card: Lead | Client = lead or client  # type: ignore[assignment]
    owner = card.owner if card.owner_id else (_head_of(lead) if lead else None)
    name = lead.full_name if lead else client.name  # type: ignore[union-attr]
    if owner is not None:
        notify(user=owner, kind="request.attached", lead=lead, client=client,
               template=gettext_noop("New request from %(name)s (%(channel)s)"), name=name,
               channel=Channel(channel).label if channel in Channel.values else channel)
        if not Task.objects.open().filter(lead=lead, client=client).exists():
            rows.create(
                Task, lead=lead, client=client, assignee=card.owner, kind=TaskKind.CALLBACK,
                **system_text("title", gettext_noop("Answer the new request: %(name)s"), name=name),
                due_at=_due_after_sla(card.team, now),
            )
    record_event("request.attached", request_id=request.pk, lead_id=lead.pk if lead else None,
                 client_id=client.pk if client else None, owner_id=card.owner_id, matched_by=matched_by)


def keep_first_request(*, client: Client, person: PersonFacts, touch: Touch, message: str = "",
                       submission_id: int | None = None, now: datetime | None = None) -> Request:
    """The touch that made a client without a lead (a client row of an import), kept as the client's request, so
    what its contact does not hold is on the card: the row's comment, a company's phone, a contact kept as given.

    No task and no notification (unlike attach_request): nobody is waiting, the import gave the client its owner."""
    return rows.create(Request, client=client, submission_id=submission_id, message=message,
                       facts=_facts_dict(person), created_at=now or timezone.now(), **touch.fields())


def create_interest(
    *, name: str, person: PersonFacts, touch: Touch, reason: str, team: Any, message: str = "",
    submission_id: int | None = None, now: datetime | None = None,
    team_if_switched_off: Callable[[Team], Team | None] | None = None,
) -> Interest:
    """Keep attention that is not yet a lead, with why, so it can be promoted later.

    Its team is read now, as a lead's is (`team_as_now`): one switched off since the caller found it is replaced by
    `team_if_switched_off`, so the interest is not left with a team that works no leads."""
    now = now or timezone.now()
    team = team_as_now(team, team_if_switched_off)
    with transaction.atomic():
        interest = Interest.objects.create(
            name=name, company_name=person.company_name, phone=person.phone, phone_ext=person.phone_ext,
            email=person.email, message=message, reason=reason, team=team, created_at=now, **touch.fields(),
        )
        Request.objects.create(interest=interest, submission_id=submission_id, message=message,
                               facts=_facts_dict(person), created_at=now, **touch.fields())
        matching.register_keys(card_type=CardType.INTEREST, card_id=interest.pk, facts=person.keys())
        record_event("interest.created", interest_id=interest.pk, reason=reason)
    return interest


EDITABLE_FIELDS = (
    "last_name", "first_name", "middle_name", "company_name", "legal_form", "position", "phone", "phone_ext",
    "email", "city", "product_interest", "deal_type", "temperature", "company_size", "telegram",
)


def update_lead(*, lead: Lead, changes: dict[str, str], by: User) -> Lead:
    """Edit a lead's key fields; each change is audited and new contacts are indexed for matching.

    `changes` holds already-normalised values (the API normalises phones and e-mails first).
    """
    _require_not_erased(lead=lead, client=None)  # typing an erased person back in would undo the erasure
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput({name: [_("This field cannot be edited.")] for name in sorted(unknown)})
    if "temperature" in changes:
        # Through warming's service: a manager making a lead hot hands it to sales like points do.
        from leadflow.warming.services import set_temperature

        changes = dict(changes)
        temperature = changes.pop("temperature")
        with transaction.atomic():
            _require_manage(_lock(lead), by)
            set_temperature(lead, temperature, by=by, reason="manual")
            return update_lead(lead=lead, changes=changes, by=by) if changes else _lock(lead)
    with transaction.atomic():
        lead = _lock(lead)
        _require_manage(lead, by)
        changed = [name for name, value in changes.items() if getattr(lead, name) != value]
        if not changed:
            return lead
        _refuse_erased_contacts(lead, changes, changed)
        for name in changed:
            _audit(lead=lead, field=name, old=getattr(lead, name), new=changes[name], by=by)
            setattr(lead, name, changes[name])
        if {"last_name", "first_name", "middle_name"} & set(changed):
            lead.full_name = " ".join(p for p in (lead.last_name, lead.first_name, lead.middle_name) if p)
            changed.append("full_name")
        if not (lead.full_name and (lead.phone or lead.email)):
            raise InvalidInput({"__all__": [_("A lead keeps a name and at least one contact.")]})
        # Only what this edit changes is checked: a value that came in through the pipeline (a landing page the
        # URL check dislikes) must not lock the card against every later edit.
        untouched = [f.name for f in Lead._meta.concrete_fields if f.name not in changed]
        try:
            lead.full_clean(exclude=untouched, validate_unique=False)
        except ValidationError as error:
            raise InvalidInput({name: list(problems) for name, problems in error.message_dict.items()}) from None
        lead.save(update_fields=[*changed, "updated_at"])
        facts = matching.facts_of_lead(lead)
        if {"last_name", "first_name", "middle_name", "company_name", "city"} & set(changed):
            matching.replace_keys(card_type=CardType.LEAD, card_id=lead.pk, facts=facts)
        else:
            matching.register_keys(card_type=CardType.LEAD, card_id=lead.pk, facts=facts)
        record_event("lead.updated", lead_id=lead.pk, fields=sorted(changed))
    return lead


def _refuse_erased_contacts(lead: Lead, changes: dict[str, str], changed: list[str]) -> None:
    """A phone, e-mail or Telegram account typed into the card that belongs to a person erased at their request is
    refused, naming the field: it would bring them back (privacy.services.refuse_erased_contacts)."""
    from leadflow.privacy.services import refuse_erased_contacts

    contacts = {}
    if "email" in changed:
        contacts["email"] = changes["email"]
    if {"phone", "phone_ext"} & set(changed) and changes.get("phone", lead.phone):
        contacts["phone"] = phone_text(Phone(changes.get("phone", lead.phone),
                                             changes.get("phone_ext", lead.phone_ext)))
    if "telegram" in changed:
        contacts["telegram"] = changes["telegram"]
    refuse_erased_contacts(**contacts)


def add_other_contact(*, lead: Lead, contact: str, by: User) -> str:
    """Put a contact the person gave in a request on the card: the card's phone or e-mail when it has none,
    else one of its other contacts. Audited; the contact is one of the card's identity keys from then on.

    `contact` is a phone as the requests keep it (E.164, " ext. N") or an e-mail; returns the field it went to."""
    _require_not_erased(lead=lead, client=None)  # typing an erased person back in would undo the erasure
    from leadflow.privacy.services import refuse_erased_contacts

    value = one_contact(contact)
    refuse_erased_contacts(contact=value)  # another person's erased contact would bring them back
    is_email = "@" in value
    with transaction.atomic():
        lead = _lock(lead)
        _require_manage(lead, by)
        main = lead.email if is_email else lead.phone_text
        if value == main or value in lead.other_contacts:
            raise InvalidInput({"contact": [_("The card has this contact already.")]})
        if not main:
            field_name = "email" if is_email else "phone"
            if is_email:
                _audit(lead=lead, field="email", old="", new=value, by=by)
                lead.email = value
                changed = ["email"]
            else:
                number, extension = split_phone_text(value)
                _audit(lead=lead, field="phone", old="", new=number, by=by)
                _audit(lead=lead, field="phone_ext", old=lead.phone_ext, new=extension, by=by)
                lead.phone, lead.phone_ext = number, extension
                changed = ["phone", "phone_ext"]
        else:
            field_name = "other_contacts"
            _audit(lead=lead, field="other_contacts", old="", new=value, by=by)
            lead.other_contacts = [*lead.other_contacts, value]
            changed = ["other_contacts"]
        lead.save(update_fields=[*changed, "updated_at"])
        matching.register_keys(card_type=CardType.LEAD, card_id=lead.pk, facts=matching.facts_of_lead(lead))
        record_event("lead.updated", lead_id=lead.pk, fields=changed)
    return field_name


def check_email(*, lead: Lead, by: User) -> Lead:
    """A manager checked the card's e-mail and it is right as typed: the card stops suggesting another. Audited."""
    with transaction.atomic():
        lead = _lock(lead)
        _require_manage(lead, by)
        if not lead.email:
            raise InvalidInput({"email": [_("The card has no e-mail to check.")]})
        if lead.email_checked == lead.email:
            return lead
        _audit(lead=lead, field="email_checked", old=lead.email_checked, new=lead.email, by=by)
        lead.email_checked = lead.email
        lead.save(update_fields=["email_checked", "updated_at"])
    return lead


# ---------------------------------------------------------------- ownership


def _set_owner(lead: Lead, owner: User | None, *, reason: str, by: User | None, now: datetime) -> None:
    old = lead.owner
    lead.owner = owner
    lead.assigned_at = now if owner else None
    lead.save(update_fields=["owner", "assigned_at", "updated_at"])
    OwnerChange.objects.create(lead=lead, from_owner=old, to_owner=owner, reason=reason, changed_by=by,
                               changed_at=now)
    # Open tasks follow the card to its new owner, except the head's own assignment task; the day's reminder went
    # to the old owner, so the new one is reminded afresh (remind_due_tasks).
    Task.objects.open().filter(lead=lead).exclude(kind=TaskKind.ASSIGN).exclude(assignee=owner).update(
        assignee=owner, reminded_at=None)
    if owner is not None:
        Task.objects.open().filter(lead=lead, kind=TaskKind.ASSIGN).update(
            completed_at=now, **system_result_fields(gettext_noop("Assigned to %(name)s"), name=owner.display_name())
        )
        if by is None or owner.pk != by.pk:
            notify(user=owner, kind="lead.assigned", lead=lead,
                   template=gettext_noop("Lead assigned to you: %(name)s"), name=lead.full_name)
    record_event("lead.assigned", lead_id=lead.pk, owner_id=owner.pk if owner else None,
                 previous_owner_id=old.pk if old else None, reason=reason)


def claim_lead(*, lead: Lead, by: User) -> Lead:
    """Take a pooled lead; of many managers claiming at once exactly one wins."""
    if not (by.role in (Role.MANAGER, Role.HEAD) or by.is_admin):
        raise Forbidden(_("Only managers may claim leads."))
    # A team's pool is its people's, and its head's (Team.head, who sees it and may assign to themselves): a head of
    # a team they are not a member of claims from it as from their own.
    if not by.is_admin and lead.team_id and lead.team_id != by.team_id and not (
            by.role == Role.HEAD and lead.team_id in headed_team_ids(by)):
        raise Forbidden(_("The lead belongs to another team's pool."))
    now = timezone.now()
    with transaction.atomic():
        # The database settles the race: the UPDATE only matches while the lead is still unowned.
        won = Lead.objects.filter(pk=lead.pk, owner__isnull=True, state=LeadState.OPEN).update(
            owner=by, assigned_at=now, updated_at=now
        )
        if not won:
            current = Lead.objects.select_related("owner").get(pk=lead.pk)
            if current.owner_id == by.pk:
                return current
            if current.owner_id:
                # Lost the race: who won is said only to one who may see the lead now (its team's head, an
                # admin); to a manager it is gone from their pool like any lead they cannot see.
                if not Lead.objects.visible_to(by).filter(pk=lead.pk).exists():
                    raise NotFound("lead")
                raise DomainError(
                    "already_claimed",
                    _("%(name)s claimed this lead first.") % {"name": current.owner.display_name()},
                )
            _require_open(current)
        lead = _lock(lead)
        OwnerChange.objects.create(lead=lead, from_owner=None, to_owner=by, reason="claim", changed_by=by,
                                   changed_at=now)
        Task.objects.open().filter(lead=lead).exclude(kind=TaskKind.ASSIGN).update(assignee=by, reminded_at=None)
        Task.objects.open().filter(lead=lead, kind=TaskKind.ASSIGN).update(
            completed_at=now, **system_result_fields(gettext_noop("Claimed by %(name)s"), name=by.display_name())
        )
        record_event("lead.assigned", lead_id=lead.pk, owner_id=by.pk, previous_owner_id=None, reason="claim")
    return lead


def assign_lead(*, lead: Lead, to: User, by: User) -> Lead:
    """The head of sales (or an admin) gives a lead to a manager, or moves it to another one."""
    with transaction.atomic():
        lead = _lock(lead)
        if not _is_head_or_admin(by, lead):
            raise Forbidden(_("Only the head of sales or an admin may assign leads."))
        if not to.is_active or to.role not in (Role.MANAGER, Role.HEAD):
            raise InvalidInput({"owner_id": [_("Not an active manager.")]})
        if not by.is_admin and lead.team_id and to.team_id != lead.team_id and to.pk != by.pk:
            raise InvalidInput({"owner_id": [_("The manager is not in the lead's team.")]})
        if lead.state in (LeadState.CONVERTED,):
            _require_open(lead)
        if lead.owner_id == to.pk:
            return lead
        _set_owner(lead, to, reason="reassign" if lead.owner_id else "assign", by=by, now=timezone.now())
    return lead


def assign_client(*, client: Client, to: User, by: User) -> Client:
    """The head of the client's team (or an admin) gives the client to another manager of that team.

    The head rebalances the load (DOMAIN.md 12) for clients as for leads: the client's open tasks that were the
    old owner's go with it, and are reminded afresh to the new one; tasks given to someone else stay theirs."""
    if not (by.is_admin or (by.role == Role.HEAD and can_manage_client(client, by))):
        raise Forbidden(_("Only the head of the client's team or an admin may give the client to someone else."))
    if not works_clients(to):
        raise InvalidInput({"owner_id": [_("Not an active manager.")]})
    if not in_client_team(client, to):
        raise InvalidInput({"owner_id": [_("%(name)s is not in the client's team (%(team)s).")
                                         % {"name": to.display_name(), "team": client.team}]})
    with transaction.atomic():
        client = Client.objects.select_for_update(of=("self",)).select_related("owner", "contact").get(pk=client.pk)
        _require_not_erased(lead=None, client=client)
        old = client.owner
        if old is not None and old.pk == to.pk:
            return client
        client.owner = to
        client.save(update_fields=["owner"])
        if client.contact is not None and (client.contact.owner_id is None or client.contact.owner_id == getattr(
                old, "pk", None)):
            client.contact.owner = to
            client.contact.save(update_fields=["owner"])
        moved = Task.objects.open().filter(client=client)
        moved = moved.filter(assignee=old) if old is not None else moved.filter(assignee__isnull=True)
        moved.update(assignee=to, reminded_at=None)
        _audit(client=client, field="owner", old=old.pk if old else "", new=to.pk, by=by)  # shown by name
        if to.pk != by.pk:
            notify(user=to, kind="client.assigned", client=client,
                   template=gettext_noop("New client for you: %(name)s"), name=client.name)
        record_event("client.assigned", client_id=client.pk, owner_id=to.pk,
                     previous_owner_id=old.pk if old else None)
    return client


# ---------------------------------------------------------------- stages and outcomes


def change_stage(*, lead: Lead, stage: Stage, by: User) -> Lead:
    """Move an open lead along the pipeline; won and lost are reached by convert and refuse."""
    with transaction.atomic():
        lead = _lock(lead)
        _require_manage(lead, by)
        _require_open(lead)
        if stage.kind != StageKind.OPEN:
            raise InvalidInput({"stage": [_("Use convert or refuse to close a lead.")]})
        if lead.stage_id == stage.pk:
            return lead
        old = lead.stage
        lead.stage = stage
        lead.save(update_fields=["stage", "updated_at"])
        _record_stage(lead, old_stage=old, old_state=lead.state, by=by)
        _audit(lead=lead, field="stage", old=old.code, new=stage.code, by=by)
        record_event("lead.stage_changed", lead_id=lead.pk, from_stage=old.code, to_stage=stage.code)
        if stage.is_qualified and not old.is_qualified:
            # Moved on the board past the qualified line: the same fact as qualify_lead (partner postbacks).
            record_event("lead.qualified", lead_id=lead.pk)
    return lead


def qualify_lead(*, lead: Lead, by: User) -> Lead:
    """Mark a lead sales-qualified: move it to the first qualified stage."""
    stage = Stage.objects.filter(kind=StageKind.OPEN, is_qualified=True).order_by("position").first()
    if stage is None:
        raise DomainError("stage_missing", _("No qualified stage is configured."))
    if lead.stage.is_qualified:
        return lead
    return change_stage(lead=lead, stage=stage, by=by)  # records lead.qualified


def refuse_lead(*, lead: Lead, reason: LostReason, note: str = "", by: User) -> Lead:
    """Mark a lead refused with a reason; it is never deleted (DOMAIN.md 14)."""
    with transaction.atomic():
        lead = _lock(lead)
        _require_manage(lead, by)
        if lead.state not in (LeadState.OPEN, LeadState.DEFERRED):
            _require_open(lead)
        old_stage, old_state = lead.stage, lead.state
        lead.state = LeadState.REFUSED
        lead.stage = _stage_of_kind(StageKind.LOST)
        lead.lost_reason = reason
        lead.lost_note = note
        lead.refused_at = timezone.now()
        lead.deferred_until = None
        lead.save(update_fields=["state", "stage", "lost_reason", "lost_note", "refused_at", "deferred_until",
                                 "updated_at"])
        _record_stage(lead, old_stage=old_stage, old_state=old_state, by=by)
        _audit(lead=lead, field="state", old=old_state, new=lead.state, by=by)
        Task.objects.open().filter(lead=lead).update(completed_at=lead.refused_at, result=_("Lead refused"),
                                                     is_cancelled=True)
        Activity.objects.create(lead=lead, kind=ActivityKind.SYSTEM, author=by, body=note,
                                **system_text("subject", gettext_noop("Refused: %(reason)s"),
                                              reason=seeded_name(reason.name)))
        record_event("lead.refused", lead_id=lead.pk, reason=reason.name)
    return lead


def defer_lead(*, lead: Lead, until: date, note: str = "", by: User) -> Lead:
    """Put a lead aside until a date; a task to return to it is due that morning."""
    if until <= timezone.localdate():
        raise InvalidInput({"until": [_("The date must be in the future.")]})
    with transaction.atomic():
        lead = _lock(lead)
        _require_manage(lead, by)
        _require_open(lead)
        old_state = lead.state
        lead.state = LeadState.DEFERRED
        lead.deferred_until = until
        lead.save(update_fields=["state", "deferred_until", "updated_at"])
        _record_stage(lead, old_stage=lead.stage, old_state=old_state, by=by)
        _audit(lead=lead, field="state", old=old_state, new=lead.state, by=by)
        calendar = team_calendar(lead.team, user=lead.owner)
        # Back on that date's working day, or the first working day after it (a return set for 1 January).
        due = calendar.opens(calendar.first_working_day(until))
        Task.objects.open().filter(lead=lead).update(completed_at=timezone.now(), result=_("Lead deferred"),
                                                     is_cancelled=True)
        Task.objects.create(lead=lead, assignee=lead.owner or by, kind=TaskKind.FOLLOW_UP, due_at=due, created_by=by,
                            **system_text("title", gettext_noop("Time to call again: %(name)s"), name=lead.full_name))
        Activity.objects.create(lead=lead, kind=ActivityKind.SYSTEM, author=by, body=note,
                                **system_text("subject", gettext_noop("Deferred until %(date)s"),
                                              date=until))
        record_event("lead.deferred", lead_id=lead.pk, until=until.isoformat())
    return lead


def reopen_lead(*, lead: Lead, by: User | None) -> Lead:
    """Bring a refused or deferred lead back into work."""
    with transaction.atomic():
        lead = _lock(lead)
        if by is not None:
            _require_manage(lead, by)
        if lead.state not in (LeadState.REFUSED, LeadState.DEFERRED):
            raise DomainError("lead_not_closed", _("Only refused or deferred leads can be reopened."))
        old_stage, old_state = lead.stage, lead.state
        lead.state = LeadState.OPEN
        if lead.stage.kind != StageKind.OPEN:
            lead.stage = initial_stage()
        lead.deferred_until = None
        lead.save(update_fields=["state", "stage", "deferred_until", "updated_at"])
        _record_stage(lead, old_stage=old_stage, old_state=old_state, by=by)
        _audit(lead=lead, field="state", old=old_state, new=lead.state, by=by)
        if not Task.objects.open().filter(lead=lead).exists():
            # Refusing closed every task: without a new one the lead would be open in nobody's task list.
            Task.objects.create(
                lead=lead, assignee=lead.owner, kind=TaskKind.FOLLOW_UP, created_by=by,
                due_at=_due_after_sla(lead.team, timezone.now()),
                **system_text("title", gettext_noop("Time to call again: %(name)s"), name=lead.full_name))
        record_event("lead.reopened", lead_id=lead.pk)
    return lead


@dataclass
class FirstTask:
    """The client's first task as the converter sets it; what is left empty takes the default ("Call the new
    client" for the client's owner, due at the start of the team's next working day)."""

    title: str = ""
    due_at: datetime | None = None


@dataclass
class CompanyFacts:
    name: str = ""
    legal_form: str = ""
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""
    legal_address: str = ""


def convert_lead(*, lead: Lead, by: User, company: CompanyFacts | None = None, owner: User | None = None,
                 first_task: FirstTask | None = None) -> Client:
    """Create Client + Contact (+ Company) from a lead, linked both ways (DOMAIN.md 13).

    The client gets its first task for its owner (DOMAIN.md 11), so a new client is in someone's task list from
    the start: the converter's `first_task`, or "Call the new client" on the team's next working day."""
    _require_not_erased(lead=lead, client=None)  # an erased person is no one to sell to
    if first_task is not None and first_task.due_at is not None:
        first_task = replace(first_task, due_at=due_ahead(first_task.due_at, field="first_task_due_at", by=by))
    with transaction.atomic():
        lead = _lock(lead)
        _require_manage(lead, by)
        if lead.state == LeadState.CONVERTED:
            raise DomainError("already_converted", _("The lead is already converted."))
        if lead.state != LeadState.OPEN:
            _require_open(lead)
        owner = owner or lead.owner or by
        if owner != lead.owner and not (by.is_admin or by.role == Role.HEAD or owner == by):
            raise Forbidden(_("Only the head of sales may convert to another owner."))
        company_row = _company_for(company, lead=lead, owner=owner)
        # Every contact the person gave follows them: the card's other ones, its requests' "Also gave" and what
        # could not be read (kept as given); the client card shows no request of the lead.
        others, as_given = carried_to_client(lead)
        contact = Contact.objects.create(
            company=company_row, last_name=lead.last_name, first_name=lead.first_name,
            middle_name=lead.middle_name, full_name=lead.full_name, position=lead.position, phone=lead.phone,
            phone_ext=lead.phone_ext, email=lead.email, telegram=lead.telegram, owner=owner,
            email_checked=lead.email_checked if lead.email_checked == lead.email else "",
            other_contacts=others, unreadable_contacts=as_given,
        )
        matching.move_keys(from_type=CardType.LEAD, from_id=lead.pk, to_type=CardType.CONTACT, to_id=contact.pk)
        matching.register_keys(card_type=CardType.CONTACT, card_id=contact.pk, facts=matching.contact_facts(others))
        client = Client.objects.create(
            name=str(company_row) if company_row else lead.full_name, company=company_row, contact=contact,
            owner=owner, team=lead.team, lead=lead,
        )
        for value in others:
            _audit(client=client, field="other_contacts", old="", new=value, by=by)
        for entry in as_given:
            _audit(client=client, field="unreadable_contacts", old="", new=entry["value"], by=by)
        now = timezone.now()
        old_stage, old_state = lead.stage, lead.state
        lead.state = LeadState.CONVERTED
        lead.stage = _stage_of_kind(StageKind.WON)
        lead.converted_at = now
        lead.save(update_fields=["state", "stage", "converted_at", "updated_at"])
        _record_stage(lead, old_stage=old_stage, old_state=old_state, by=by)
        _audit(lead=lead, field="state", old=old_state, new=lead.state, by=by)
        carried = _carry_tasks_to_client(lead, client, by=by, now=now)
        Task.objects.open().filter(lead=lead).update(completed_at=now, result=_("Converted into a client"),
                                                     is_cancelled=True)
        Activity.objects.create(lead=lead, kind=ActivityKind.SYSTEM, author=by,
                                **system_text("subject", gettext_noop("Converted into a client")))
        # A step a person agreed ("call on Thursday about the contract") is the client's next step: the generic
        # "Call the new client" is added only when the converter set a first task or nothing was carried over.
        if (first_task is not None and (first_task.title.strip() or first_task.due_at is not None)) or not carried:
            _first_client_task(client, first_task or FirstTask(), by=by, now=now)
        if owner != by:
            notify(user=owner, kind="client.assigned", client=client,
                   template=gettext_noop("New client for you: %(name)s"), name=client.name)
        record_event("lead.converted", lead_id=lead.pk, client_id=client.pk, owner_id=owner.pk)
    return client


MOVED_TO_CLIENT = system_result(gettext_noop("Moved to the client"))


def _carry_tasks_to_client(lead: Lead, client: Client, *, by: User, now: datetime) -> list[Task]:
    """The lead's open tasks a person wrote, continued on the client card (the lead's copy closed as moved).

    Tasks Leadflow wrote for the lead ("Call the lead", "Assign a responsible person", a deferral's return) are
    done with by the conversion and are closed as before. A task keeps its assignee when they work in the client's
    team; otherwise it goes to the client's owner, who must not lose a step a colleague agreed."""
    carried = []
    owner = client.owner or by
    for task in Task.objects.open().filter(lead=lead, text_key="").exclude(kind=TaskKind.ASSIGN).select_related(
            "assignee"):
        assignee = task.assignee if task.assignee is not None and task.assignee.is_active and in_client_team(
            client, task.assignee) else owner
        moved = Task.objects.create(client=client, assignee=assignee, kind=task.kind, title=task.title,
                                    due_at=task.due_at, created_by=task.created_by, previous=task,
                                    created_at=task.created_at)
        task.completed_at, task.is_cancelled = now, True
        task.result = _(MOVED_TO_CLIENT)
        task.save(update_fields=["completed_at", "is_cancelled", "result"])
        record_event("task.created", task_id=moved.pk, lead_id=None, client_id=client.pk)
        carried.append(moved)
    return carried


def _first_client_task(client: Client, first: FirstTask, *, by: User, now: datetime) -> Task:
    owner = client.owner or by
    due_at = first.due_at or next_working_day_start(now, team_calendar(client.team, user=owner))
    if first.title.strip():
        title: dict[str, Any] = {"title": first.title.strip()[:255]}
    else:
        title = system_text("title", gettext_noop("Call the new client: %(name)s"), name=client.name)
    task = Task.objects.create(client=client, assignee=owner, kind=TaskKind.CALL, due_at=due_at, created_by=by,
                               **title)
    record_event("task.created", task_id=task.pk, lead_id=None, client_id=client.pk)
    return task


def _company_for(facts: CompanyFacts | None, *, lead: Lead, owner: User) -> Company | None:
    """Reuse the company with the same INN (INN equality decides), otherwise create it."""
    if facts is None and not lead.company_name:
        return None
    facts = facts or CompanyFacts(name=lead.company_name, legal_form=lead.legal_form)
    # "7707 083893": the separators people group the digits with are not part of the number.
    facts = replace(facts, inn=clean_number(facts.inn), kpp=clean_number(facts.kpp), ogrn=clean_number(facts.ogrn))
    if facts.inn:
        existing = Company.objects.filter(inn=facts.inn).first()
        if existing:
            return existing
    company = Company(name=facts.name or lead.company_name, legal_form=facts.legal_form or lead.legal_form,
                      inn=facts.inn, kpp=facts.kpp, ogrn=facts.ogrn, legal_address=facts.legal_address,
                      city=lead.city, owner=owner)
    if not company.name:
        raise InvalidInput({"company.name": [_("A company needs a name.")]})
    try:
        company.full_clean()
    except ValidationError as error:  # named as the caller gave them: the company's fields
        raise InvalidInput({f"company.{name}": [str(m) for m in messages]
                            for name, messages in error.message_dict.items()}) from error
    company.save()
    if company.inn:
        matching.register_keys(card_type=CardType.COMPANY, card_id=company.pk,
                               facts=matching.Facts(inn=company.inn, company=company.name))
    return company


# ---------------------------------------------------------------- tasks and timeline

# A browser's or a partner's clock a little behind ours: "now" typed a minute ago is not the past.
DUE_GRACE = timedelta(minutes=1)
# The field a due time came in, as its form names it: the error says which one was in the past.
DUE_FIELDS = {
    "due_at": gettext_noop("Due"), "next_due_at": gettext_noop("Next task due"),
    "first_task_due_at": gettext_noop("First task due"),
}


def due_ahead(due_at: datetime, *, field: str, by: User | None, now: datetime | None = None) -> datetime:
    """The due time of a new task, refused when it has passed (InvalidInput naming `field`).

    "Last Thursday" typed for "next Thursday" would make a task overdue at birth and count in the overdue
    figures. A minute of clock skew is allowed. A date given without a time ("2026-11-27", read as its midnight
    in the sender's zone) means that day, today's included: due when the sender's working day closes (at the
    day's end once today's has closed), not at the midnight that starts it, which would make "call on Thursday"
    overdue all Thursday. Tasks already set are not checked again: an overdue task stays as it is."""
    now = now or timezone.now()
    zone = ZoneInfo(zone_name_of(by)) if by is not None else timezone.get_current_timezone()
    local = due_at.astimezone(zone)
    today = now.astimezone(zone).date()
    if local.date() >= today and local.time() == time.min:
        day = local.date()
        closes = team_calendar(getattr(by, "team", None), user=by).closes(day)
        end_of_day = datetime.combine(day, time(23, 59), tzinfo=zone)
        return min(closes, end_of_day) if closes > now else end_of_day
    if due_at < now - DUE_GRACE:
        shown = date_format(local.replace(tzinfo=None), "SHORT_DATETIME_FORMAT")
        raise InvalidInput({field: [_("%(field)s: %(due)s has already passed; a new task must be due from now on.")
                                    % {"field": _(DUE_FIELDS[field]), "due": shown}]})
    return due_at


def create_task(
    *, lead: Lead | None = None, client: Client | None = None, assignee: User | None, title: str,
    due_at: datetime, kind: str = TaskKind.OTHER, by: User, previous: Task | None = None,
) -> Task:
    """Add a task to a lead's or a client's card (the head of sales can add tasks to anyone in the team).

    Every field's problem is named at once (the title, a due time in the past, an assignee who may not take it),
    so the form comes back with all of them, not one per try."""
    if (lead is None) == (client is None):
        raise InvalidInput({"__all__": [_("A task belongs to one lead or one client.")]})
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("A task needs a title.")]
    try:
        due_at = due_ahead(due_at, field="due_at", by=by)
    except InvalidInput as error:
        errors.update(error.fields)
    given_to_another = assignee is not None and assignee.pk != by.pk
    if client is not None and assignee is not None and given_to_another and not works_clients(assignee):
        errors["assignee"] = [_("%(name)s does not work with clients: give the task to a manager or a head of "
                                "sales.") % {"name": assignee.display_name()}]
    elif client is not None and assignee is not None and given_to_another and not in_client_team(client, assignee):
        errors["assignee"] = [_("%(name)s is not in the client's team (%(team)s): give the task to someone of that "
                                "team.") % {"name": assignee.display_name(), "team": client.team}]
    elif (lead is not None and assignee is not None and given_to_another
            and not Lead.objects.visible_to(assignee).filter(pk=lead.pk).exists()):
        # They would get the task in My tasks and a 404 on the card: a lead is worked by whoever may open it.
        errors["assignee"] = [_("%(name)s cannot open this lead: assign the lead to them first, or give the task to "
                                "someone who works it.") % {"name": assignee.display_name()}]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        _require_not_erased(lead=lead, client=client)
        task = Task.objects.create(lead=lead, client=client, assignee=assignee or by, title=title.strip(), kind=kind,
                                   due_at=due_at, created_by=by, previous=previous)
        if task.assignee_id and task.assignee_id != by.pk:
            notify(user=task.assignee, kind="task.assigned", lead=lead, client=client,
                   template=gettext_noop("New task: %(title)s"), title=task.title_text)
        record_event("task.created", task_id=task.pk, lead_id=lead.pk if lead else None,
                     client_id=client.pk if client else None)
    return task


def complete_task(
    *, task: Task, result: str, by: User, next_title: str = "", next_due_at: datetime | None = None,
    next_kind: str = TaskKind.CALL,
) -> Task | None:
    """Finish a task with its result and, usually, set the next one (a call agreed for Thursday)."""
    if not result.strip():
        raise InvalidInput({"result": [_("Say what came of it.")]})
    if bool(next_title.strip()) != (next_due_at is not None):
        raise InvalidInput({"next_due_at" if next_title.strip() else "next_title":
                            [_("The next task needs both a title and a due time.")]})
    if next_due_at is not None:
        next_due_at = due_ahead(next_due_at, field="next_due_at", by=by)
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.completed_at is not None:
            raise DomainError("task_done", _("The task is already completed."))
        task.completed_at = timezone.now()
        task.result = result.strip()
        task.save(update_fields=["completed_at", "result"])
        record_event("task.completed", task_id=task.pk, lead_id=task.lead_id, client_id=task.client_id)
        if next_due_at is None:
            return None
        # The next step stays with whoever had this one; a head closing the task of someone who has left takes
        # the next one, which would otherwise wait in the list of a person who no longer logs in.
        keeps = task.assignee if task.assignee is not None and task.assignee.is_active else by
        return create_task(lead=task.lead, client=task.client, assignee=keeps, title=next_title,
                           due_at=next_due_at, kind=next_kind, by=by, previous=task)


CONTACT_KINDS = {ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING}


def log_activity(
    *, lead: Lead | None = None, client: Client | None = None, kind: str, by: User, subject: str = "",
    body: str = "", duration_seconds: int | None = None, occurred_at: datetime | None = None,
) -> Activity:
    """Log a call, e-mail, meeting, proposal or note on a card's timeline."""
    if kind not in ActivityKind.values or kind == ActivityKind.SYSTEM:
        raise InvalidInput({"kind": [_("Unknown activity kind.")]})
    if (lead is None) == (client is None):
        raise InvalidInput({"__all__": [_("An activity belongs to one lead or one client.")]})
    with transaction.atomic():
        _require_not_erased(lead=lead, client=client)
        activity = Activity.objects.create(
            lead=lead, client=client, kind=kind, subject=subject, body=body, duration_seconds=duration_seconds,
            occurred_at=occurred_at or timezone.now(), author=by,
        )
        # Speed to lead is measured to the first real contact, not to the first note.
        if lead is not None and kind in CONTACT_KINDS and lead.first_contacted_at is None:
            Lead.objects.filter(pk=lead.pk, first_contacted_at__isnull=True).update(
                first_contacted_at=activity.occurred_at
            )
        record_event("activity.logged", activity_id=activity.pk, lead_id=lead.pk if lead else None,
                     client_id=client.pk if client else None, kind=kind)
    return activity


# ---------------------------------------------------------------- periodic work (the worker's scheduler)


def escalate_unclaimed(*, now: datetime | None = None) -> int:
    """Pooled leads nobody claimed within the team's limit go to the head of sales (speed to lead)."""
    now = now or timezone.now()
    count = 0
    candidates = Lead.objects.in_pool().filter(escalated_at__isnull=True, team__isnull=False).select_related("team")
    for lead in candidates.iterator():
        limit = add_working_minutes(lead.created_at, lead.team.pool_claim_minutes, team_calendar(lead.team))
        if limit > now:
            continue
        with transaction.atomic():
            if not Lead.objects.filter(pk=lead.pk, owner__isnull=True, escalated_at__isnull=True).update(
                escalated_at=now
            ):
                continue  # claimed or escalated meanwhile
            head = _head_of(lead)
            if head is not None:
                Task.objects.create(lead=lead, assignee=head, kind=TaskKind.ASSIGN, due_at=now, **system_text(
                    "title", gettext_noop("Nobody claimed %(name)s: assign a responsible person"),
                    name=lead.full_name))
                notify(user=head, kind="lead.escalated", lead=lead,
                       template=gettext_noop("Nobody claimed %(name)s in time"), name=lead.full_name)
            record_event("lead.escalated", lead_id=lead.pk, team_id=lead.team_id)
            count += 1
    return count


def return_deferred(*, today: date | None = None, now: datetime | None = None) -> int:
    """Deferred leads whose date has come return to work (their follow-up task is already due).

    The date has come when it is that date in the lead's team's zone (where its "call again" task is due), or
    on `today` when given: not on UTC's date, three hours late in Moscow and five early in New York. A date that
    is not a working day of the team's calendar (a holiday, a weekend) comes on the first working day after it,
    when the task is due: not as a notification to someone on holiday."""
    now = now or timezone.now()
    latest = today or (now + timedelta(hours=14)).date()  # no zone is further ahead of UTC than +14:00
    count = 0
    for lead in Lead.objects.filter(state=LeadState.DEFERRED, deferred_until__lte=latest).select_related(
            "team").iterator():
        calendar = team_calendar(lead.team)
        if calendar.first_working_day(lead.deferred_until) > (today or now.astimezone(calendar.tz()).date()):
            continue
        reopen_lead(lead=lead, by=None)
        if lead.owner_id:
            notify(user=lead.owner, kind="lead.returned", lead=lead,
                   template=gettext_noop("A deferred lead is back: %(name)s"), name=lead.full_name)
        count += 1
    return count


SLA_WARNING = timedelta(minutes=5)
SLA_WARNING_LOOKBACK = timedelta(hours=1)


def warn_sla_breaches(*, now: datetime | None = None) -> int:
    """Warn once when a new lead's first contact is due within minutes: its owner, or the head for the pool.

    Due by the first task's due time kept on the card (as the speed report and the team page count breaches), not
    by whichever open task is due: a first task closed with "no answer" and a call set for tomorrow, or a lead the
    head assigned by hand (the head's task closed, no call task left), are still waiting for their first contact."""
    now = now or timezone.now()
    count = 0
    # A deadline that passed over an hour ago (the worker was down) is no longer "about to breach": the lead is on
    # the team page's breaches instead. The bound also keeps the scan to the few leads due about now (an index).
    at_risk = Lead.objects.open().filter(
        first_contacted_at__isnull=True, sla_warned_at__isnull=True,
        sla_due_at__lte=now + SLA_WARNING, sla_due_at__gt=now - SLA_WARNING_LOOKBACK,
    ).select_related("owner", "team__head")
    for lead in at_risk:
        with transaction.atomic():
            if not Lead.objects.filter(pk=lead.pk, sla_warned_at__isnull=True).update(sla_warned_at=now):
                continue
            person = lead.owner or _head_of(lead)
            if person is not None:
                notify(user=person, kind="lead.sla_at_risk", lead=lead, name=lead.full_name,
                       template=gettext_noop("Speed to lead: contact %(name)s now, the SLA is about to breach"))
            record_event("lead.sla_at_risk", lead_id=lead.pk, owner_id=lead.owner_id)
            count += 1
    return count


REMIND_AHEAD = timedelta(hours=1)
# How far back the reminder scan looks: a late reminder (the worker was down) is sent until the next working day
# after the due time closes, under a week away with even one working day a week; anything older has had its day.
REMIND_LOOKBACK = timedelta(days=8)
# How far ahead it looks: a task due after hours is reminded in the last working hour before it, which is as far
# back as the longest run of days off (Russia's New Year holidays with the weekends around them: 12 days).
REMIND_LOOKAHEAD = timedelta(days=16)


def remind_at(due_at: datetime, calendar: WorkCalendar) -> datetime:
    """When the assignee is reminded of a task due at `due_at`, in the assignee's `calendar` (the team's week,
    zone and holidays, the person's own hours). A task due in working hours: an hour before, but not before that
    day opens (a 15:00 task at 14:00, a 09:00 task in a team opening at 9 at 09:00, not at 08:00 before anyone is
    in). A task due outside them (at 20:00, at night, on a Saturday or a holiday): in the last working hour before
    it (17:00 that day, Friday 17:00), never after it is due. A round-the-clock team is reminded an hour ahead."""
    if not calendar.has_hours:
        return due_at - REMIND_AHEAD
    if calendar.is_working(due_at):
        return add_working_minutes(due_at - REMIND_AHEAD, 0, calendar)
    day = calendar.last_day_closed_by(due_at)
    if day is None:  # no working day before it at all: when work next opens
        return add_working_minutes(due_at, 0, calendar)
    return max(calendar.closes(day) - REMIND_AHEAD, calendar.opens(day)).astimezone(due_at.tzinfo)


def remind_due_tasks(*, now: datetime | None = None) -> int:
    """Remind each assignee once, from remind_at until the working day the task falls on closes: a task whose day
    went by unreminded (created overdue long ago, handed over a week late, or the worker was down) stays shown as
    overdue in the lists instead of sending a pile of stale mail when it is reassigned or the worker comes back."""
    now = now or timezone.now()
    count = 0
    candidates = Task.objects.open().filter(
        reminded_at__isnull=True, assignee__isnull=False,
        due_at__lte=now + REMIND_LOOKAHEAD, due_at__gt=now - REMIND_LOOKBACK,
    ).select_related("assignee__team", "lead")
    for task in candidates:
        calendar = team_calendar(task.assignee.team, user=task.assignee)
        if not remind_at(task.due_at, calendar) <= now < _working_day_closes(task.due_at, calendar):
            continue
        with transaction.atomic():
            if not Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            notify(user=task.assignee, kind="task.due", lead=task.lead, client=task.client,
                   template=gettext_noop("Task due: %(title)s"), title=task.title_text)
            count += 1
    return count


def _working_day_closes(due_at: datetime, calendar: WorkCalendar) -> datetime:
    """When the working day a task due at `due_at` is worked on closes: its own day's, or for a task due after hours
    the next working day's (the next midnight for a calendar without working hours)."""
    day = add_working_minutes(due_at, 0, calendar).astimezone(calendar.tz()).date()
    if not calendar.has_hours:
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=calendar.tz())
    return calendar.closes(day)
