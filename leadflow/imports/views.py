"""Import pages (upload, map with a preview, dry run, run with a progress bar, error file) and the
lead list export. Every view checks who is asking: heads of sales and admins import (a head sees
only their own imports); anyone who works leads exports exactly the list they see.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow.core.errors import DomainError
from leadflow.core.spreadsheet import csv_dialect
from leadflow.imports import export, services
from leadflow.imports.forms import MappingForm, UploadForm
from leadflow.imports.models import ImportJob, ImportKind, ImportStatus
from leadflow.intake.models import SubmissionStatus
from leadflow.leads.views import chosen_sort, filtered_leads, require_sales


def require_importer(request: HttpRequest) -> None:
    if not services.can_import(request.user):
        raise Http404


def visible_job(request: HttpRequest, pk: int) -> ImportJob:
    require_importer(request)
    job = services.jobs_visible_to(request.user).select_related("source", "campaign", "created_by").filter(
        pk=pk).first()
    if job is None:
        raise Http404
    return job


def _errors_text(error: DomainError) -> str:
    return " ".join(" ".join(problems) for problems in error.fields.values()) or error.message


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    require_importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.create_job(upload=form.cleaned_data["file"], by=request.user,
                                      kind=form.cleaned_data["kind"] or ImportKind.LEADS)
        except DomainError as error:
            form.add_error("file", _errors_text(error))
        else:
            return redirect("import_job", pk=job.pk)
    jobs = services.jobs_visible_to(request.user).select_related("created_by")[:50]
    return render(request, "imports/list.html", {"form": form, "jobs": jobs}, status=400 if form.errors else 200)


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's page: mapping with a preview (and the dry run's answer), or the progress, or the result."""
    job = visible_job(request, pk)
    form = MappingForm(request.POST or None, job=job)
    if request.method == "POST":
        if job.status in (ImportStatus.RUNNING, ImportStatus.DONE) or (job.is_busy and not job.is_stalled):
            messages.error(request, _("The import is running or done; the mapping cannot change."))
            return redirect("import_job", pk=job.pk)
        if form.is_valid():
            try:
                services.set_mapping(job=job, mapping=form.mapping(), source=form.cleaned_data["source"],
                                     campaign=form.cleaned_data["campaign"], region=form.cleaned_data["region"],
                                     by=request.user)
                services.enqueue(job, dry=True, by=request.user)
            except DomainError as error:
                form.add_error(None, _errors_text(error))
            else:
                return redirect("import_job", pk=job.pk)
    headers, sample = job.headers, []
    if job.status in (ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED) or (
            job.status == ImportStatus.CHECKING and job.is_stalled):
        sample = services.preview(job)
    outcomes = dict(SubmissionStatus.choices)
    # An interest's reason is stored as the pipeline's key ("no usable contact"): worded here for the reader.
    report = [{**item, "outcome": outcomes.get(item["status"], item["status"]),
               "detail": _(item["detail"]) if item["status"] == "interest" and item["detail"] else item["detail"]}
              for item in job.report]
    context = {"job": job, "form": form, "headers": headers, "sample": sample, "report": report,
               "warned": sum(1 for item in report if item.get("warning"))}
    return render(request, "imports/job.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    job = visible_job(request, pk)
    try:
        services.enqueue(job, dry=False, by=request.user)
    except DomainError as error:
        messages.error(request, _errors_text(error))
    return redirect("import_job", pk=job.pk)


@login_required
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar htmx polls; once the job is no longer busy, the page reloads to show the result."""
    job = visible_job(request, pk)
    response = render(request, "imports/partials/progress.html", {"job": job})
    if not job.is_busy:
        response["HX-Refresh"] = "true"
    return response


@login_required
def import_error_file(request: HttpRequest, pk: int) -> HttpResponse:
    job = visible_job(request, pk)
    if not job.error_file:
        raise Http404
    return FileResponse(job.error_file.open("rb"), as_attachment=True, filename=Path(job.error_file.name).name,
                        content_type="text/csv; charset=utf-8")


@login_required
def lead_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The lead list with the page's filters, as CSV (streamed) or XLSX (written in constant memory)."""
    require_sales(request)
    form, qs = filtered_leads(request)
    if qs is None:
        messages.error(request, _("Fix the filters first."))
        return redirect(f"{reverse('lead_list')}?{request.GET.urlencode()}")
    # Labels and times are fixed now: the streamed body is produced after the middleware has finished.
    columns = export.lead_columns(timezone.get_current_timezone())
    sort = chosen_sort(request, form)  # the rows in the order the list shows them
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    if file_format == "xlsx":
        return FileResponse(export.write_xlsx(qs, columns, sort=sort), as_attachment=True,
                            filename=f"leads-{stamp}.xlsx",
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = StreamingHttpResponse(export.csv_lines(qs, columns, dialect=csv_dialect(), sort=sort),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.csv"'
    return response
