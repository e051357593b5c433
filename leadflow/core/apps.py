import axes.apps
import django_tasks_db.apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy


class CoreConfig(AppConfig):
    name = "leadflow.core"
    verbose_name = _("Leadflow")
    label = "leadflow_core"

    def ready(self) -> None:
        from leadflow.core import encryption  # noqa: F401  (registers the check of LEADFLOW_ENCRYPTION_KEYS)


# The admin sections of the libraries Leadflow runs with, named in the reader's language like its own. The names of
# their models are strings of theirs; the ones their own catalogues lack are translated in Leadflow's (LOCALE_PATHS
# comes first), listed here so makemessages finds them.
THIRD_PARTY_MODEL_NAMES = (
    gettext_noop("access attempt"), gettext_noop("access attempts"), gettext_noop("access log"),
    gettext_noop("access logs"), gettext_noop("access failure"), gettext_noop("access failures"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("Task Result"), gettext_noop("Task Results"),
    # django-tasks-db's columns and a job's statuses ("Ready", "Failed" stood in English in a Russian admin)
    gettext_noop("enqueued at"), gettext_noop("args kwargs"), gettext_noop("priority"), gettext_noop("task path"),
    gettext_noop("worker id"), gettext_noop("queue name"), gettext_noop("backend name"), gettext_noop("return value"),
    gettext_noop("exception class path"),
    pgettext_lazy("Task", "Ready"), pgettext_lazy("Task", "Running"), pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
    # django-axes's
    gettext_noop("Locked Out"), gettext_noop("User Agent"), gettext_noop("HTTP Accept"),
)


class AxesConfig(axes.apps.AppConfig):
    verbose_name = _("Login protection")


class TasksDatabaseConfig(django_tasks_db.apps.TasksAppConfig):
    verbose_name = _("Background jobs")
