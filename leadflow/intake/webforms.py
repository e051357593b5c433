"""Web forms: the hosted page /f/<slug>, and the JSON endpoints the embed script (static/intake/embed.js)
uses from other sites. A thin adapter: it checks size, rate and origin, then hands an Inbound to the
pipeline, which journals it first and decides (spam, interest, lead) as for every channel.

The hosted page posts without Django's CSRF token, on purpose: it is a public form with no session
behind it (no ambient authority a forged post could borrow), it must work inside pages cached by
proxies and with cookies blocked, and what CSRF would add against bots is covered by the signed render
time (no token, or sent too fast: spam), the honeypot field and the rate limits.
"""

from __future__ import annotations

import gzip
import json
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from leadflow.core.cors import preflight, with_cors
from leadflow.core.inputs import storable
from leadflow.intake import pipeline, webform_rules
from leadflow.intake.models import Form, SubmissionStatus
from leadflow.leads.models import Channel

EMBED_SCRIPT = Path(__file__).parent / "static" / "intake" / "embed.js"
VISITOR_COOKIE = "leadflow_vid"
FIRST_TOUCH_COOKIE = "leadflow_ft"
COOKIE_AGE = 365 * 24 * 3600
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
# What the visitor's browser may send besides the form's own fields.
CARRIED = (*UTM, "referrer", "landing_page", "visitor_id", webform_rules.FORM_TOKEN, webform_rules.HONEYPOT)


def _form(slug: str) -> Form:
    form = Form.objects.filter(slug=slug, is_active=True).select_related("team", "source").first()
    if form is None:
        raise Http404
    return form


def _texts() -> dict[str, str]:
    return {
        "submit": _("Send"),
        "sending": _("Sending…"),
        "thanks": _("Thank you! We will contact you soon."),
        "failed": _("The form could not be sent. Please try again in a minute."),
        "rate_limited": _("Too many submissions from your address. Please try again later."),
        "consent": _("I agree to be contacted"),
        "document": _("Personal data policy"),
        "honeypot": _("Leave this field empty"),
        "required": _("This field is required."),
    }


def _notices(warnings: list[dict[str, str]]) -> list[str]:
    """What the thank-you says of a slip the submission was taken with: the visitor is asked to look at it."""
    notices = [_("Please check your e-mail address: did you mean %(suggestion)s? We have your request as you sent "
                 "it, and we will confirm the address when we contact you.") % {"suggestion": warning["suggestion"]}
               for warning in warnings if warning.get("code") == "email_typo"]
    # A contact that could not be read, the request taken on the other one (pipeline._keep_unreadable).
    what = {"phone": _("the phone number"), "email": _("the e-mail address")}
    # (a tracking field the page's script sent and Leadflow could not read is the site's matter, not the visitor's)
    for warning in (warning for warning in warnings if warning.get("code") == "unreadable" and warning.get(
            "field") in what):
        if warning.get("read"):  # the rest of a field whose number or address did read (pipeline, phones_and_rest)
            notices.append(_("We could not read “%(value)s” next to %(contact)s. We have your request as you sent it "
                             "and will contact you at %(contact)s.") % {"value": warning.get("value", ""),
                                                                         "contact": warning["read"]})
            continue
        notices.append(_("We could not read %(what)s “%(value)s”. We have your request as you sent it and will "
                         "contact you through the other contact you gave.") % {
            "what": what.get(warning.get("field", ""), ""), "value": warning.get("value", "")})
    return notices


# ---------------------------------------------------------------- consent boxes

# Each purpose is its own unticked box with its own text (152-FZ): name in the form -> purpose.
CONSENT_BOXES = (
    ("consent", "processing", "consent_text", "consent_text_version"),
    ("consent_marketing", "marketing", "marketing_consent_text", "marketing_consent_text_version"),
    ("consent_partners", "partners", "partners_consent_text", "partners_consent_text_version"),
)


def consent_boxes(form: Form) -> list[dict[str, Any]]:
    """The consent boxes this form shows: only the processing one is required."""
    return [
        {"name": name, "purpose": purpose, "text": getattr(form, text_field),
         "version": getattr(form, version_field), "required": purpose == "processing",
         "document_url": form.consent_document_url if purpose == "processing" else ""}
        for name, purpose, text_field, version_field in CONSENT_BOXES if getattr(form, text_field)
    ]


def _ticked(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in webform_rules.TRUTHY)


def _with_consents(form: Form, payload: dict[str, Any], ticked: dict[str, Any]) -> dict[str, Any]:
    """The boxes as the pipeline reads them: `consents` per purpose shown and the version of each text;
    `consent` (processing) as before."""
    boxes = consent_boxes(form)
    if not boxes:
        return payload
    payload["consents"] = {box["purpose"]: _ticked(ticked.get(box["name"])) for box in boxes}
    payload["consent_text_versions"] = {box["purpose"]: box["version"] for box in boxes}
    if form.consent_text:
        payload["consent"] = payload["consents"]["processing"]
        payload["consent_text_version"] = form.consent_text_version
    return payload


# ---------------------------------------------------------------- taking a submission


class Refused(Exception):
    """Refused before the journal: too large, too many, wrong origin. Carries the visitor's answer."""

    def __init__(self, status: int, code: str, message: str, *, retry_after: int = 0):
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def _too_large(request: HttpRequest) -> bool:
    limit = settings.LEADFLOW_FORM_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    return declared > limit or len(request.body) > limit


def _refuse_too_large() -> Refused:
    return Refused(413, "too_large", _("The form is too large: at most %(limit)d bytes.")
                   % {"limit": settings.LEADFLOW_FORM_MAX_BYTES})


def take(request: HttpRequest, form: Form, payload: dict[str, Any]) -> pipeline.Outcome:
    """Rate-limit, collapse a double submit, then journal and process through the pipeline."""
    ip = webform_rules.client_ip(request)
    wait = webform_rules.rate_limited(form, ip)
    if wait:
        raise Refused(429, "rate_limited", _texts()["rate_limited"], retry_after=wait)
    now = timezone.now()
    payload = storable(payload)  # as the journal keeps it: no NUL, no lone surrogate (they break the digest too)
    visitor = str(payload.get("visitor_id") or ip)
    keys = webform_rules.duplicate_keys(form, payload, visitor=visitor, now=now.timestamp())
    earlier = webform_rules.earlier_duplicate(form, keys, now=now)
    if earlier is not None:
        return pipeline.again(earlier, now=now)
    inbound = pipeline.Inbound(channel=Channel.FORM, payload=payload, form=form, remote_addr=ip or None,
                               received_at=now, idempotency_key=keys[0])
    with translation.override(form.language):
        return pipeline.receive(inbound)


def _payload_from_post(request: HttpRequest, form: Form) -> dict[str, Any]:
    """The hosted page's fields as the journal keeps them; unknown keys are ignored."""
    names = [entry["name"] for entry in form.shown_fields()]
    payload: dict[str, Any] = {}
    for name in (*names, *CARRIED):
        value = request.POST.get(name)
        if value is not None:
            payload[name] = value
    payload.setdefault(webform_rules.FORM_TOKEN, "")
    _with_consents(form, payload, {box["name"]: request.POST.get(box["name"]) for box in consent_boxes(form)})
    first = request.get_signed_cookie(FIRST_TOUCH_COOKIE, default=None, salt=FIRST_TOUCH_COOKIE)
    if first:
        try:
            payload["first_touch"] = json.loads(first)
        except ValueError:
            pass
    visitor = request.COOKIES.get(VISITOR_COOKIE, "")
    if visitor and "visitor_id" not in payload:
        payload["visitor_id"] = visitor[:64]
    return payload


# ---------------------------------------------------------------- the hosted page


def _this_touch(request: HttpRequest) -> dict[str, str]:
    """UTM from the address, the referrer (another site only) and this page, as the visitor arrived."""
    touch = {name: request.GET[name][:160] for name in UTM if request.GET.get(name)}
    referrer = request.META.get("HTTP_REFERER", "")
    if referrer.startswith(("http://", "https://")) and urlsplit(referrer).netloc != request.get_host():
        touch["referrer"] = referrer[:1000]
    touch["landing_page"] = request.build_absolute_uri()[:1000]
    return touch


@csrf_exempt  # see the module's docstring
def hosted_form(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the form (works without JavaScript). POST: take it, then the thank-you text or the redirect."""
    form = _form(slug)
    with translation.override(form.language):
        if request.method == "POST":
            return _hosted_post(request, form)
        if request.method != "GET":
            return HttpResponse(status=405, headers={"Allow": "GET, POST"})
        touch = _this_touch(request)
        response = _render_form(request, form, values=touch, errors={})
        if VISITOR_COOKIE not in request.COOKIES:
            # The first visit: remember the visitor and where they came from (first touch).
            response.set_cookie(VISITOR_COOKIE, uuid.uuid4().hex, max_age=COOKIE_AGE, samesite="Lax",
                                httponly=True, secure=request.is_secure())
            response.set_signed_cookie(FIRST_TOUCH_COOKIE, json.dumps(touch), salt=FIRST_TOUCH_COOKIE,
                                       max_age=COOKIE_AGE, samesite="Lax", httponly=True,
                                       secure=request.is_secure())
        return response


def _render_form(request: HttpRequest, form: Form, *, values: dict[str, Any], errors: dict[str, list[str]],
                 status: int = 200, notice: str = "", warnings: list[dict[str, str]] | None = None) -> HttpResponse:
    hints: dict[str, list[str]] = {}
    for warning in pipeline.shown_warnings(warnings or []):
        hints.setdefault(warning["field"], []).append(warning["message"])
    fields = [{**entry, "value": values.get(entry["name"], ""), "errors": errors.get(entry["name"], []),
               "hints": hints.get(entry["name"], [])} for entry in form.shown_fields()]
    carried = {name: values[name] for name in (*UTM, "referrer", "landing_page") if values.get(name)}
    general = [message for name, problems in errors.items() if name not in {f["name"] for f in fields}
               and name != "consent" and not name.startswith("consent") for message in problems]
    # After a refused post the page keeps the first render's time, so fixing one field is not "too fast".
    token = values.get(webform_rules.FORM_TOKEN, "")
    if webform_rules.shown_at(form, token) is None:
        token = webform_rules.issue_token(form)
    context = {
        "form": form, "fields": fields, "carried": carried, "token": token,
        "honeypot": webform_rules.HONEYPOT, "consent_errors": errors.get("consent", []),
        "consent_checked": values.get("consent") in (True, "on"), "general_errors": general, "notice": notice,
        "consent_boxes": [{**box, "checked": values.get(box["name"]) in (True, "on"),
                           "errors": errors.get(box["name"], []) + errors.get(f"consents.{box['purpose']}", [])}
                          for box in consent_boxes(form)],
        "texts": _texts(),
    }
    response = render(request, "intake/form_page.html", context, status=status)
    if form.redirect_url:
        # The page's Content-Security-Policy lets forms post only to this site, and the browser applies that to
        # the redirect after posting too: the redirect's site is added for this page.
        target = urlsplit(form.redirect_url)
        response._csp_update = {"form-action": [f"{target.scheme}://{target.netloc}"]}  # read by django-csp
    return response


def _hosted_post(request: HttpRequest, form: Form) -> HttpResponse:
    try:
        if _too_large(request):
            raise _refuse_too_large()
        payload = _payload_from_post(request, form)
        outcome = take(request, form, payload)
    except Refused as refused:
        values = {} if refused.status == 413 else request.POST.dict()
        response = _render_form(request, form, values=values, errors={}, status=refused.status,
                                notice=refused.message)
        if refused.retry_after:
            response["Retry-After"] = str(refused.retry_after)
        return response
    if outcome.status == SubmissionStatus.INVALID:
        # A slip in the e-mail is shown next to it while the visitor corrects the other fields anyway.
        return _render_form(request, form, values=request.POST.dict(), errors=outcome.errors, status=422,
                            warnings=outcome.warnings)
    if form.redirect_url:
        return HttpResponseRedirect(form.redirect_url)
    # Taken as typed (nothing is lost); the visitor is asked to look at the address, the manager sees the same
    # suggestion on the card and accepts it with one click.
    return render(request, "intake/form_thanks.html", {"form": form, "texts": _texts(),
                                                        "notices": _notices(outcome.warnings)})


# ---------------------------------------------------------------- the embed script's endpoints


def _error(status: int, code: str, message: str, fields: dict[str, list[str]] | None = None,
           **extra: Any) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": fields or {}}, **extra}, status=status)


def _origin_refused(request: HttpRequest, form: Form) -> bool:
    """A cross-site call from an origin the form does not list (same-site calls carry no Origin or ours)."""
    origin = request.headers.get("Origin", "")
    if not origin:
        return False
    own = f"{request.scheme}://{request.get_host()}"
    return origin != own and not form.allows_origin(origin)


@require_GET
def form_config(request: HttpRequest, slug: str) -> HttpResponse:
    """What the embed script needs to draw the form, in the form's language, with a fresh render token."""
    form = _form(slug)
    if _origin_refused(request, form):
        refused = _error(403, "origin_not_allowed", "This site may not embed the form.")
        return with_cors(request, form.allows_origin, refused)
    with translation.override(form.language):
        texts = _texts()
        data = {
            "language": form.language, "title": form.title,
            "fields": [{k: entry[k] for k in ("name", "type", "required", "label")} for entry in form.shown_fields()],
            "consent_text": form.consent_text, "consent_text_version": form.consent_text_version,
            "consents": consent_boxes(form),
            "submit_label": form.submit_label or texts["submit"],
            "thank_you_text": form.thank_you_text or texts["thanks"], "redirect_url": form.redirect_url,
            "token": webform_rules.issue_token(form), "honeypot": webform_rules.HONEYPOT, "texts": texts,
        }
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"  # the render token must be fresh
    return with_cors(request, form.allows_origin, response)


@csrf_exempt  # cross-site by design; the origin list, token and limits protect it (module docstring)
def form_submit(request: HttpRequest, slug: str) -> HttpResponse:
    """POST JSON from the embed script; OPTIONS is the browser's preflight."""
    form = _form(slug)
    if request.method == "OPTIONS":
        return preflight(request, form.allows_origin)
    if request.method != "POST":
        return with_cors(request, form.allows_origin, _error(405, "method_not_allowed", "Use POST."))
    with translation.override(form.language):
        response = _submit_json(request, form)
    return with_cors(request, form.allows_origin, response)


def _submit_json(request: HttpRequest, form: Form) -> HttpResponse:
    if _origin_refused(request, form):
        # A simple (text/plain) cross-site post skips the preflight; it is refused here before the journal.
        return _error(403, "origin_not_allowed", _("This site may not send the form."))
    if _too_large(request):
        refused = _refuse_too_large()
        return _error(refused.status, refused.code, refused.message)
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "bad_json", _("The body is not valid JSON."))
    if not isinstance(payload, dict):
        return _error(422, "validation_error", _("Some fields are invalid."),
                      {"__all__": [_("The body must be a JSON object.")]})
    boxes = {name for name, *_rest in CONSENT_BOXES}
    allowed = {*(entry["name"] for entry in form.shown_fields()), *CARRIED, "first_touch"}
    ticked = {key: value for key, value in payload.items() if key in boxes}
    had_consent = "consent" in payload
    payload = {key: value for key, value in payload.items() if key in allowed}
    payload.setdefault(webform_rules.FORM_TOKEN, "")
    if consent_boxes(form):
        _with_consents(form, payload, ticked)
    elif had_consent:
        payload["consent"] = ticked["consent"]
        payload["consent_text_version"] = form.consent_text_version
    try:
        outcome = take(request, form, payload)
    except Refused as refused:
        response = _error(refused.status, refused.code, refused.message)
        if refused.retry_after:
            response["Retry-After"] = str(refused.retry_after)
        return response
    # Computed from the typed text alone, whatever the outcome. The script shows each field's messages and the
    # thank-you text as they come, so the suggestion is put there too (and kept apart in "warnings" for others).
    warnings = pipeline.shown_warnings(outcome.warnings)
    if outcome.status == SubmissionStatus.INVALID:
        fields = {name: list(problems) for name, problems in outcome.errors.items()}
        for warning in warnings:
            fields.setdefault(warning["field"], []).append(warning["message"])
        return _error(422, "validation_error", _("Some fields are invalid."), fields,
                      **({"warnings": warnings} if warnings else {}))
    # Spam, interest, lead or a duplicate all look the same from outside: the form learns nothing of the base.
    body: dict[str, Any] = {"status": "received", "redirect_url": form.redirect_url,
                            "thank_you_text": " ".join([form.thank_you_text or _texts()["thanks"],
                                                        *_notices(outcome.warnings)])}
    if warnings:
        body["warnings"] = warnings
    return JsonResponse(body)


@lru_cache(maxsize=8)
def _script(path: Path, *, gzipped: bool) -> bytes:
    raw = path.read_bytes()
    return gzip.compress(raw, mtime=0) if gzipped else raw


@require_GET
def embed_script(request: HttpRequest) -> HttpResponse:
    """The embed script at a stable address (/f/embed.js), whatever STATIC_URL is; about 3 KB gzipped."""
    return serve_script(request, EMBED_SCRIPT)


def serve_script(request: HttpRequest, path: Path) -> HttpResponse:
    """A script other sites load from us (the form embed, the tracker): gzipped when asked, cached an hour."""
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    response = HttpResponse(_script(path, gzipped=gzipped), content_type="text/javascript; charset=utf-8")
    if gzipped:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def embed_snippet(form: Form, base_url: str) -> str:
    """The tag a site owner pastes where the form should appear."""
    return f'<script src="{base_url.rstrip("/")}/f/embed.js" data-leadflow-form="{form.slug}" async></script>'
