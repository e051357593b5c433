"""The admin of the background jobs (django-tasks-db) in the reader's language: its column names and statuses are
the library's English strings, translated in Leadflow's catalogue (core/apps.py lists them), and the columns it
names itself ("Task name", "traceback", "run after") are named here."""

from datetime import datetime

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult


class TaskResultAdmin(DBTaskResultAdmin):
    list_display = ("id", "job", "status", "enqueued_at", "started_at", "finished_at", "priority", "queue_name")

    @admin.display(description=_("job"), ordering="task_path")
    def job(self, result: DBTaskResult) -> str:
        return result.task_name

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, result: DBTaskResult) -> str:
        return super().formatted_traceback(result)

    @admin.display(description=_("run after"))
    def display_run_after(self, result: DBTaskResult) -> datetime | str:
        return super().display_run_after(result)


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, TaskResultAdmin)
