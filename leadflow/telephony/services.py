"""Every write of the telephony channel: journal a call event, keep the call's state, and record its outcome
on the card (a known caller), or as an interest through the intake pipeline (an unknown one)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadflow.accounts.models import Team, User
from leadflow.clients.models import Client
from leadflow.core.worktime import add_working_minutes
from leadflow.events.services import record_event
from leadflow.intake import pipeline
from leadflow.intake.models import Submission, SubmissionStatus
from leadflow.leads import services as leads
from leadflow.leads.models import (
    Activity,
    ActivityKind,
    Channel,
    Lead,
    LeadState,
    Task,
    TaskKind,
    nested_text,
    render_system_text,
    system_text,
)
from leadflow.leads.routing import team_calendar
from leadflow.matching.models import CardType, IdentityKey, KeyKind
from leadflow.telephony import providers
from leadflow.telephony.models import Call, CallEvent, CallState, Direction, Extension, Integration, Line
from leadflow.telephony.numbers import is_hidden, line_key, normalize_number

log = logging.getLogger(__name__)

LEAD_ORDER = {LeadState.OPEN: 0, LeadState.DEFERRED: 1, LeadState.REFUSED: 2, LeadState.CONVERTED: 3}


@dataclass
class Card:
    """The card a phone number belongs to."""

    lead: Lead | None = None
    client: Client | None = None
    matches: int = 0

    @property
    def found(self) -> bool:
        return self.lead is not None or self.client is not None


def cards_with_phone(e164: str, *, limit: int = 50) -> list[tuple[str, int]]:
    """Leads and contacts holding this exact phone key: one indexed read (matching.IdentityKey kind phone)."""
    return list(
        IdentityKey.objects.filter(kind=KeyKind.PHONE, value=e164, card_type__in=[CardType.LEAD, CardType.CONTACT])
        .values_list("card_type", "card_id")[:limit]
    )


def pick_card(refs: list[tuple[str, int]]) -> Card:
    """A client first (the person already buys), then a lead in work, then the most recent lead."""
    contact_ids = [card_id for card_type, card_id in refs if card_type == CardType.CONTACT]
    lead_ids = [card_id for card_type, card_id in refs if card_type == CardType.LEAD]
    if contact_ids:
        client = (Client.objects.select_related("owner", "team").filter(contact_id__in=contact_ids)
                  .order_by("-is_active", "-created_at", "-pk").first())
        if client is not None:
            return Card(client=client, matches=len(refs))
    if lead_ids:
        found = list(Lead.objects.select_related("owner", "team").filter(pk__in=lead_ids)
                     .exclude(state=LeadState.MERGED))
        found.sort(key=lambda lead: (LEAD_ORDER.get(lead.state, 9), -lead.pk))
        if found:
            return Card(lead=found[0], matches=len(refs))
    return Card()


def find_card(e164: str) -> Card:
    if not e164:
        return Card()
    return pick_card(cards_with_phone(e164))


# ------------------------------------------------------------------ webhook events


def record_call_event(*, integration: Integration, report: providers.CallReport) -> tuple[Call | None, bool]:
    """Journal one webhook event, then apply it; (call, duplicate). A retried event changes nothing."""
    event, is_new = _journal(integration, report)
    if not is_new and event.processed_at is not None:
        return event.call, True
    # New, or journaled by an earlier attempt that failed before finishing: processed now.
    return _apply(integration, report, event), False


def _journal(integration: Integration, report: providers.CallReport) -> tuple[CallEvent, bool]:
    """The raw body, committed before anything else: after this the event is never lost."""
    try:
        with transaction.atomic():
            return CallEvent.objects.create(
                integration=integration, event_key=report.event_key[:255], kind=report.kind, payload=report.raw,
            ), True
    except IntegrityError:
        return CallEvent.objects.get(integration=integration, event_key=report.event_key[:255]), False


def _lock_call(integration: Integration, report: providers.CallReport) -> Call:
    """The call's row, created by whichever of its events arrives first, and locked for this one."""
    try:
        with transaction.atomic():
            Call.objects.get_or_create(
                integration=integration, provider_call_id=report.call_id,
                defaults={"direction": report.direction, "started_at": report.occurred_at},
            )
    except IntegrityError:
        pass  # a concurrent event of the same call created it
    return Call.objects.select_for_update().get(integration=integration, provider_call_id=report.call_id)


def _apply(integration: Integration, report: providers.CallReport, event: CallEvent) -> Call:
    with transaction.atomic():
        call = _lock_call(integration, report)
        _update_call(call, integration, report)
        needs_interest = False
        if report.kind == providers.FINISHED and call.processed_at is None:
            needs_interest = not _record_known_outcome(call, report)
        elif report.kind == providers.RECORDING and call.activity_id:
            _add_recording_to_activity(call)
        call.save()
        if not needs_interest:
            CallEvent.objects.filter(pk=event.pk).update(call=call, processed_at=timezone.now())
    if needs_interest:
        # Outside the transaction above: the pipeline journals the submission in its own, first.
        _record_unknown_caller(call, event)
    return call


def _update_call(call: Call, integration: Integration, report: providers.CallReport) -> None:
    if report.kind == providers.RECORDING:
        call.recording_id = report.recording_id or call.recording_id
        call.recording_url = report.recording_url or call.recording_url
        return
    call.direction = report.direction
    if report.number and not call.caller_raw:
        call.caller_raw = report.number[:64]
        phone = normalize_number(report.number)
        call.caller = phone.e164 if phone else ""
    if report.line and not call.called_line:
        call.called_line = report.line[:64]
    if call.team_id is None:
        call.team = _team_for(integration, call.called_line)
    if report.occurred_at < call.started_at:
        call.started_at = report.occurred_at
    if report.extension:
        # The manager on the call: who answered, or who dialled out. A ringing extension is not them yet.
        if report.kind in (providers.ANSWERED, providers.OUTGOING) or (
                report.kind == providers.FINISHED and report.answered):
            call.extension = report.extension
            call.answered_by = _user_on(integration, report.extension)
        elif not call.extension:
            call.extension = report.extension
    if report.recording_url:
        call.recording_url = report.recording_url
    if report.recording_id:
        call.recording_id = report.recording_id
    state = {
        providers.INCOMING: CallState.RINGING, providers.OUTGOING: CallState.RINGING,
        providers.ANSWERED: CallState.ANSWERED,
    }.get(report.kind)
    if report.kind == providers.ANSWERED and call.answered_at is None:
        call.answered_at = report.occurred_at
    if report.kind == providers.FINISHED:
        state = CallState.FINISHED if report.answered else CallState.MISSED
        call.duration_seconds = report.duration if report.duration is not None else call.duration_seconds
        call.ended_at = call.ended_at or timezone.now()
    if state is None:
        return
    # A late "ringing" after the end (providers do not promise order) goes into the timeline, not the state.
    if call.state not in (CallState.FINISHED, CallState.MISSED):
        call.state = state
    key = report.event_key[:80]
    if not any(step.get("event") == key for step in call.timeline):  # a retry after a failure: once
        call.timeline = [*call.timeline, {"state": state, "at": report.occurred_at.isoformat(), "event": key}]


def _team_for(integration: Integration, line: str) -> Team | None:
    if line:
        row = Line.objects.filter(integration=integration, number_e164=line_key(line)).select_related("team").first()
        if row is not None and (row.team is None or row.team.is_active):  # an inactive team gets no new leads
            return row.team
    if integration.team_id and integration.team.is_active:
        return integration.team
    return pipeline.fallback_team()


def _user_on(integration: Integration, extension: str) -> User | None:
    row = Extension.objects.filter(integration=integration, extension=extension).select_related("user").first()
    return row.user if row is not None and row.user.is_active else None


def _minutes_seconds(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _call_fields(call: Call, answered: bool) -> dict[str, Any]:
    fields = _call_subject(call, answered)
    return {**fields, **_body_fields(_call_body(call), fields["text_params"])}


def _call_subject(call: Call, answered: bool) -> dict[str, Any]:
    if call.direction == Direction.OUTGOING:
        template = gettext_noop("Outgoing call") if answered else gettext_noop("Outgoing call, no answer")
    else:
        template = gettext_noop("Incoming call") if answered else gettext_noop("Missed call")
    return system_text("subject", template)


def _call_body(call: Call) -> list[dict[str, Any]]:
    """The call's facts as system-text lines (line, manager, recording), worded for each reader (Activity.shown_body):
    a Russian manager read "Line: ... Manager: ..." the worker had written in English."""
    lines = []
    if call.called_line:
        lines.append(nested_text(gettext_noop("Line: %(line)s"), line=call.called_line))
    if call.answered_by_id:
        lines.append(nested_text(gettext_noop("Manager: %(name)s"), name=call.answered_by.display_name()))
    elif call.extension:
        lines.append(nested_text(gettext_noop("Extension: %(extension)s"), extension=call.extension))
    if call.recording_url:
        lines.append(nested_text(gettext_noop("Recording: %(url)s"), url=call.recording_url))
    elif call.recording_id:
        lines.append(nested_text(gettext_noop("Recording id at the provider: %(id)s"), id=call.recording_id))
    return lines


def _body_fields(lines: list[dict[str, Any]], text_params: dict[str, Any]) -> dict[str, Any]:
    """Activity fields for the body lines: worded now (the stored text), kept as keys for each reader."""
    body = "\n".join(render_system_text(line["key"], line["params"]) for line in lines)
    return {"body": body, "text_params": {**text_params, "body": lines}}


def _add_recording_to_activity(call: Call) -> None:
    activity = Activity.objects.filter(pk=call.activity_id).first()
    if activity is not None:
        params = activity.text_params if isinstance(activity.text_params, dict) else {}
        for field, value in _body_fields(_call_body(call), params).items():
            setattr(activity, field, value)
        activity.save(update_fields=["body", "text_params"])


def _record_known_outcome(call: Call, report: providers.CallReport) -> bool:
    """A caller with a card: a "call" activity on it, and a callback task when the call was missed.
    False when nobody in the base has this number (an incoming call then becomes an interest)."""
    card = find_card(call.caller)
    answered = bool(report.answered)
    if not card.found:
        if call.direction == Direction.OUTGOING:
            call.processed_at = timezone.now()  # we dialled a number nobody has: nothing to attach it to
            return True
        return False
    call.lead, call.client = card.lead, card.client
    call.activity = log_call_activity(call=call, answered=answered)
    if call.direction == Direction.INCOMING:
        _journal_attached(call)
        if not answered:
            call.callback_task = _callback_for_card(call, card)
    record_event("call.finished", call_id=call.pk, lead_id=call.lead_id, client_id=call.client_id,
                 answered=answered, duration=call.duration_seconds, direction=call.direction)
    call.processed_at = timezone.now()
    return True


def log_call_activity(*, call: Call, answered: bool) -> Activity:
    """The "call" entry on the card's timeline, with duration, line, manager and recording."""
    activity = Activity.objects.create(
        lead=call.lead, client=call.client, kind=ActivityKind.CALL,
        duration_seconds=call.duration_seconds if answered else None, occurred_at=call.started_at,
        author=call.answered_by, **_call_fields(call, answered),
    )
    # Speed to lead counts a conversation, not a missed ring.
    if answered and call.lead is not None and call.lead.first_contacted_at is None:
        Lead.objects.filter(pk=call.lead.pk, first_contacted_at__isnull=True).update(
            first_contacted_at=activity.occurred_at)
    record_event("activity.logged", activity_id=activity.pk, lead_id=call.lead_id, kind=ActivityKind.CALL)
    return activity


def _journal_attached(call: Call) -> None:
    """An incoming call from a known person is a touch like any other: it is in the intake journal too."""
    submission, is_new = pipeline.journal(pipeline.Inbound(
        channel=Channel.PHONE, payload=_submission_payload(call), received_at=call.started_at,
        idempotency_key=f"call:{call.integration_id}:{call.provider_call_id}",
    ))
    if is_new:
        Submission.objects.filter(pk=submission.pk).update(
            status=SubmissionStatus.ATTACHED, lead=call.lead, client=call.client, processed_at=timezone.now())
    call.submission_id = submission.pk


def _submission_payload(call: Call) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "message": _call_message(call),
        "call": {"integration": call.integration_id, "provider_call_id": call.provider_call_id,
                 "direction": call.direction, "caller": call.caller_raw, "called_line": call.called_line,
                 "extension": call.extension, "state": call.state, "duration": call.duration_seconds,
                 "recording_url": call.recording_url, "recording_id": call.recording_id},
    }
    if call.caller:
        payload["phone"] = call.caller
    return payload


def _call_message(call: Call) -> str:
    if not call.caller:
        if is_hidden(call.caller_raw):
            return _("Call from a hidden number")
        return _("Call from %(number)s (not a phone number)") % {"number": call.caller_raw}
    if call.state == CallState.MISSED:
        return _("Missed call to %(line)s") % {"line": call.called_line or "?"}
    return _("Call to %(line)s") % {"line": call.called_line or "?"}


def _due(team: Team | None, now: datetime) -> datetime:
    from django.conf import settings

    minutes = team.sla_minutes if team is not None else settings.LEADFLOW_SLA_MINUTES
    return add_working_minutes(now, minutes, team_calendar(team))


def _callback_for_card(call: Call, card: Card) -> Task:
    """A missed call from a known person: a callback for the card's owner, due within the team's SLA.
    Three missed calls in a row are still one thing to do: an open callback on the card is reused."""
    existing = Task.objects.open().filter(kind=TaskKind.CALLBACK, lead=card.lead, client=card.client).first()
    if existing is not None:
        return existing
    owner_card: Lead | Client = card.lead or card.client  # type: ignore[assignment]
    team = owner_card.team or call.team
    assignee = owner_card.owner or (team.head if team is not None and team.head_id else None)
    name = card.lead.full_name if card.lead else card.client.name  # type: ignore[union-attr]
    task = Task.objects.create(
        lead=card.lead, client=card.client, assignee=assignee, kind=TaskKind.CALLBACK,
        due_at=_due(team, timezone.now()),
        **system_text("title", gettext_noop("Call back after a missed call: %(name)s"), name=name),
    )
    if assignee is not None:
        leads.notify(user=assignee, kind="call.missed", lead=card.lead, client=card.client,
                     template=gettext_noop("Missed call from %(name)s: call back"), name=name)
    record_event("task.created", task_id=task.pk, lead_id=card.lead.pk if card.lead else None)
    return task


def _record_unknown_caller(call: Call, event: CallEvent) -> None:
    """Nobody has this number: the pipeline journals it and classifies it (a bare number is an interest);
    then someone of the called line's team gets a task to call back and find out who it was."""
    outcome = pipeline.receive(pipeline.Inbound(
        channel=Channel.PHONE, payload=_submission_payload(call), received_at=call.started_at,
        idempotency_key=f"call:{call.integration_id}:{call.provider_call_id}",
    ))
    with transaction.atomic():
        call = Call.objects.select_for_update(of=("self",)).select_related("team", "answered_by").get(pk=call.pk)
        if call.processed_at is not None:
            return
        call.submission_id = outcome.submission.pk
        if outcome.interest_id:
            call.interest_id = outcome.interest_id
            if call.team_id:
                from leadflow.leads.models import Interest

                Interest.objects.filter(pk=outcome.interest_id).update(team=call.team)
        elif outcome.lead is not None or outcome.client is not None:
            call.lead, call.client = outcome.lead, outcome.client
        if call.caller and call.callback_task_id is None:
            call.callback_task = _callback_for_unknown(call)
        call.processed_at = timezone.now()
        call.save()
        record_event("call.finished", call_id=call.pk, interest_id=call.interest_id,
                     answered=call.state == CallState.FINISHED, duration=call.duration_seconds,
                     direction=call.direction)
        CallEvent.objects.filter(pk=event.pk).update(call=call, processed_at=timezone.now())


def _callback_for_unknown(call: Call) -> Task:
    """The manager who talked to the caller finds out who it was; a missed unknown call goes to the head
    of the line's team, who hands it out. One open callback per number."""
    existing = Task.objects.open().filter(
        kind=TaskKind.CALLBACK, lead__isnull=True, client__isnull=True, text_params__number=call.caller,
    ).first()
    if existing is not None:
        return existing
    team = call.team
    assignee = call.answered_by if call.state == CallState.FINISHED and call.answered_by_id else None
    if assignee is None and team is not None and team.head_id:
        assignee = team.head
    template = (gettext_noop("Unknown caller %(number)s: find out who it was") if call.state == CallState.FINISHED
                else gettext_noop("Call back the unknown number %(number)s (missed call)"))
    task = Task.objects.create(assignee=assignee, kind=TaskKind.CALLBACK, due_at=_due(team, timezone.now()),
                               **system_text("title", template, number=call.caller))
    if assignee is not None:
        leads.notify(user=assignee, kind="call.unknown", template=template, number=call.caller)
    record_event("task.created", task_id=task.pk, lead_id=None)
    return task

