"""Submitting leads over HTTP: a thin adapter from a request to the intake pipeline."""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from leadflow.accounts.auth import BearerTokenAuth, partner_from_key
from leadflow.core.errors import NotFound, Unauthorized
from leadflow.core.inputs import PathId, text_problem
from leadflow.intake import builders, pipeline, webform_rules
from leadflow.intake.attribution import created_it, creating_submissions
from leadflow.intake.models import Form, Submission, SubmissionStatus
from leadflow.leads.models import Channel, Lead

router = Router(tags=["intake"])

MAX_BODY = 64 * 1024
PARTNER_DECISION = {
    SubmissionStatus.CREATED: "accepted",
    SubmissionStatus.ATTACHED: "duplicate",
    SubmissionStatus.INVALID: "invalid",
    SubmissionStatus.SPAM: "invalid",
    SubmissionStatus.INTEREST: "invalid",
    SubmissionStatus.FAILED: "pending",
    SubmissionStatus.RECEIVED: "pending",
}


def decision_of(submission: Submission) -> str:
    """What became of a submission, as the partner report counts it: an accepted one whose person turned out to be a
    lead already (its card merged into an earlier one) is a duplicate, as it would have been had it matched on
    arrival. Reads the `created_it` annotation (intake.attribution) when the query made it, else asks."""
    if submission.status == SubmissionStatus.CREATED:
        created = getattr(submission, "created_it", None)
        if created is None:
            created = creating_submissions().filter(pk=submission.pk).exists()
        if not created:
            return PARTNER_DECISION[SubmissionStatus.ATTACHED]
    return PARTNER_DECISION.get(submission.status, "pending")


HTTP_STATUS = {
    SubmissionStatus.CREATED: 201,
    SubmissionStatus.ATTACHED: 200,
    SubmissionStatus.INTEREST: 202,
    SubmissionStatus.SPAM: 202,
    SubmissionStatus.INVALID: 422,
    SubmissionStatus.FAILED: 503,
    SubmissionStatus.RECEIVED: 202,
}


FORM_ENCODED = ("application/x-www-form-urlencoded", "multipart/form-data")


def _form_encoded(request: HttpRequest) -> dict[str, Any]:
    """A form-encoded or multipart body as a payload; ValueError when it does not parse (never a server error)."""
    if request.content_type == "multipart/form-data":
        try:
            return {key: values if len(values) > 1 else values[0] for key, values in request.POST.lists()}
        except MultiPartParserError as error:
            raise ValueError(str(error)) from error
    return builders.url_encoded(request.body, request.META.get("CONTENT_TYPE", ""))


def _builders_own_key(payload: dict[str, Any]) -> str:
    """A builder's id of one submission (Tilda's `tranid`), sent again with it when the builder retries a webhook
    that did not answer in time: the same key, so the retry is the first submission again, not a second request."""
    tranid = payload.get("tranid")
    return f"tranid:{tranid.strip()}"[:255] if isinstance(tranid, str) and tranid.strip() else ""


class SubmissionOut(Schema):
    submission_id: int
    status: str
    decision: str
    lead_id: int | None = None
    client_id: int | None = None
    reason: str = ""
    warnings: list[dict[str, str]] = Field(
        [], description='Present when something was taken as typed but looks like a slip, e.g. [{"field": "email", '
                        '"code": "email_typo", "suggestion": "ivan@gmail.com", "message": "Did you mean '
                        'ivan@gmail.com?"}]; the submission is taken as typed all the same. Codes: email_typo, '
                        'unreadable (a value or a remark next to it kept as given, with "value" and "problem"), '
                        'too_long (a text cut to its field, kept whole as given; not on the API, which refuses it).')


# What a web form or a builder's webhook sends for a text, and intake reads: a string, a number (read as its text, as
# a spreadsheet's phone column 79123456789) or, from a PHP form's `name[]`, a list of them (read as one text).
FormText = str | float | list[str | float | None] | None


class LeadSubmission(Schema):
    """The fields Leadflow reads from a submission; any other keys are kept in the journal. A lead needs a name and
    a phone or an e-mail, each readable: a submission without is refused with 422 naming the field (`__all__` when
    it has none of them), and stays journaled (`submission_id`). Each text field takes what web forms and builders'
    webhooks send: a string, a number (read as its text) or a list of them (read as one text)."""

    name: FormText = None
    first_name: FormText = None
    last_name: FormText = None
    middle_name: FormText = None
    phone: FormText = None
    email: FormText = None
    company: FormText = None
    position: FormText = None
    city: FormText = None
    product_interest: FormText = None
    company_size: Annotated[int, Field(ge=0, le=10_000_000)] | str | None = Field(None, description=(
        'Employees: a number, or as people write it ("1 000", "50-100", "100+"); one that cannot be read as a '
        "number is refused with 422 naming the field"))
    deal_type: FormText = None
    message: FormText = None
    consent: bool | int | str | None = Field(None, description=(
        'true, or what a form or a spreadsheet writes for yes: "on", "1", 1, "yes", "да", "+", ...; anything else '
        "(false, 0, \"нет\", empty) is no consent"))
    consent_text_version: FormText = None
    utm_source: FormText = None
    utm_medium: FormText = None
    utm_campaign: FormText = None
    utm_content: FormText = None
    utm_term: FormText = None
    referrer: FormText = None
    landing_page: FormText = None
    region: str | None = None
    form_key: str | None = None
    visitor_id: FormText = None
    first_touch: dict[str, str] | None = None  # utm_*, referrer, landing_page of the first visit: kept on a new lead


def _who(request: HttpRequest, payload: dict[str, Any]) -> pipeline.Inbound | None:
    """The sender: partner key, form key, or a logged-in user (manual entry / API)."""
    partner = partner_from_key(request.headers.get("X-Api-Key", ""))
    if partner is not None:
        return pipeline.Inbound(channel=Channel.PARTNER, payload=payload, partner=partner)
    form_key = request.headers.get("X-Form-Key") or payload.get("form_key") or ""
    if isinstance(form_key, str) and form_key:
        form = Form.objects.filter(public_key=form_key, is_active=True).select_related("team", "source").first()
        if form is not None:
            return pipeline.Inbound(channel=Channel.FORM, payload=payload, form=form)
        return None
    user = BearerTokenAuth()(request) or (request.user if request.user.is_authenticated else None)
    if user is not None and user.is_active:
        return pipeline.Inbound(channel=Channel.MANUAL if user.role != "admin" else Channel.API, payload=payload,
                                submitted_by=user)
    return None


def answer(request: HttpRequest, outcome: pipeline.Outcome, *, public: bool) -> HttpResponse:
    from leadflow.api import api, error_response

    status = outcome.status
    body: dict[str, Any] = {
        "submission_id": outcome.submission.pk,
        "status": status,
        "decision": PARTNER_DECISION.get(status, "pending"),
        "reason": outcome.reason,
    }
    if public:
        # A public form key is visible in any page's source: it learns nothing about the base.
        body = {"submission_id": outcome.submission.pk, "status": "received" if status != "invalid" else status}
    else:
        body["lead_id"] = outcome.lead.pk if outcome.lead else None
        body["client_id"] = outcome.client.pk if outcome.client else None
    # Computed from what the sender typed alone (no fact of the base), so a public form gets them too; the key is
    # there only when there is something to say.
    warnings = pipeline.shown_warnings(outcome.warnings)
    if warnings:
        body["warnings"] = warnings
    if status == SubmissionStatus.INVALID:
        response = error_response(request, 422, "validation_error", _("Some fields are invalid."), outcome.errors)
        data = json.loads(response.content)
        data["submission_id"] = outcome.submission.pk
        if warnings:
            data["warnings"] = warnings
        response = api.create_response(request, data, status=422)
    elif status == SubmissionStatus.FAILED:
        response = error_response(request, 503, "processing_failed",
                                  _("Received and journaled, but processing failed; Leadflow tries it again by "
                                    "itself. Ask for its status, or send it again with the same Idempotency-Key."))
        data = json.loads(response.content)
        data["submission_id"] = outcome.submission.pk
        response = api.create_response(request, data, status=503)
        response["Retry-After"] = "60"
    else:
        response = api.create_response(request, body, status=200 if public else HTTP_STATUS[status])
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.post(
    "/submissions",
    auth=None,
    response={200: SubmissionOut, 201: SubmissionOut, 202: SubmissionOut},
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": LeadSubmission.json_schema()}}, "required": True},
        "parameters": [
            {"in": "header", "name": "X-Form-Key", "schema": {"type": "string"}, "required": False},
            {"in": "header", "name": "X-Api-Key", "schema": {"type": "string"}, "required": False},
            {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}, "required": False},
        ],
    },
    summary="Submit a lead (form key, partner key or user)",
)
def submit(request: HttpRequest) -> HttpResponse:
    """Journal the raw submission, then run the pipeline; answers created / attached / interest /
    spam, or 422 with per-field errors (the submission stays journaled either way)."""
    from leadflow.api import api, error_response

    if len(request.body) > MAX_BODY:
        too_large = _("The body may be at most %(limit)d bytes.") % {"limit": MAX_BODY}
        return error_response(request, 413, "too_large", too_large)
    content_type = request.content_type or ""
    try:
        if content_type in FORM_ENCODED:
            # A website builder's webhook (Tilda, WordPress plugins) posts the visitor's fields as a form does.
            payload: Any = _form_encoded(request)
        else:
            payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        if content_type in FORM_ENCODED:
            return error_response(request, 400, "bad_form", _("The body is not a readable form."))
        return error_response(request, 400, "bad_json", _("The body is not valid JSON."))
    if not isinstance(payload, dict):
        return error_response(request, 422, "validation_error", _("Some fields are invalid."),
                              {"__all__": [_("The body must be a JSON object.")]})
    if builders.is_test_ping(payload):
        # The builder checks the address when its webhook is set up and refuses one that does not answer 200.
        return api.create_response(request, {"status": "ok"}, status=200)
    form_key = request.GET.get("form_key", "")
    if form_key and "form_key" not in payload:
        # A webhook address is all some builders let one set: a form's public key may be in it (never a secret one)
        payload["form_key"] = form_key
    inbound = _who(request, payload)
    if inbound is None:
        return error_response(request, 401, "unauthorized", _("A valid X-Api-Key, X-Form-Key or user token is needed."))
    inbound.remote_addr = request.META.get("REMOTE_ADDR")
    if inbound.form is not None:
        # A form's key is public (it may sit in any page's source): the same per-address and per-form
        # limits as the form's own page, so a bot cannot go around them through the API.
        server_token = request.GET.get("server_token", "")
        if server_token and not inbound.form.is_server_token(server_token):
            # said, not ignored: the admin setting up the builder's webhook sees why it fails
            return error_response(request, 401, "unauthorized", _("The builder webhook token is wrong."), {
                "server_token": [_("Not this form's builder webhook token: issue a new address in the form's admin.")]})
        wait = webform_rules.rate_limited(inbound.form, webform_rules.client_ip(request), per_ip=not server_token)
        if wait:
            response = error_response(request, 429, "rate_limited", _("Too many submissions; try again later."))
            response["Retry-After"] = str(wait)
            return response
    key = request.headers.get("Idempotency-Key", "").strip() or _builders_own_key(payload)
    if len(key) > 255 or text_problem(key):
        return error_response(request, 422, "validation_error", _("Some fields are invalid."),
                              {"Idempotency-Key": [text_problem(key) or _("At most 255 characters.")]})
    inbound.idempotency_key = key
    outcome = pipeline.receive(inbound)
    return answer(request, outcome, public=inbound.form is not None)


class SubmissionStatusOut(Schema):
    submission_id: int
    channel: str
    status: str
    decision: str
    received_at: str
    errors: dict
    lead_id: int | None
    client_id: int | None
    duplicate_found_at: str | None = Field(None, description="When a later merge found this accepted submission to "
                                                              "be a person who was a lead already (not paid)")


@router.get("/submissions/{submission_id}", auth=None, response=SubmissionStatusOut,
            summary="Status of a submission (the partner that sent it, or a head / admin)")
def submission_status(request: HttpRequest, submission_id: PathId) -> dict[str, Any]:
    partner = partner_from_key(request.headers.get("X-Api-Key", ""))
    user = None if partner else (BearerTokenAuth()(request) or request.user)
    submission = (Submission.objects.filter(pk=submission_id).select_related("lead")
                  .annotate(created_it=created_it()).first())
    if submission is None:
        raise NotFound("submission")
    if partner is not None:
        allowed = submission.partner_id == partner.pk
    elif user is not None and user.is_authenticated and user.is_active:
        allowed = user.is_admin or submission.submitted_by_id == user.pk or (
            submission.lead_id is not None and Lead.objects.visible_to(user).filter(pk=submission.lead_id).exists()
        )
    else:
        raise Unauthorized()
    if not allowed:
        raise NotFound("submission")
    return {
        "submission_id": submission.pk, "channel": submission.channel, "status": submission.status,
        "decision": decision_of(submission),
        "received_at": submission.received_at.isoformat(), "errors": submission.errors,
        "lead_id": submission.lead_id, "client_id": submission.client_id,
        "duplicate_found_at": submission.duplicate_found_at.isoformat() if submission.duplicate_found_at else None,
    }


if settings.LEADFLOW_BENCHMARK_ENDPOINTS:

    @router.post("/bench/insert", auth=None, include_in_schema=False)
    def bench_insert(request: HttpRequest) -> HttpResponse:
        """Benchmark baseline: parse the same JSON and insert one journal row, nothing else."""
        from leadflow.api import api

        payload = json.loads(request.body or b"{}")
        row = Submission.objects.create(channel="bench", payload=payload)
        return api.create_response(request, {"submission_id": row.pk}, status=201)
