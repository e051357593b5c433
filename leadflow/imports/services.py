"""Import a file of leads through the intake pipeline: upload, map, dry run, run, error file.

Every row goes the one road in (leadflow.intake.pipeline): journaled as a Submission (channel
"import"), validated, classified, matched against the leads and clients AND the rows imported
before it, then attached or created and routed. Nothing in an import skips validation or matching.

Speed: rows are journaled with one bulk insert per chunk of 200 and processed many rows per
transaction (each row in its own savepoint, so one failing row never loses the others): 200 on
PostgreSQL, 25 on SQLite, whose single write lock is let go between them for the web requests.
Per-row notifications are collected and each person gets one summary, and imported leads raise no
speed-to-lead alarms: a manager should not get 100,000 e-mails.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadflow.accounts.models import Role, User
from leadflow.core.errors import Forbidden, InvalidInput
from leadflow.core.spreadsheet import csv_dialect
from leadflow.imports import readers
from leadflow.imports.mapping import CLIENT_FIELDS, fields_for, guess_mapping, payload_of
from leadflow.imports.models import STALLED_AFTER, ImportJob, ImportKind, ImportStatus
from leadflow.intake import pipeline
from leadflow.intake.models import Submission, SubmissionStatus
from leadflow.leads import services as leads
from leadflow.leads.models import Lead
from leadflow.marketing.models import Campaign, Source
from leadflow.matching import services as matching
from leadflow.matching.compare import compare
from leadflow.matching.keys import BLOCK_LIMITS, PERSON_KINDS, candidate_keys
from leadflow.matching.record import Record

log = logging.getLogger(__name__)

CHANNEL = "import"
CHUNK = 200  # rows journaled by one bulk insert; progress is written after each chunk
# SQLite has one writer at a time: an import holds the write lock only for a few rows, then lets the web
# requests waiting for it (a form submission, a claim) in, so they never run into the busy timeout.
SQLITE_ROWS_PER_TRANSACTION = 25
SQLITE_YIELD = 0.02  # seconds between two transactions of an import on SQLite
REPORT_LIMIT = 500  # rows of the dry run shown with what would become of them
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
REJECTED = (SubmissionStatus.INVALID, SubmissionStatus.SPAM, SubmissionStatus.FAILED)
STATUSES = ("created", "attached", "interest", "invalid", "spam", "failed")

Progress = Callable[[int, int], None]


def can_import(user: User) -> bool:
    """Heads of sales and admins import; a manager does not."""
    return user.is_authenticated and user.is_active and (user.is_admin or user.role == Role.HEAD)


def jobs_visible_to(user: User) -> Any:
    """An admin sees every import; a head, their own."""
    if not can_import(user):
        return ImportJob.objects.none()
    return ImportJob.objects.all() if user.is_admin else ImportJob.objects.filter(created_by=user)


def _require_importer(user: User) -> None:
    if not can_import(user):
        raise Forbidden(_("Only a head of sales or an admin may import."))


# ---------------------------------------------------------------- upload and mapping


def create_job(*, upload: UploadedFile | Path, by: User, kind: str = ImportKind.LEADS) -> ImportJob:
    """Store the file under the data directory, find its format, encoding, delimiter and header,
    and guess the column mapping from the header's words."""
    _require_importer(by)
    if kind not in ImportKind.values:
        raise InvalidInput({"kind": [_("Import leads or clients.")]})
    if isinstance(upload, Path):
        name, size = upload.name, upload.stat().st_size
    else:
        name, size = upload.name or "upload", upload.size or 0
    if size > MAX_UPLOAD_BYTES:
        raise InvalidInput({"file": [_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20}]})
    job = ImportJob(kind=kind, original_name=Path(name).name[:255], created_by=by)
    if isinstance(upload, Path):
        with open(upload, "rb") as handle:
            job.file.save(Path(name).name, File(handle), save=False)
    else:
        job.file.save(Path(name).name, upload, save=False)
    path = Path(job.file.path)
    try:
        info = readers.inspect(path, name)
        header, _sample = readers.preview_rows(path, info, limit=1)
    except readers.UnreadableFile as error:
        job.file.delete(save=False)
        raise InvalidInput({"file": [str(error)]}) from error
    job.file_format, job.encoding, job.delimiter = info.file_format, info.encoding, info.delimiter
    job.headers = header
    job.mapping = guess_mapping(header, kind)
    job.save()
    return job


def file_info(job: ImportJob) -> readers.FileInfo:
    return readers.FileInfo(job.file_format, encoding=job.encoding, delimiter=job.delimiter)


def preview(job: ImportJob, limit: int = 10) -> list[list[str]]:
    """The first rows of the file, as cells, for the mapping page."""
    _header, sample = readers.preview_rows(Path(job.file.path), file_info(job), limit=limit)
    return sample


def set_mapping(*, job: ImportJob, mapping: dict[str, str], source: Source | None, campaign: Campaign | None,
                region: str = "", by: User) -> ImportJob:
    """Keep the mapping (column index -> field) and what every row gets: source, campaign, phone region."""
    _require_importer(by)
    if job.status == ImportStatus.RUNNING or (job.is_busy and not job.is_stalled):
        raise InvalidInput({"__all__": [_("The import is running; wait until it ends.")]})
    if job.status == ImportStatus.DONE:
        raise InvalidInput({"__all__": [_("The file is already imported.")]})
    allowed = fields_for(job.kind)
    clean: dict[str, str] = {}
    for index, name in mapping.items():
        if not name:
            continue
        text = str(index)
        if not (text.isascii() and text.isdigit()) or int(text) >= len(job.headers):  # "²".isdigit() is True
            raise InvalidInput({"mapping": [_("Column %(index)s is not in the file.") % {"index": index}]})
        if name not in allowed:
            raise InvalidInput({"mapping": [_("Unknown field: %(name)s.") % {"name": name}]})
        clean[str(int(text))] = name
    named = set(clean.values())
    if job.kind == ImportKind.CLIENTS:
        if not ({"name", "last_name", "first_name", "company", "inn"} & named):
            raise InvalidInput({"mapping": [_("Map a column to a company, an INN or a person's name.")]})
    else:
        if not ({"phone", "email"} & named):
            raise InvalidInput({"mapping": [_("Map a column to Phone or E-mail: a lead needs a contact.")]})
        if not ({"name", "last_name", "first_name"} & named):
            raise InvalidInput({"mapping": [
                _("Map a column to a person's name (Full name, Surname or First name).")]})
    region = (region or "").strip().upper()
    if region and (len(region) != 2 or not region.isalpha()):
        raise InvalidInput({"region": [_("A two-letter country code, e.g. RU.")]})
    job.mapping, job.source, job.campaign, job.region = clean, source, campaign, region
    job.status = ImportStatus.UPLOADED
    job.dry_counts, job.report = {}, []
    job.save(update_fields=["mapping", "source", "campaign", "region", "status", "dry_counts", "report"])
    return job


def row_payload(job: ImportJob, number: int, cells: list[str]) -> dict[str, Any]:
    """What one row submits: its mapped cells plus the job's source, campaign and phone region."""
    payload: dict[str, Any] = payload_of(cells, job.mapping)
    if job.source_id:
        payload["utm_source"] = job.source.utm_source
    if job.campaign_id:
        payload["utm_campaign"] = job.campaign.utm_campaign
    if job.region:
        payload["region"] = job.region
    payload["import_job"] = job.pk
    payload["import_row"] = number
    return payload


def data_rows(job: ImportJob) -> Iterator[tuple[int, list[str]]]:
    _header, data = readers.header_and_rows(Path(job.file.path), file_info(job))
    return data


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def describe_errors(errors: dict[str, list[str]]) -> str:
    """`Phone: not a number; E-mail: ...`: the field, as the column mapping names it in the reader's language (not
    the payload's key, "phone"), and the problem, for the report and the error file."""
    text = "; ".join(f"{CLIENT_FIELDS.get(name, name)}: {' '.join(problems)}" if name != "__all__"
                     else " ".join(problems) for name, problems in errors.items())
    if errors and set(errors) <= {"phone", "email"}:
        # A contact that cannot be read is kept as given when the other one reads (pipeline._keep_unreadable):
        # a row refused for it has no other, so nothing in it identifies the person.
        text += " " + _("(no other readable phone or e-mail identifies the person)")
    return text


# ---------------------------------------------------------------- dry run


@dataclass
class FileIndex:
    """The rows of this file seen so far, keyed like the identity keys, so a repeat within the file
    is found as the real run finds it (by then the earlier row is a card with registered keys)."""

    blocks: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    entries: list[tuple[Record, str]] = field(default_factory=list)

    def find(self, facts: matching.Facts) -> str:
        record = facts.record()
        upper = matching.upper_threshold()
        best_score, best = 0.0, ""
        seen: set[int] = set()
        for key in candidate_keys(record):
            if key[0] not in PERSON_KINDS:
                continue
            block = self.blocks.get(key, [])
            if len(block) > BLOCK_LIMITS.get(key[0], 0):
                continue
            for position in block:
                if position in seen:
                    continue
                seen.add(position)
                stored, target = self.entries[position]
                score = compare(record, stored).score
                if score >= upper and score > best_score:
                    best_score, best = score, target
        return best

    def add(self, facts: matching.Facts, target: str) -> None:
        record = facts.record()
        self.entries.append((record, target))
        for key in candidate_keys(record):
            if key[0] in PERSON_KINDS:
                self.blocks.setdefault(key, []).append(len(self.entries) - 1)


SAME_AS = "\x00same:"  # marks a dry-run detail of a row that repeats an earlier row of the file


def _same_as(earlier: str) -> str:
    if earlier.startswith("row:"):
        return SAME_AS + _("the same person as row %(row)s above") % {"row": earlier[4:]}
    kind, _sep, pk = earlier.partition(":")
    return _("attached to %(card)s #%(id)s") % {"card": _("lead") if kind == "lead" else _("client"), "id": pk}


# (status, detail, warnings) of one row in the dry run; the warnings are slips the row is imported with all the same.
DryRow = tuple[str, str, list[dict[str, str]]]


def _dry_lead_row(inbound: pipeline.Inbound, number: int, index: FileIndex) -> DryRow:
    result = pipeline.preview(inbound)
    if result.status == SubmissionStatus.INVALID:
        return result.status, describe_errors(result.errors), result.warnings
    if result.status in (SubmissionStatus.SPAM, SubmissionStatus.INTEREST):
        return result.status, result.reason, result.warnings
    facts = result.parsed.person.keys()  # type: ignore[union-attr]
    if result.status == SubmissionStatus.ATTACHED:
        card = result.lead or result.client
        index.add(facts, f"lead:{card.pk}" if result.lead else f"client:{card.pk}")  # type: ignore[union-attr]
        return result.status, _("attached to %(card)s #%(id)s %(name)s (%(why)s)") % {
            "card": _("lead") if result.lead else _("client"), "id": card.pk,  # type: ignore[union-attr]
            "name": str(card.full_name if result.lead else card), "why": result.matched_by,  # type: ignore[union-attr]
        }, result.warnings
    earlier = index.find(facts)
    index.add(facts, earlier or f"row:{number}")
    if earlier:
        return SubmissionStatus.ATTACHED, _same_as(earlier), result.warnings
    return SubmissionStatus.CREATED, "", result.warnings


def _dry_client_row(inbound: pipeline.Inbound, number: int, index: FileIndex,
                    inns: dict[str, str]) -> DryRow:
    from leadflow.imports import clients

    row = clients.plan(inbound)
    if row.status not in (SubmissionStatus.CREATED, SubmissionStatus.ATTACHED):
        return row.status, row.detail, row.warnings
    facts = row.parsed.person.keys()  # type: ignore[union-attr]
    inn = row.company.get("inn", "")
    if row.status == SubmissionStatus.ATTACHED:
        card = row.client or row.company_client
        target = f"client:{card.pk}" if card else f"lead:{row.lead.pk}"  # type: ignore[union-attr]
        if row.has_person:
            index.add(facts, target)
        return row.status, row.detail, row.warnings
    same_person = index.find(facts) if row.has_person else ""
    same_company = "" if same_person else inns.get(inn, "")
    target = same_person or same_company or f"row:{number}"
    if row.has_person:
        index.add(facts, target)
    if inn:
        inns.setdefault(inn, target)
    if same_company.startswith("row:"):
        return SubmissionStatus.ATTACHED, SAME_AS + _(
            "the same company (INN %(inn)s) as row %(row)s above: added to its contacts") % {
            "inn": inn, "row": same_company[4:]}, row.warnings
    if same_person or same_company:
        return SubmissionStatus.ATTACHED, _same_as(same_person or same_company), row.warnings
    return SubmissionStatus.CREATED, "", row.warnings


def dry_run(job: ImportJob, *, progress: Progress | None = None) -> dict[str, int]:
    """What the import would do, row by row, without writing a lead, a request or a journal row."""
    _start(job, ImportStatus.CHECKING)
    counts: Counter[str] = Counter()
    report: list[dict[str, Any]] = []
    index = FileIndex()
    rejected = ErrorFile(job)
    done = 0
    inns: dict[str, str] = {}
    for chunk in _chunks(data_rows(job), CHUNK):
        for number, cells in chunk:
            inbound = pipeline.Inbound(channel=CHANNEL, payload=row_payload(job, number, cells),
                                       submitted_by=job.created_by)
            if job.kind == ImportKind.CLIENTS:
                status, detail, warnings = _dry_client_row(inbound, number, index, inns)
            else:
                status, detail, warnings = _dry_lead_row(inbound, number, index)
            if detail.startswith(SAME_AS):
                counts["attached_in_file"] += 1
                detail = detail[len(SAME_AS):]
            counts[status] += 1
            if status in REJECTED:
                rejected.add(cells, detail)
            # A slip the row is imported with all the same (an e-mail domain typo, a phone that cannot be read and is
            # kept as given): the head sees it, with the column, before the run.
            warning = row_warning(job, warnings)
            if (status != SubmissionStatus.CREATED or warning) and len(report) < REPORT_LIMIT:
                report.append({"row": number, "status": status, "detail": detail, "warning": warning})
        done += len(chunk)
        _progress(job, done, counts, dry=True)
        if progress:
            progress(done, job.total_rows)
    rejected.save("dry-run")
    job.dry_counts = _full(counts)
    job.report = report
    job.status = ImportStatus.CHECKED
    job.finished_at = timezone.now()
    job.save(update_fields=["dry_counts", "report", "status", "finished_at", "error_file"])
    return job.dry_counts


# ---------------------------------------------------------------- the import


def run_import(job: ImportJob, *, progress: Progress | None = None) -> dict[str, int]:
    """Journal and process every row; re-running a stopped job continues where it stopped
    (each row's journal entry is keyed by job and row number)."""
    _start(job, ImportStatus.RUNNING)
    counts: Counter[str] = Counter()
    report: list[dict[str, Any]] = []
    rejected = ErrorFile(job)
    sender = f"import:{job.pk}"
    done = 0
    with leads.collect_notifications() as collected:
        for chunk in _chunks(data_rows(job), CHUNK):
            cells_of = {number: cells for number, cells in chunk}
            keys = [f"row:{number}" for number, _cells in chunk]
            journaled = Submission.objects.filter(sender=sender, idempotency_key__in=keys)
            existing = {s.idempotency_key: s for s in journaled}
            now = timezone.now()
            fresh = [
                Submission(channel=CHANNEL, payload=row_payload(job, number, cells), received_at=now,
                           submitted_by=job.created_by, sender=sender, idempotency_key=f"row:{number}")
                for number, cells in chunk if f"row:{number}" not in existing
            ]
            # The journal first, committed on its own: after this no row of the chunk can be lost.
            Submission.objects.bulk_create(fresh)
            submissions = sorted([*existing.values(), *fresh], key=lambda s: s.payload.get("import_row", 0))
            outcomes = []
            step = rows_per_transaction()
            for start in range(0, len(submissions), step):
                batch = submissions[start:start + step]
                with transaction.atomic():
                    done_here = [_process_row(job, s) for s in batch]
                    _quiet_speed_to_lead(batch, done_here)
                outcomes.extend(done_here)
                if connection.vendor == "sqlite":
                    time.sleep(SQLITE_YIELD)
            for submission, (status, detail, warnings) in zip(submissions, outcomes, strict=True):
                counts[status] += 1
                if status in REJECTED:
                    rejected.add(cells_of.get(submission.payload.get("import_row", 0), []), detail)
                # The result's own report: rejected rows and why, rows imported with something to check.
                warning = row_warning(job, warnings)
                if (status in REJECTED or warning) and len(report) < REPORT_LIMIT:
                    report.append({"row": submission.payload.get("import_row", 0), "status": status,
                                   "detail": detail, "warning": warning})
            done += len(chunk)
            _progress(job, done, counts, dry=False)
            if progress:
                progress(done, job.total_rows)
    rejected.save("errors")
    job.counts = _full(counts)
    job.report = report
    job.status = ImportStatus.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["counts", "report", "status", "finished_at", "error_file"])
    _send_summaries(job, collected)
    return job.counts


def row_warning(job: ImportJob, warnings: list[dict[str, str]]) -> str:
    """The row's warnings as the head reads them, each naming the file's column it is about:
    `«Телефон» (phone): “8-912-ЗВОНИТЬ” could not be read (not a phone number); it is kept as given ...`."""
    if not warnings:  # most rows: no need to read the job's columns for each
        return ""
    columns: dict[str, list[str]] = {}
    for index, name in sorted(job.mapping.items(), key=lambda item: int(item[0])):
        if int(index) < len(job.headers):
            columns.setdefault(name, []).append(job.headers[int(index)] or f"#{int(index) + 1}")
    shown = []
    for item in pipeline.shown_warnings(warnings):
        named = ", ".join(f"«{header}»" for header in columns.get(item.get("field", ""), []))
        shown.append(f"{named} ({item['field']}): {item['message']}" if named else item["message"])
    return " ".join(shown)


def _quiet_speed_to_lead(submissions: list[Submission], outcomes: list[tuple[str, str, Any]]) -> None:
    """Imported leads keep their first task, but raise no speed-to-lead warnings or escalations.

    The SLA clock is for a live request (someone waiting for a call); a file of 100,000 contacts
    would otherwise make the scheduler warn and escalate each of them to the head, one e-mail each.
    """
    created = [s.pk for s, (status, _detail, _warnings) in zip(submissions, outcomes, strict=True)
               if status == SubmissionStatus.CREATED]
    if not created:
        return
    now = timezone.now()
    leads_created = Lead.objects.filter(pk__in=Submission.objects.filter(pk__in=created, lead__isnull=False)
                                        .values("lead_id"))
    leads_created.filter(sla_warned_at__isnull=True).update(sla_warned_at=now)
    leads_created.filter(escalated_at__isnull=True, owner__isnull=True).update(escalated_at=now)


def rows_per_transaction() -> int:
    return SQLITE_ROWS_PER_TRANSACTION if connection.vendor == "sqlite" else CHUNK


def _process_row(job: ImportJob, submission: Submission) -> tuple[str, str, list[dict[str, str]]]:
    """One journaled row through the pipeline (or the client rules); a row done before is read back.
    (status, detail, warnings: what the row was taken with all the same)."""
    if submission.status != SubmissionStatus.RECEIVED:
        outcome = pipeline.outcome_of(submission)
    elif job.kind == ImportKind.CLIENTS:
        from leadflow.imports import clients

        status, detail = clients.apply(submission)
        errors = submission.errors if isinstance(submission.errors, dict) else {}
        return status, detail, errors.get("warnings", [])
    else:
        outcome = pipeline.process(submission)
    return outcome.status, describe_errors(outcome.errors) if outcome.errors else outcome.reason, outcome.warnings


def _start(job: ImportJob, status: str) -> None:
    job.total_rows = sum(1 for _ in data_rows(job))
    job.status, job.processed_rows = status, 0
    job.started_at, job.finished_at, job.failure = timezone.now(), None, ""
    job.heartbeat_at = job.started_at
    job.save(update_fields=["total_rows", "status", "processed_rows", "started_at", "finished_at", "failure",
                            "heartbeat_at"])


def _full(counts: Counter[str]) -> dict[str, int]:
    return {name: counts.get(name, 0) for name in (*STATUSES, "attached_in_file")} | {
        "rejected": sum(counts.get(name, 0) for name in REJECTED)}


def _progress(job: ImportJob, done: int, counts: Counter[str], *, dry: bool) -> None:
    job.processed_rows = done
    field_name = "dry_counts" if dry else "counts"
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, heartbeat_at=timezone.now(),
                                               **{field_name: _full(counts)})


def fail(job: ImportJob, error: BaseException) -> None:
    """Mark a job failed with a reason a person can act on (the log has the traceback)."""
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, failure=str(error)[:2000] or error.__class__.__name__, finished_at=timezone.now())


class ErrorFile:
    """The rejected rows with their original columns plus `error` (field and problem), as CSV.

    Written row by row to a temporary file (constant memory), kept with the job at the end. In the dialect of the
    importer's spreadsheet, like every export (core.spreadsheet; the job runs in their language, execute): `;` and a
    BOM for a Russian Excel, `,` for an English one. Every cell is neutralised like an export, since the cells came
    from outside; the import reads a file of either back (its delimiter is sniffed).
    """

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.rows = 0
        self.dialect = csv_dialect()
        self.handle = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
        self.handle.write(self.dialect.bom)
        self.writer = self.dialect.writer(self.handle)
        self.dialect.row(self.writer, [*job.headers, _("error")])

    def add(self, cells: list[str], detail: str) -> None:
        width = len(self.job.headers)
        padded = (cells + [""] * width)[: max(width, len(cells))]
        self.dialect.row(self.writer, [*padded, detail])
        self.rows += 1

    def save(self, suffix: str) -> None:
        """Replace the job's previous error file with this one (none when nothing was rejected)."""
        if self.job.error_file:
            self.job.error_file.delete(save=False)
        try:
            if self.rows:
                self.handle.flush()
                self.handle.seek(0)
                stem = Path(self.job.original_name).stem[:80] or "import"
                self.job.error_file.save(f"{stem}-{suffix}.csv", File(self.handle.buffer), save=False)
        finally:
            self.handle.close()


def _send_summaries(job: ImportJob, collected: Counter[tuple[int, str]]) -> None:
    """One notification per person instead of one per row, and one to the importer with the counts."""
    per_user: Counter[int] = Counter()
    for (user_id, _kind), number in collected.items():
        per_user[user_id] += number
    people = {user.pk: user for user in User.objects.filter(pk__in=[*per_user, job.created_by_id])}
    with transaction.atomic():
        for user_id, number in per_user.items():
            if user_id in people and user_id != job.created_by_id:
                leads.notify(user=people[user_id], kind="import.summary",
                             template=gettext_noop("Import %(file)s: %(count)s new leads and requests for you"),
                             file=job.original_name, count=number)
        if job.created_by_id in people:
            counts = job.counts
            leads.notify(user=people[job.created_by_id], kind="import.done",
                         template=gettext_noop("Import %(file)s done: %(created)s created, %(attached)s attached, "
                                               "%(interest)s interests, %(rejected)s rejected"),
                         file=job.original_name, created=counts["created"], attached=counts["attached"],
                         interest=counts["interest"], rejected=counts["rejected"])


def enqueue(job: ImportJob, *, dry: bool, by: User) -> None:
    """Hand the dry run or the import to the worker (after the status change commits).

    The status moves by a conditional UPDATE, so two clicks (or two people) cannot start one job twice.
    """
    from leadflow.imports.tasks import run_job

    _require_importer(by)
    allowed = [ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED] if dry else [ImportStatus.CHECKED]
    status = ImportStatus.CHECKING if dry else ImportStatus.RUNNING
    # A stalled job (its worker died) may start again: an import continues where it stopped (the rows
    # journaled before are read back), a dry run starts over.
    startable = Q(status__in=allowed) | Q(status=ImportStatus.CHECKING if dry else ImportStatus.RUNNING,
                                          heartbeat_at__lt=timezone.now() - STALLED_AFTER)
    moved = ImportJob.objects.filter(startable, pk=job.pk).update(status=status, processed_rows=0,
                                                                  heartbeat_at=timezone.now())
    if not moved:
        job.refresh_from_db()
        if job.is_busy:
            raise InvalidInput({"__all__": [_("The import is running; wait until it ends.")]})
        if job.status == ImportStatus.DONE:
            raise InvalidInput({"__all__": [_("The file is already imported.")]})
        raise InvalidInput({"__all__": [_("Run the dry run first.")]})
    job.status, job.processed_rows = status, 0
    transaction.on_commit(lambda: run_job.enqueue(job.pk, dry))


def execute(job_id: int, dry: bool) -> None:
    """The worker's entry: run the dry run or the import, marking the job failed on an error."""
    job = ImportJob.objects.select_related("source", "campaign", "created_by").get(pk=job_id)
    # The report's reasons and warnings are worded as the rows are read: in the language of the head who reads
    # them, not the worker's (a Russian head read "phone number has too few digits" among Russian headings).
    language = (job.created_by.language if job.created_by else "") or settings.LANGUAGE_CODE
    try:
        with translation.override(language):
            if dry:
                dry_run(job)
            else:
                run_import(job)
    except readers.UnreadableFile as error:
        fail(job, error)
    except Exception as error:
        log.exception("import %s failed", job_id)
        fail(job, error)

