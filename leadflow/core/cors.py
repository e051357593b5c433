"""Cross-site calls from the pages a hosted form or a tracking site lists: CORS headers for those origins only.

Both take JSON POSTs from other sites' pages (so the browser first sends an OPTIONS preflight) and answer only
the origins their admin listed; every other origin gets the answer without the headers, which the browser then
keeps from the page."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def with_cors(request: HttpRequest, allows_origin: Callable[[str], bool], response: HttpResponse) -> HttpResponse:
    """Let the calling page read `response` when its origin is listed (Retry-After too, for the limits)."""
    origin = request.headers.get("Origin", "")
    response["Vary"] = "Origin"
    if origin and allows_origin(origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "Retry-After"
    return response


def preflight(request: HttpRequest, allows_origin: Callable[[str], bool]) -> HttpResponse:
    """The answer to the browser's OPTIONS before a JSON POST: allowed only for a listed origin."""
    response = HttpResponse(status=204)
    if allows_origin(request.headers.get("Origin", "")):
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
    return with_cors(request, allows_origin, response)
