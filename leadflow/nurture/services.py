"""Every write of the nurture room: segments, templates, tags, enrollments and the steps they run."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadflow.core.errors import DomainError, Forbidden, InvalidInput
from leadflow.core.inputs import text_problem
from leadflow.nurture import conditions as segment_fields
from leadflow.nurture import mail
from leadflow.nurture.models import (
    Audience,
    Enrollment,
    EnrollmentState,
    Holiday,
    MailMessage,
    MailTemplate,
    Reentry,
    Segment,
    Sequence,
    Step,
    StepKind,
    SurveyAnswer,
    Tag,
    TriggerKind,
)
from leadflow.nurture.rendering import TemplateProblem, check_template, render_message, render_text

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=5)
MAX_STEPS_PER_RUN = 50  # a sequence of instant steps that loops back (repeat without a wait) cannot spin forever


# ---------------------------------------------------------------- who may manage


def can_manage_marketing(user: Any) -> bool:
    """Marketers and admins manage segments, templates and sequences."""
    return bool(user.is_authenticated and user.is_active and (user.is_admin or user.role == "marketer"))


def may_stop_enrollment(user: Any, enrollment: Any) -> bool:
    """Who may stop a person's sequence by hand: a marketer or an admin, and whoever may open the person's card (a
    lead's: its owner, the pool's managers, its team's head; a client's: its owner and its team's head). The card's
    button and POST /api/enrollments/{id}/stop ask the same."""
    from leadflow.clients.querysets import clients_visible_to
    from leadflow.leads.models import Lead

    if can_manage_marketing(user):
        return True
    if enrollment.lead_id:
        return Lead.objects.visible_to(user).filter(pk=enrollment.lead_id).exists()
    return bool(enrollment.client_id) and clients_visible_to(user).filter(pk=enrollment.client_id).exists()


def _require_marketing(user: Any) -> None:
    if not can_manage_marketing(user):
        raise Forbidden(_("Only a marketer or an admin may do this."))


# ---------------------------------------------------------------- segments, templates, tags


def save_segment(*, segment: Segment | None = None, name: str, audience: str, conditions: Any, description: str = "",
                 by: Any) -> Segment:
    """Create or change a segment; conditions are validated against the field registry."""
    _require_marketing(by)
    cleaned = segment_fields.validate_conditions(audience, conditions)
    if not name.strip():
        raise InvalidInput({"name": [_("A segment needs a name.")]})
    duplicate = Segment.objects.filter(name=name.strip()).exclude(pk=getattr(segment, "pk", None)).exists()
    if duplicate:
        raise InvalidInput({"name": [_("Another segment has this name.")]})
    segment = segment or Segment(created_by=by)
    segment.name, segment.audience, segment.conditions, segment.description = (
        name.strip(), audience, cleaned, description)
    segment.save()
    return segment


def segment_members(segment: Segment) -> QuerySet:
    return segment_fields.members(segment.audience, segment.conditions)


def save_template(*, template: MailTemplate | None = None, by: Any, **fields: Any) -> MailTemplate:
    _require_marketing(by)
    problems: dict[str, list[str]] = {}
    for name in ("subject", "html_body", "text_body"):
        try:
            check_template(fields.get(name, "") or "")
        except TemplateProblem as error:
            problems[name] = [str(error)]
    if not (fields.get("subject") or "").strip():
        problems.setdefault("subject", []).append(_("A message needs a subject."))
    if problems:
        raise InvalidInput(problems)
    template = template or MailTemplate()
    for name, value in fields.items():
        setattr(template, name, value)
    template.save()
    return template


def add_tag(*, name: str, lead: Any = None, client: Any = None, by: Any = None) -> Tag:
    name = " ".join(name.split())[:60]
    if not name:
        raise InvalidInput({"tag": [_("A tag needs a name.")]})
    if text_problem(name):
        raise InvalidInput({"tag": [text_problem(name)]})
    tag, _created = Tag.objects.get_or_create(name=name)
    if lead is not None:
        tag.leads.add(lead)
    if client is not None:
        tag.clients.add(client)
    return tag


def remove_tag(*, tag: Tag, lead: Any = None, client: Any = None, by: Any = None) -> None:
    if lead is not None:
        tag.leads.remove(lead)
    if client is not None:
        tag.clients.remove(client)


# ---------------------------------------------------------------- values of a message


CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def person_language(lead: Any = None, client: Any = None) -> str:
    """The language of the form the lead came through; else Russian for a Cyrillic name; else the default."""
    from leadflow.intake.models import Submission

    if client is not None and lead is None:
        lead = client.lead
    if lead is not None:
        submission_ids = [pk for pk in lead.requests.order_by("created_at").values_list("submission_id", flat=True)
                          if pk]
        form_language = (Submission.objects.filter(pk__in=submission_ids[:5], form__isnull=False)
                         .order_by("received_at").values_list("form__language", flat=True).first())
        if form_language in ("ru", "en"):
            return form_language
    name = lead.full_name if lead is not None else getattr(client, "name", "")
    if CYRILLIC.search(name or ""):
        return "ru"
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in ("ru", "en") else "en"


def person_email(lead: Any = None, client: Any = None) -> str:
    if lead is not None:
        return lead.email
    contact = getattr(client, "contact", None)
    return contact.email if contact is not None else ""


def survey_url(lead: Any) -> str:
    return mail.base_url() + reverse("nurture_survey", args=[mail.sign({"lead": lead.pk}, mail.SALT_SURVEY)])


def message_values(*, lead: Any = None, client: Any = None, step: Step | None = None,
                   enrollment: Enrollment | None = None) -> dict[str, str]:
    """The whitelisted variables for one person (plain strings; escaped by the HTML renderer)."""
    if lead is not None:
        name, first = lead.full_name, lead.first_name or lead.full_name
        owner, product = lead.owner, lead.product_interest
    else:
        contact = getattr(client, "contact", None)
        name = contact.full_name if contact else client.name
        first = (contact.first_name if contact else "") or name
        owner = client.owner
        product = client.lead.product_interest if client.lead_id else ""
    context = enrollment.context if enrollment is not None else {}
    discount = ""
    if step is not None:
        product = step.product or product
        discount = step.discount_code or context.get("discount_code", "")
    return {
        "name": name, "first_name": first, "manager": owner.display_name() if owner else "",
        "product": product, "discount_code": discount, "holiday": context.get("holiday", ""),
        "survey_url": survey_url(lead) if lead is not None else "",
    }


def pick_template(name: str, language: str) -> MailTemplate | None:
    versions = {t.language: t for t in MailTemplate.objects.filter(name=name)}
    return versions.get(language) or versions.get("en") or next(iter(versions.values()), None)


def preview(*, template: MailTemplate, lead: Any = None, client: Any = None) -> Any:
    """The message as this person would get it (the discount code shown as a sample)."""
    values = message_values(lead=lead, client=client)
    values["discount_code"] = values["discount_code"] or "SAMPLE-CODE"
    return render_message(subject=template.subject, html_body=template.html_body, text_body=template.text_body,
                          values=values)


# ---------------------------------------------------------------- enrollment


def _person_q(lead: Any, client: Any) -> Q:
    return Q(lead=lead) if lead is not None else Q(client=client)


def _reentry_allows(sequence: Sequence, lead: Any, client: Any, now: datetime) -> bool:
    earlier = Enrollment.objects.filter(_person_q(lead, client), sequence=sequence)
    if sequence.reentry == Reentry.ONCE:
        return not earlier.exists()
    if earlier.filter(state=EnrollmentState.ACTIVE).exists():
        return False
    if sequence.reentry == Reentry.AFTER_DAYS:
        return not earlier.filter(started_at__gt=now - timedelta(days=sequence.reentry_days)).exists()
    return True


def enroll(*, sequence: Sequence, lead: Any = None, client: Any = None, now: datetime | None = None,
           by: Any = None, check_segment: bool = True) -> Enrollment | None:
    """Start the sequence for a person, if its audience, segment and re-entry rule allow; else None."""
    now = now or timezone.now()
    if (sequence.audience == Audience.LEADS) != (lead is not None) or (lead is None and client is None):
        return None
    if not _reentry_allows(sequence, lead, client, now):
        return None
    if check_segment and sequence.segment_id and not segment_members(sequence.segment).filter(
            pk=(lead or client).pk).exists():
        return None
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(sequence=sequence, lead=lead, client=client, next_run_at=now,
                                                   started_at=now)
    except IntegrityError:
        return None  # already running: the unique constraint settled a race between two triggers
    return enrollment


def enroll_by_hand(*, sequence: Sequence, lead: Any = None, client: Any = None, by: Any) -> Enrollment:
    _require_marketing(by)
    enrollment = enroll(sequence=sequence, lead=lead, client=client, by=by, check_segment=False)
    if enrollment is None:
        raise DomainError("not_enrolled", _("The person is already in this sequence, or its re-entry rule forbids it."))
    return enrollment


def trigger(kind: str, *, lead: Any = None, client: Any = None, event_kind: str = "",
            now: datetime | None = None) -> list[Enrollment]:
    """Enroll a person into every active sequence with this trigger."""
    sequences = Sequence.objects.filter(is_active=True, trigger=kind).select_related("segment")
    if kind == TriggerKind.BEHAVIOUR:
        sequences = sequences.filter(event_kind=event_kind)
    started = []
    for sequence in sequences:
        person_lead = lead if sequence.audience == Audience.LEADS else None
        person_client = client if sequence.audience == Audience.CLIENTS else None
        if person_lead is None and person_client is None:
            continue
        enrollment = enroll(sequence=sequence, lead=person_lead, client=person_client, now=now)
        if enrollment is not None:
            started.append(enrollment)
    return started


def _not_blocked(sequence: Sequence, qs: QuerySet, now: datetime) -> QuerySet:
    """People of qs whom the re-entry rule lets into the sequence now (one EXISTS per rule)."""
    column = "lead" if sequence.audience == Audience.LEADS else "client"
    earlier = Enrollment.objects.filter(sequence=sequence, **{column: OuterRef("pk")})
    if sequence.reentry == Reentry.ONCE:
        return qs.exclude(Exists(earlier))
    qs = qs.exclude(Exists(earlier.filter(state=EnrollmentState.ACTIVE)))
    if sequence.reentry == Reentry.AFTER_DAYS:
        qs = qs.exclude(Exists(earlier.filter(started_at__gt=now - timedelta(days=sequence.reentry_days))))
    return qs


def enroll_entering(*, now: datetime | None = None, limit: int = 500) -> int:
    """Segment and long-browsing triggers: enroll everyone now in the segment (or browsing long without a
    purchase) whom the re-entry rule lets in. Activating such a sequence therefore also takes in the people
    who are in its segment already."""
    from leadflow.warming.models import BehaviourEvent, EventKind

    now = now or timezone.now()
    count = 0
    for sequence in Sequence.objects.filter(is_active=True, trigger__in=[
            TriggerKind.SEGMENT_ENTERED, TriggerKind.LONG_BROWSING]).select_related("segment"):
        audience = sequence.audience
        if sequence.trigger == TriggerKind.SEGMENT_ENTERED:
            if sequence.segment is None or sequence.segment.audience != audience:
                continue
            qs = segment_members(sequence.segment)
        else:
            column = "lead" if audience == Audience.LEADS else "client"
            since = now - timedelta(days=sequence.browsing_days)
            purchases = BehaviourEvent.objects.filter(**{column: OuterRef("pk")}, kind=EventKind.PURCHASE,
                                                      occurred_at__gte=since)
            browsing = segment_fields.browsing_subquery(audience, minutes=sequence.browsing_minutes,
                                                        days=sequence.browsing_days, now=now)
            qs = segment_fields.base_queryset(audience).filter(Exists(browsing)).exclude(Exists(purchases))
            if audience == Audience.LEADS:
                qs = qs.filter(state__in=["open", "deferred"])
            if sequence.segment_id:
                qs = qs.filter(pk__in=segment_members(sequence.segment).values("pk"))
        for person in _not_blocked(sequence, qs, now).order_by("pk")[:limit]:
            kwargs = {"lead": person} if audience == Audience.LEADS else {"client": person}
            if enroll(sequence=sequence, now=now, check_segment=False, **kwargs) is not None:
                count += 1
    return count


# ---------------------------------------------------------------- stopping


def _stop(qs: QuerySet, *, reason: str, by: Any = None) -> int:
    return qs.filter(state=EnrollmentState.ACTIVE).update(
        state=EnrollmentState.STOPPED, stop_reason=reason, ended_at=timezone.now(), stopped_by=by, next_run_at=None,
        claimed_until=None,
    )


def stop_enrollment(*, enrollment: Enrollment, by: Any, reason: str = "manual") -> bool:
    """The manual stop (a button on the card and in the admin)."""
    from leadflow.leads.services import _can_manage, can_manage_client

    if enrollment.lead is not None and not (can_manage_marketing(by) or _can_manage(enrollment.lead, by)):
        raise Forbidden(_("Only the owner, the head of the team, a marketer or an admin may stop this."))
    if enrollment.client is not None and not (can_manage_marketing(by) or can_manage_client(enrollment.client, by)):
        raise Forbidden(_("Only the owner, the head of the team, a marketer or an admin may stop this."))
    return bool(_stop(Enrollment.objects.filter(pk=enrollment.pk), reason=reason, by=by))


def stop_for_person(*, lead: Any = None, client: Any = None, reason: str, flag: str | None = None,
                    except_trigger: str | None = None) -> int:
    """Stop a person's running enrollments whose sequence stops for this reason (flag: a Sequence boolean)."""
    qs = Enrollment.objects.filter(_person_q(lead, client))
    if flag:
        qs = qs.filter(**{f"sequence__{flag}": True})
    if except_trigger:
        qs = qs.exclude(sequence__trigger=except_trigger)
    return _stop(qs, reason=reason)


def stop_enrollments_for_address(*, email: str, reason: str) -> int:
    """Unsubscribe and bounce are about an address: every card with it stops getting sequences."""
    email = email.strip()
    return _stop(Enrollment.objects.filter(Q(lead__email__iexact=email) | Q(client__contact__email__iexact=email)),
                 reason=reason)


# ---------------------------------------------------------------- running steps


def run_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Run the due steps of running enrollments; each one is claimed first, so two workers never run it twice."""
    now = now or timezone.now()
    due = list(Enrollment.objects.filter(state=EnrollmentState.ACTIVE, next_run_at__lte=now)
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
               .order_by("next_run_at", "id").values_list("pk", flat=True)[:limit])
    ran = 0
    for pk in due:
        claimed = Enrollment.objects.filter(pk=pk, state=EnrollmentState.ACTIVE, next_run_at__lte=now).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).update(claimed_until=now + CLAIM_FOR)
        if not claimed:
            continue
        try:
            with transaction.atomic():
                advance(Enrollment.objects.select_related("sequence", "lead__owner", "client__owner").get(pk=pk),
                        now=now)
        except Exception:
            log.exception("enrollment %s: step failed; it is tried again later", pk)
            Enrollment.objects.filter(pk=pk).update(claimed_until=now + CLAIM_FOR)
            continue
        ran += 1
    return ran


def _stop_reason_before_step(enrollment: Enrollment) -> str:
    lead = enrollment.lead
    sequence = enrollment.sequence
    if lead is not None:
        if lead.state == "merged":
            return "merged"
        if sequence.only_while_deferred and lead.state != "deferred":
            return "not_deferred"
        if sequence.stop_on_conversion and lead.state == "converted" and sequence.trigger != TriggerKind.CONVERTED:
            return "converted"
        if sequence.stop_on_refusal and lead.state == "refused" and sequence.trigger != TriggerKind.REFUSED:
            return "refused"
    return ""


def advance(enrollment: Enrollment, *, now: datetime) -> None:
    """Run steps from the current one until a wait (next_run_at set) or the end (finished)."""
    steps = list(enrollment.sequence.steps.order_by("position", "id"))
    for _round in range(MAX_STEPS_PER_RUN):
        reason = _stop_reason_before_step(enrollment)
        if reason:
            _stop(Enrollment.objects.filter(pk=enrollment.pk), reason=reason)
            return
        if enrollment.step_index >= len(steps):
            enrollment.state, enrollment.ended_at, enrollment.next_run_at = EnrollmentState.FINISHED, now, None
            break
        step = steps[enrollment.step_index]
        enrollment.step_index += 1
        wait_until = run_step(step, enrollment, now=now)
        if step.kind == StepKind.REPEAT:
            enrollment.step_index = max(0, min(step.repeat_from - 1, len(steps)))
        if wait_until is not None and wait_until > now:
            enrollment.next_run_at = wait_until
            break
    else:
        enrollment.next_run_at = now + timedelta(hours=1)  # an instant loop: let it breathe
    enrollment.claimed_until = None
    enrollment.save(update_fields=["state", "ended_at", "next_run_at", "step_index", "claimed_until", "context"])


def run_step(step: Step, enrollment: Enrollment, *, now: datetime) -> datetime | None:
    """Do one step; a wait returns when to go on."""
    lead, client = enrollment.lead, enrollment.client
    if step.kind == StepKind.WAIT:
        return now + timedelta(minutes=step.wait_minutes)
    if step.kind == StepKind.WAIT_HOLIDAY:
        holiday, moment = next_holiday(now)
        if holiday is None:
            return now + timedelta(days=1)
        enrollment.context["holiday"] = holiday.name
        return moment
    if step.kind == StepKind.SEND:
        send_step(step, enrollment)
    elif step.kind == StepKind.TASK:
        task_step(step, enrollment, now=now)
    elif step.kind == StepKind.TEMPERATURE and lead is not None and step.temperature:
        change_temperature(lead=lead, value=step.temperature, reason=enrollment.sequence.name)
    elif step.kind == StepKind.TAG and step.tag:
        add_tag(name=step.tag, lead=lead, client=client)
    return None


def send_step(step: Step, enrollment: Enrollment) -> MailMessage | None:
    lead, client = enrollment.lead, enrollment.client
    email = person_email(lead, client)
    if not email:
        enrollment.context.setdefault("skipped", []).append(step.position)
        return None
    language = person_language(lead, client)
    template = pick_template(step.template_name, language)
    if template is None:
        raise DomainError("template_missing", f"no e-mail template named {step.template_name!r}")
    if step.discount_prefix and not enrollment.context.get("discount_code"):
        enrollment.context["discount_code"] = f"{step.discount_prefix}-{secrets.token_hex(3).upper()}"
    values = message_values(lead=lead, client=client, step=step, enrollment=enrollment)
    rendered = render_message(subject=template.subject, html_body=template.html_body, text_body=template.text_body,
                              values=values)
    return mail.queue_message(rendered=rendered, to_email=email, lead=lead, client=client, enrollment=enrollment,
                              template=template, language=template.language)


def task_step(step: Step, enrollment: Enrollment, *, now: datetime) -> Any:
    """A follow-up task for the card's owner (the team's head when nobody owns it).

    A card never gets a second open follow-up from a sequence: an open follow-up task (e.g. the one a
    deferral set for its end date) is reused, and brought forward to this step's due time if it is later."""
    from leadflow.leads.models import Task, TaskKind
    from leadflow.leads.services import notify

    lead, client = enrollment.lead, enrollment.client
    card = lead or client
    due = now + timedelta(hours=step.task_due_hours)
    existing = Task.objects.open().filter(_person_q(lead, client), kind=TaskKind.FOLLOW_UP).order_by("due_at").first()
    if existing is not None:
        if existing.due_at > due:
            Task.objects.filter(pk=existing.pk).update(due_at=due)
        return existing
    owner = card.owner
    if owner is None and card.team_id and card.team.head_id:
        owner = card.team.head
    values = message_values(lead=lead, client=client, step=step, enrollment=enrollment)
    title = " ".join(render_text(step.task_title or "{{ name }}", values, html=False).split())[:255]
    task = Task.objects.create(lead=lead, client=client, assignee=owner, kind=TaskKind.FOLLOW_UP, title=title,
                               due_at=due)
    if owner is not None:
        notify(user=owner, kind="task.assigned", lead=lead, client=client,
               template=gettext_noop("New task: %(title)s"), title=title)
    from leadflow.events.services import record_event

    record_event("task.created", task_id=task.pk, lead_id=lead.pk if lead else None)
    return task


def change_temperature(*, lead: Any, value: str, reason: str) -> None:
    """The 'change temperature' step, through the warming room: its history sees the change and reaching
    "hot" hands a lead that marketing nurtures (or a deferred one) to sales, as any other route to hot does."""
    from leadflow.leads.models import Temperature
    from leadflow.warming.services import set_temperature

    if value not in Temperature.values or lead.temperature == value:
        return
    set_temperature(lead, value, by=None, reason=reason)


def next_holiday(now: datetime) -> tuple[Holiday | None, datetime]:
    """The next active holiday of the calendar, greeted at 10:00 local time (LEADFLOW_TIME_ZONE)."""
    zone = ZoneInfo(settings.LEADFLOW_TIME_ZONE)
    holidays = list(Holiday.objects.filter(is_active=True))
    if not holidays:
        return None, now
    today = now.astimezone(zone).date()
    best: tuple[datetime, Holiday] | None = None
    for holiday in holidays:
        for year in (today.year, today.year + 1):
            try:
                day = date(year, holiday.month, holiday.day)
            except ValueError:  # 29.02 in a common year
                continue
            moment = datetime.combine(day, time(10, 0), tzinfo=zone)
            if moment > now and (best is None or moment < best[0]):
                best = (moment, holiday)
                break
    if best is None:
        return None, now
    return best[1], best[0]


# ---------------------------------------------------------------- the farewell survey


SURVEY_REASONS = {
    "price": gettext_noop("The price"), "competitor": gettext_noop("I chose another supplier"),
    "no_need": gettext_noop("I no longer need it"), "timing": gettext_noop("Not now, maybe later"),
    "service": gettext_noop("How we talked to me"), "other": gettext_noop("Something else"),
}


def answer_survey(*, lead: Any, reason: str, comment: str = "", may_contact_later: bool = False) -> SurveyAnswer:
    """Keep a refused lead's answers on the card (one answer per lead: a second one replaces it)."""
    if reason not in SURVEY_REASONS:
        raise InvalidInput({"reason": [_("Choose one of the reasons.")]})
    comment = comment.strip()
    if len(comment) > 2000:
        raise InvalidInput({"comment": [_("At most 2000 characters, please.")]})
    with transaction.atomic():
        SurveyAnswer.objects.filter(lead=lead).delete()
        return SurveyAnswer.objects.create(lead=lead, reason=reason, comment=comment,
                                           may_contact_later=may_contact_later)
