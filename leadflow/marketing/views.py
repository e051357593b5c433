"""The marketer's writes from the web: campaign spend imported from a CSV file."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow.accounts.models import Role
from leadflow.marketing.services import error_place, import_spend, spend_text

MAX_UPLOAD = 5 * 1024 * 1024


@login_required
@require_POST
def upload_spend(request: HttpRequest) -> HttpResponse:
    """Admin or marketer: a CSV of campaign,day,clicks,cost; errors name the line and the field."""
    user = request.user
    if not (user.is_admin or user.role == Role.MARKETER):
        raise Http404
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("file: choose a CSV file to import."))
    elif upload.size > MAX_UPLOAD:
        messages.error(request, _("file: the file is larger than 5 MB."))
    else:
        try:
            text = spend_text(upload.read())
        except UnicodeDecodeError:
            messages.error(request, _("file: the file is not text (save it from the spreadsheet as CSV)."))
        else:
            result = import_spend(text=text)
            if result.errors:
                places = list(result.errors.items())[:20]
                messages.error(request, _("Nothing imported. %(errors)s") % {"errors": "; ".join(
                    f"{error_place(where)}: {', '.join(problems)}" for where, problems in places)})
            else:
                messages.success(request, _("%(count)d day(s) of spend imported.") % {"count": result.saved})
    return redirect("analytics_report", key="costs")
