"""The REST API root: one NinjaAPI, its error format, and the routers of the apps."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from leadflow.accounts.auth import BearerTokenAuth, partner_from_key, user_auth
from leadflow.core.errors import DomainError
from leadflow.core.inputs import MAX_INT, CheckedParser

log = logging.getLogger(__name__)

def docs_gate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """/api/docs and /api/openapi.json as LEADFLOW_API_DOCS says (read per request)."""

    @functools.wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        mode = settings.LEADFLOW_API_DOCS
        if mode == "off":
            raise Http404
        if mode == "signed-in" and not _signed_in(request):
            if request.path.endswith("/openapi.json"):
                return HttpResponse(
                    json.dumps({"error": {"code": "unauthorized", "fields": {},
                                          "message": "Sign in, or give a personal token or a partner key."}}),
                    status=401, content_type="application/json")
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return gated


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        return True
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and BearerTokenAuth().authenticate(request, header[7:].strip()):
        return True
    return partner_from_key(request.headers.get("X-Api-Key", "")) is not None


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "fields"],
        "properties": {
            "code": {"type": "string", "description": "Stable, for programs: validation_error, unauthorized, "
                                                      "forbidden, not_found, rate_limited, processing_failed, ..."},
            "message": {"type": "string", "description": "For people, in the reader's language (Accept-Language)."},
            "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                       "description": "Per field, what is wrong with it (__all__: the request as a whole)."},
        },
    }},
}


class LeadflowAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document also describes the error every endpoint may answer, so a client generated
    from it reads `{"error": {"code", "message", "fields"}}` (400, 401, 403, 404, 409, 422, 429, 503)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        error = {"description": "An error: see `code`, `message` and `fields`.",
                 "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["responses"].setdefault("default", error)
        _integers_fit_64_bits(schema)
        return schema


def _integers_fit_64_bits(node: Any) -> None:
    """Every integer of the document between -2**63 and 2**63-1 unless it says narrower bounds: what the API's
    parser (CheckedParser) refuses past that in any body (no column holds it), and all an id can be."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("minimum", -MAX_INT - 1)
            node.setdefault("maximum", MAX_INT)
        for value in node.values():
            _integers_fit_64_bits(value)
    elif isinstance(node, list):
        for value in node:
            _integers_fit_64_bits(value)


api = LeadflowAPI(
    title="Leadflow API",
    version="1",
    description=(
        "Submit leads (public form key or partner API key), work them (claim, assign, stage, refuse, "
        "defer, convert), tasks, clients and companies. Users authenticate with a personal token "
        "(`Authorization: Bearer ...`) or the web session. Errors are "
        '`{"error": {"code", "message", "fields"}}`. No text may hold the NUL character (U+0000) and no integer may be '
        "past 64 bits: a request with one, in any field (even one Leadflow ignores), key or parameter, is refused "
        "with 422 naming where it is. A field of a JSON body takes the JSON type stated for it and no other "
        "(422 naming the field and the type): an integer is a number without a fraction (never \"5\", 5.0, true "
        "or false), a string is never a number, a boolean is true or false (never \"true\" or 1), and a list or "
        "an object is never a single value, nor the other way round. In a query string (or a path), an integer is "
        "written in digits "
        "(`?limit=50`, not `5.0` or `+5`) and a boolean as true or false (not 1 or yes). A date, "
        "or a date and time, is an ISO 8601 string (never a number) within the years 1 to 9999 (in UTC). "
        "A date and time without a UTC offset (`2026-11-20T10:00`) is local time: the user's "
        "time zone (their own, else their team's, else the site's, LEADFLOW_TIME_ZONE), or the site's for a partner "
        "key. An id in a path is a whole number from 1 (0 or a negative one is refused with 422 naming it). A value "
        "from a list of choices (an enum) is taken as the list spells it, without spaces around it. "
        "A rule this document cannot state "
        "(a date after today, a record that must exist, one field or another) is in the field's or the operation's "
        "description, and a request that breaks it is refused with 422 naming the field."
    ),
    auth=user_auth,
    urls_namespace="api",
    parser=CheckedParser(),
    docs_decorator=docs_gate,
)


def error_response(request: HttpRequest, status: int, code: str, message: str,
                   fields: dict[str, list[str]] | None = None) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status
    )


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return error_response(request, error.status, error.code, error.message, error.fields)


SOURCES = ("body", "query", "path", "header", "cookie", "form", "file")
WRAPPERS = ("payload", "data", "filters")  # the names endpoints give their body or filter schema


def _field_name(loc: list) -> str:
    # ninja reports ("body", "payload", "until"); the user knows the field as "until". Only the leading
    # source and wrapper go: a field may itself be called "body" or "data".
    parts = list(loc)
    if parts and parts[0] in SOURCES:
        parts = parts[1:]
        if parts and parts[0] in WRAPPERS:
            parts = parts[1:]
    return ".".join(str(p) for p in parts) or "__all__"


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for item in error.errors:
        fields.setdefault(_field_name(list(item.get("loc", []))), []).append(str(item.get("msg", "invalid")))
    return error_response(request, 422, "validation_error", _("Some fields are invalid."), fields)


@api.exception_handler(DjangoValidationError)
def model_validation_error(request: HttpRequest, error: DjangoValidationError) -> HttpResponse:
    fields = {k: [str(m) for m in v] for k, v in error.message_dict.items()} if hasattr(error, "error_dict") \
        else {"__all__": [str(m) for m in error.messages]}
    return error_response(request, 422, "validation_error", _("Some fields are invalid."), fields)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthorized", _("Authentication required: a token, key or session."))


@api.exception_handler(AuthorizationError)
def authorization_error(request: HttpRequest, error: AuthorizationError) -> HttpResponse:
    return error_response(request, 403, "forbidden", str(error) or _("You may not do this."))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # ninja answers any failure of the body parser with a bare 400; the parser's own refusals name fields.
    if isinstance(error.__cause__, ValidationError):
        return validation_error(request, error.__cause__)
    if error.status_code == 400 and isinstance(error.__cause__, ValueError):
        return error_response(request, 400, "bad_json", _("The body is not valid JSON (UTF-8)."))
    code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 429: "rate_limited"}
    return error_response(request, error.status_code, code.get(error.status_code, "error"), str(error))


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, error: Exception) -> HttpResponse:
    if settings.DEBUG:
        raise error
    log.exception("unhandled API error")
    return error_response(request, 500, "internal_error", "Something went wrong on our side; it is logged.")


from leadflow.clients.api import router as clients_router  # noqa: E402
from leadflow.intake.api import router as intake_router  # noqa: E402
from leadflow.leads.api import interests_router, merges_router, tasks_router  # noqa: E402
from leadflow.leads.api import router as leads_router  # noqa: E402

api.add_router("/", intake_router)
api.add_router("/leads", leads_router)
api.add_router("/tasks", tasks_router)
api.add_router("/interests", interests_router)
api.add_router("/merges", merges_router)
api.add_router("/", clients_router)

from leadflow.partners.api import router as partners_router  # noqa: E402

api.add_router("/partner", partners_router)

from leadflow.telephony.api import router as telephony_router  # noqa: E402

api.add_router("/", telephony_router)

from leadflow.analytics.api import router as analytics_router  # noqa: E402

api.add_router("/analytics", analytics_router)

from leadflow.scoring.api import router as scoring_router  # noqa: E402

api.add_router("/", scoring_router)

from leadflow.privacy.api import router as privacy_router  # noqa: E402

api.add_router("/privacy", privacy_router)

from leadflow.nurture.api import router as nurture_router  # noqa: E402

api.add_router("/", nurture_router)

from leadflow.warming.api import router as warming_router  # noqa: E402

api.add_router("/", warming_router)
