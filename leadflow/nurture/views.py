"""Marketing pages (segments, templates, sequences), the card's marketing panel, and the public pages a
recipient reaches from a message (unsubscribe, survey, click and open tracking)."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leadflow.core.errors import DomainError
from leadflow.core.inputs import parse_id
from leadflow.leads.models import Lead
from leadflow.nurture import mail, services
from leadflow.nurture.forms import SegmentForm, SequenceForm, StepFormSet, TemplateForm
from leadflow.nurture.models import (
    STOP_REASONS,
    Enrollment,
    EnrollmentState,
    MailMessage,
    MailTemplate,
    Segment,
    Sequence,
    SurveyAnswer,
    Tag,
)

SAMPLE = 20


def require_marketing(request: HttpRequest) -> None:
    if not services.can_manage_marketing(request.user):
        raise Http404


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# ---------------------------------------------------------------- segments


@login_required
def segment_list(request: HttpRequest) -> HttpResponse:
    require_marketing(request)
    segments = list(Segment.objects.order_by("name"))
    for segment in segments:
        segment.count = services.segment_members(segment).count()
    return render(request, "nurture/segments.html", {"segments": segments})


def _count_context(form: SegmentForm) -> dict[str, Any]:
    """The live count (and a sample of the members) for the conditions on the form, or the problems."""
    if not form.is_valid():
        return {"problems": {k: v for k, v in form.errors.items()}}
    try:
        conditions = services.segment_fields.validate_conditions(form.cleaned_data["audience"], form.conditions())
    except DomainError as error:
        return {"problems": error.fields}
    qs = services.segment_fields.members(form.cleaned_data["audience"], conditions)
    return {"count": qs.count(), "sample": list(qs.order_by("-pk")[:SAMPLE]),
            "audience": form.cleaned_data["audience"]}


@login_required
def segment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_marketing(request)
    segment = get_object_or_404(Segment, pk=pk) if pk else None
    if request.method == "POST":
        form = SegmentForm(request.POST)
        if request.POST.get("count_only") or _is_htmx(request):
            data = request.POST.copy()
            data["name"] = data.get("name") or "-"  # a count needs conditions, not a name yet
            return render(request, "nurture/partials/segment_count.html", _count_context(SegmentForm(data)))
        if form.is_valid():
            try:
                segment = services.save_segment(
                    segment=segment, name=form.cleaned_data["name"], audience=form.cleaned_data["audience"],
                    conditions=form.conditions(), description=form.cleaned_data["description"], by=request.user)
            except DomainError as error:
                for field, problems in error.fields.items():
                    target = field if field in form.fields else None
                    if target is None and f"c_{field}" in form.fields:
                        target = f"c_{field}"
                    form.add_error(target, f"{field}: {' '.join(problems)}" if target is None else " ".join(problems))
            else:
                messages.success(request, _("Segment saved."))
                return redirect("nurture_segment", pk=segment.pk)
    else:
        form = SegmentForm(initial=SegmentForm.initial_from(segment) if segment else {"audience": "leads"})
    count = _count_context(SegmentForm(SegmentForm.initial_from(segment))) if segment and not form.errors else {}
    return render(request, "nurture/segment_edit.html", {"form": form, "segment": segment, **count})


# ---------------------------------------------------------------- templates


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    require_marketing(request)
    return render(request, "nurture/templates.html",
                  {"templates": MailTemplate.objects.select_related("segment").order_by("name", "language")})


@login_required
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_marketing(request)
    template = get_object_or_404(MailTemplate, pk=pk) if pk else None
    form = TemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        template = form.save()
        messages.success(request, _("Template saved."))
        return redirect("nurture_template", pk=template.pk)
    return render(request, "nurture/template_edit.html", {"form": form, "template": template})


def _preview_lead(request: HttpRequest) -> Lead | None:
    raw = request.GET.get("lead", "")
    qs = Lead.objects.visible_to(request.user) if not request.user.is_admin and request.user.role != "marketer" \
        else Lead.objects.live()
    if parse_id(raw):
        return qs.filter(pk=parse_id(raw)).first()
    return qs.exclude(email="").order_by("-pk").first()


@login_required
def template_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Subject, the HTML in a sandboxed iframe (srcdoc, no scripts), and the text, for a real lead."""
    require_marketing(request)
    template = get_object_or_404(MailTemplate, pk=pk)
    lead = _preview_lead(request)
    rendered = services.preview(template=template, lead=lead) if lead is not None else None
    return render(request, "nurture/template_preview.html", {
        "template": template, "lead": lead, "rendered": rendered,
        "leads": Lead.objects.live().exclude(email="").order_by("-pk")[:50],
    })


# ---------------------------------------------------------------- sequences


@login_required
def sequence_list(request: HttpRequest) -> HttpResponse:
    require_marketing(request)
    sequences = Sequence.objects.annotate(
        running=Count("enrollments", filter=Q(enrollments__state=EnrollmentState.ACTIVE)),
        total=Count("enrollments"),
    ).order_by("name")
    return render(request, "nurture/sequences.html", {"sequences": sequences})


@login_required
def sequence_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_marketing(request)
    sequence = get_object_or_404(Sequence, pk=pk) if pk else None
    form = SequenceForm(request.POST or None, instance=sequence, prefix="s")
    steps = StepFormSet(request.POST or None, instance=sequence or Sequence(), prefix="steps")
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        with transaction.atomic():
            sequence = form.save()
            steps.instance = sequence
            steps.save()
        messages.success(request, _("Sequence saved."))
        return redirect("nurture_sequence", pk=sequence.pk)
    context: dict[str, Any] = {"form": form, "steps": steps, "sequence": sequence}
    if sequence is not None:
        context["enrollments"] = sequence.enrollments.select_related("lead", "client")[:50]
        context["mail"] = MailMessage.objects.filter(enrollment__sequence=sequence).values("status").annotate(
            n=Count("pk")).order_by("status")
    return render(request, "nurture/sequence_edit.html", context)


@login_required
@require_POST
def sequence_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    require_marketing(request)
    sequence = get_object_or_404(Sequence, pk=pk)
    Sequence.objects.filter(pk=pk).update(is_active=not sequence.is_active)
    messages.success(request, _("Sequence switched off.") if sequence.is_active else _("Sequence switched on."))
    return redirect("nurture_sequence", pk=pk)


@login_required
@require_POST
def enrollment_stop(request: HttpRequest, pk: int) -> HttpResponse:
    """The manual stop: from the card (owner, head, admin) or the sequence page (marketer)."""
    enrollment = get_object_or_404(Enrollment.objects.select_related("lead", "client"), pk=pk)
    if not services.may_stop_enrollment(request.user, enrollment):
        raise Http404
    try:
        services.stop_enrollment(enrollment=enrollment, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Sequence stopped for this person."))
    target = request.POST.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    return redirect(target)


# ---------------------------------------------------------------- the card's marketing panel


@login_required
def lead_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """Tags (editable), sequences with a stop button, marketing e-mails and survey answers of one lead."""
    if not (services.can_manage_marketing(request.user) or request.user.role in ("head", "manager")):
        raise Http404
    qs = Lead.objects.live() if services.can_manage_marketing(request.user) else Lead.objects.visible_to(request.user)
    lead = qs.filter(pk=pk).first()
    if lead is None:
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                tag = Tag.objects.filter(pk=parse_id(request.POST["remove"]) or 0).first()
                if tag is not None:
                    services.remove_tag(tag=tag, lead=lead, by=request.user)
            else:
                services.add_tag(name=request.POST.get("tag", ""), lead=lead, by=request.user)
        except DomainError as error:
            return render(request, "nurture/partials/lead_panel.html",
                          {**_panel_context(lead), "error": "; ".join(" ".join(v) for v in error.fields.values())})
        if not _is_htmx(request):
            return redirect("lead_card", pk=lead.pk)
    return render(request, "nurture/partials/lead_panel.html", _panel_context(lead))


def _panel_context(lead: Lead) -> dict[str, Any]:
    return {
        "lead": lead,
        "tags": list(lead.tags.all()),
        "enrollments": list(lead.enrollments.select_related("sequence")[:20]),
        "stop_reasons": {k: str(v) for k, v in STOP_REASONS.items()},
        "mail": list(lead.mail_messages.order_by("-created_at")[:20]),
        "answers": list(SurveyAnswer.objects.filter(lead=lead)),
        "reasons": {k: _(v) for k, v in services.SURVEY_REASONS.items()},
    }


@login_required
def client_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The client card's marketing panel: tags (editable), sequences with a stop button, marketing e-mails and
    what the person did (the client's events and those of the visitor known from its lead). Consents are on
    the card already (privacy's consent history); points and temperature are kept for leads only."""
    from leadflow.clients.models import Client
    from leadflow.clients.querysets import clients_visible_to

    if not (services.can_manage_marketing(request.user) or request.user.role in ("head", "manager")):
        raise Http404
    qs = Client.objects.all() if services.can_manage_marketing(request.user) else clients_visible_to(request.user)
    client = qs.filter(pk=pk).first()
    if client is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                tag = Tag.objects.filter(pk=parse_id(request.POST["remove"]) or 0).first()
                if tag is not None:
                    services.remove_tag(tag=tag, client=client, by=request.user)
            else:
                services.add_tag(name=request.POST.get("tag", ""), client=client, by=request.user)
        except DomainError as problem:
            error = "; ".join(" ".join(v) for v in problem.fields.values())
        if not error and not _is_htmx(request):
            return redirect("client_card", pk=client.pk)
    return render(request, "nurture/partials/client_panel.html", {**_client_panel_context(client), "error": error})


def _client_panel_context(client: Any) -> dict[str, Any]:
    from leadflow.warming.models import BehaviourEvent

    events = BehaviourEvent.objects.filter(Q(client=client) | Q(lead_id=client.lead_id) if client.lead_id
                                           else Q(client=client))
    return {
        "client": client,
        "tags": list(client.tags.all()),
        "enrollments": list(client.enrollments.select_related("sequence")[:20]),
        "mail": list(client.mail_messages.order_by("-created_at")[:20]),
        "events": list(events.order_by("-occurred_at", "-id")[:20]),
    }


# ---------------------------------------------------------------- public pages (no login; signed tokens)


def _message_from(token: str, salt: str) -> MailMessage:
    pk = mail.unsign(token, salt)
    message = MailMessage.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if message is None:
        raise Http404
    return message


@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a one-button page (link scanners never unsubscribe anyone); POST unsubscribes, also the
    RFC 8058 one-click POST a mail client sends with body List-Unsubscribe=One-Click."""
    message = _message_from(token, mail.SALT_UNSUBSCRIBE)
    done = False
    if request.method == "POST":
        mail.unsubscribe(message=message, ip=request.META.get("REMOTE_ADDR"))
        done = True
    return render(request, "nurture/unsubscribe.html", {"message": message, "done": done, "token": token})


def click(request: HttpRequest, token: str, index: int) -> HttpResponse:
    """Only to a URL that was in this very message: never an open redirect."""
    message = _message_from(token, mail.SALT_CLICK)
    if not 0 <= index < len(message.links):
        raise Http404
    url = message.links[index]
    if not url.lower().startswith(("http://", "https://")):
        raise Http404
    _record(message, "email_clicked", url=url)
    return HttpResponseRedirect(url)


PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def opened(request: HttpRequest, token: str) -> HttpResponse:
    message = _message_from(token, mail.SALT_OPEN)
    if message.opened_at is None and MailMessage.objects.filter(pk=message.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()):
        _record(message, "email_opened")
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store"
    return response


def _record(message: MailMessage, kind: str, url: str = "") -> None:
    from leadflow.warming.services import record_behaviour

    if message.lead_id or message.client_id:
        record_behaviour(kind, lead=message.lead, client=message.client, url=url[:1000],
                         properties={"mail_message_id": message.pk})


def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The farewell letter's short survey; answers are stored on the lead."""
    value = mail.unsign(token, mail.SALT_SURVEY)
    lead = Lead.objects.filter(pk=value.get("lead")).first() if isinstance(value, dict) else None
    if lead is None:
        raise Http404
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.answer_survey(lead=lead, reason=request.POST.get("reason", ""),
                                   comment=request.POST.get("comment", ""),
                                   may_contact_later=request.POST.get("may_contact_later") == "on")
        except DomainError as error:
            errors = error.fields
        else:
            return render(request, "nurture/survey.html", {"done": True})
    return render(request, "nurture/survey.html", {
        "reasons": [(k, _(v)) for k, v in services.SURVEY_REASONS.items()], "errors": errors,
        "posted": request.POST if request.method == "POST" else {},
    })

