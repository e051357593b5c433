"""Existing rows get the keys their texts would be written with now, so each reader sees them in their language:

- tasks Leadflow set before titles kept their template (0006): a title that is one of its templates, worded in any
  language Leadflow speaks ("Позвонить лиду: Петров Иван"), gets that template and its parameters;
- notifications that named a task ("Task due: %(title)s") kept the task's title worded in the recipient's language
  of that day: a system title there becomes the task's key, a channel's label in a new request's notification the
  channel's, so both are worded when shown;
- a refusal's timeline entry ("Refused: %(reason)s") keeps a seeded reason as its key;
- a deferral's day ("Deferred until 2027-01-08") is kept as a day, shown in the reader's format;
- an assignment task's result Leadflow wrote ("Назначен: Алиса Смирнова") gets its template and the name.

Titles and names a person typed match no template and stay as they are."""

import re

from django.conf import settings
from django.db import migrations, models
from django.utils import translation

# The templates as Leadflow wrote them when this migration was made (frozen here: a later rewording must not
# change what this migration matches).
TASK_TITLES = (
    "Call the lead: %(name)s", "Answer the e-mail: %(name)s", "Assign a responsible person: %(name)s",
    "Answer the new request: %(name)s", "Time to call again: %(name)s", "Call the new client: %(name)s",
    "Nobody claimed %(name)s: assign a responsible person", "Call back after a missed call: %(name)s",
    "Unknown caller %(number)s: find out who it was", "Call back the unknown number %(number)s (missed call)",
)
TITLED_NOTICES = ("Task due: %(title)s", "New task: %(title)s")
CHANNELS = ("Web form", "E-mail", "Phone call", "Partner", "File import", "Manual entry", "API")
DATED = ("Deferred until %(date)s", "Deferred again until %(date)s: the merge that brought it back was undone")
ASSIGN_RESULTS = ("Assigned to %(name)s", "Claimed by %(name)s")
SEEDED_REASONS = ("Too expensive", "Chose a competitor", "No budget now", "No need", "Could not reach",
                  "Not a decision maker")
BATCH = 500


def _pattern(worded: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", worded)
    return re.compile("".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+)"
                              for index, part in enumerate(parts)) + r"\Z", re.DOTALL)


def _patterns(templates: tuple[str, ...] = TASK_TITLES) -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            patterns += [(_pattern(translation.gettext(template)), template) for template in templates]
    return patterns


def _system_title(title: str, patterns: list[tuple[re.Pattern[str], str]]) -> tuple[str, dict[str, str]] | None:
    for pattern, template in patterns:
        found = pattern.match(title)
        if found:
            return template, found.groupdict()
    return None


def _worded(templates: tuple[str, ...]) -> dict[str, str]:
    """Each template as it may have been stored, in every language -> the template."""
    keys = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            keys.update({translation.gettext(template): template for template in templates})
    return keys


def _save(model, rows: list, fields: list[str]) -> None:  # type: ignore[no-untyped-def]
    if rows:
        model.objects.bulk_update(rows, fields, batch_size=BATCH)


def key_system_texts(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    Task = apps.get_model("leads", "Task")
    Notification = apps.get_model("leads", "Notification")
    Activity = apps.get_model("leads", "Activity")
    patterns = _patterns()

    changed = []
    for task in Task.objects.filter(text_key="").only("pk", "title").iterator(chunk_size=BATCH):
        found = _system_title(task.title, patterns)
        if found:
            task.text_key, task.text_params = found
            changed.append(task)
    _save(Task, changed, ["text_key", "text_params"])

    channels = _worded(CHANNELS)
    changed = []
    notices = Notification.objects.filter(text_key__in=[*TITLED_NOTICES, "New request from %(name)s (%(channel)s)"])
    for note in notices.only("pk", "text_key", "text_params").iterator(chunk_size=BATCH):
        params = dict(note.text_params or {})
        if isinstance(params.get("title"), str):
            found = _system_title(params["title"], patterns)
            if found:
                params["title"] = {"key": found[0], "params": found[1]}
        if isinstance(params.get("channel"), str) and params["channel"] in channels:
            params["channel"] = {"key": channels[params["channel"]]}
        if params != note.text_params:
            note.text_params = params
            changed.append(note)
    _save(Notification, changed, ["text_params"])

    changed = []
    for activity in Activity.objects.filter(text_key__in=DATED).only("pk", "text_params").iterator(chunk_size=BATCH):
        day = (activity.text_params or {}).get("date")
        if isinstance(day, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            activity.text_params = {**activity.text_params, "date": {"date": day}}
            changed.append(activity)
    _save(Activity, changed, ["text_params"])

    changed = []
    for activity in Activity.objects.filter(text_key="Refused: %(reason)s").only("pk", "text_params").iterator(
            chunk_size=BATCH):
        reason = (activity.text_params or {}).get("reason")
        if isinstance(reason, str) and reason in SEEDED_REASONS:
            activity.text_params = {**activity.text_params, "reason": {"key": reason}}
            changed.append(activity)
    _save(Activity, changed, ["text_params"])

    results = _patterns(ASSIGN_RESULTS)
    changed = []
    done = Task.objects.filter(kind="assign", result_key="", completed_at__isnull=False).exclude(result="")
    for task in done.only("pk", "result").iterator(chunk_size=BATCH):
        found = _system_title(task.result, results)
        if found:
            task.result_key, task.result_params = found
            changed.append(task)
    _save(Task, changed, ["result_key", "result_params"])


class Migration(migrations.Migration):
    dependencies = [("leads", "0025_verbose_names")]
    operations = [
        migrations.AddField(model_name="task", name="result_key",
                            field=models.CharField(blank=True, editable=False, max_length=200)),
        migrations.AddField(model_name="task", name="result_params",
                            field=models.JSONField(blank=True, default=dict, editable=False)),
        migrations.RunPython(key_system_texts, migrations.RunPython.noop),
        # The admin's form says which names are worded for each reader (help text only, no schema change).
        migrations.AlterField(
            model_name="lostreason", name="name",
            field=models.CharField(help_text="A name Leadflow set up is shown in each reader's language; a name you "
                                   "type is shown as typed.", max_length=120, unique=True, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="stage", name="name",
            field=models.CharField(help_text="A name Leadflow set up is shown in each reader's language; a name you "
                                   "type is shown as typed.", max_length=80, verbose_name="name"),
        ),
    ]
