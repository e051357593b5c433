"""The admin's titles in grammatical Russian: "Выберите кампанию для изменения", "Добавить кампанию".

Django words them with the model's name as it is, the nominative ("Выберите кампания для изменения", "Добавить
кампания"): English has no cases, Russian's "select" and "add" take the accusative. Each model therefore has its
accusative name here (msgctxt "accusative"; in English the name itself), and the admin site Leadflow runs gives every
model admin registered on it, Django's and the libraries' included, the titles built from it. A model missing here
keeps Django's words; the admin titles test names it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.options import IS_POPUP_VAR
from django.db.models import Model
from django.db.models.options import Options
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy

ACCUSATIVE_NAMES: dict[str, Promise] = {
    "auth.group": pgettext_lazy("accusative", "group"),
    "django_tasks_database.dbtaskresult": pgettext_lazy("accusative", "Task Result"),
    "accounts.user": pgettext_lazy("accusative", "user"),
    "accounts.team": pgettext_lazy("accusative", "team"),
    "accounts.usertoken": pgettext_lazy("accusative", "API token"),
    "accounts.calendarday": pgettext_lazy("accusative", "calendar date"),
    "events.outboxevent": pgettext_lazy("accusative", "outbox event"),
    "events.webhook": pgettext_lazy("accusative", "webhook"),
    "events.webhookdelivery": pgettext_lazy("accusative", "webhook delivery"),
    "marketing.source": pgettext_lazy("accusative", "source"),
    "marketing.campaign": pgettext_lazy("accusative", "campaign"),
    "marketing.campaignspend": pgettext_lazy("accusative", "campaign spend"),
    "marketing.extracost": pgettext_lazy("accusative", "extra cost"),
    "clients.company": pgettext_lazy("accusative", "company"),
    "clients.contact": pgettext_lazy("accusative", "contact"),
    "clients.client": pgettext_lazy("accusative", "client"),
    "clients.deal": pgettext_lazy("accusative", "deal"),
    "leads.stage": pgettext_lazy("accusative", "stage"),
    "leads.lostreason": pgettext_lazy("accusative", "lost reason"),
    "leads.routingrule": pgettext_lazy("accusative", "routing rule"),
    "leads.lead": pgettext_lazy("accusative", "lead"),
    "leads.interest": pgettext_lazy("accusative", "interest"),
    "leads.request": pgettext_lazy("accusative", "request"),
    "leads.task": pgettext_lazy("accusative", "task"),
    "leads.activity": pgettext_lazy("accusative", "activity"),
    "intake.form": pgettext_lazy("accusative", "form"),
    "intake.submission": pgettext_lazy("accusative", "submission"),
    "intake.partner": pgettext_lazy("accusative", "partner"),
    "partners.postback": pgettext_lazy("accusative", "postback"),
    "partners.paidperiod": pgettext_lazy("accusative", "paid period"),
    "telephony.integration": pgettext_lazy("accusative", "telephony integration"),
    "telephony.call": pgettext_lazy("accusative", "call"),
    "telephony.callevent": pgettext_lazy("accusative", "call event"),
    "imports.importjob": pgettext_lazy("accusative", "import"),
    "warming.trackingsite": pgettext_lazy("accusative", "tracking site"),
    "warming.pointsrule": pgettext_lazy("accusative", "points rule"),
    "warming.fitrule": pgettext_lazy("accusative", "fit rule"),
    "warming.pointspolicy": pgettext_lazy("accusative", "points settings"),
    "warming.behaviourevent": pgettext_lazy("accusative", "behaviour event"),
    "privacy.consent": pgettext_lazy("accusative", "consent"),
    "privacy.erasurelog": pgettext_lazy("accusative", "erasure"),
    "privacy.tombstone": pgettext_lazy("accusative", "tombstone"),
    "axes.accessattempt": pgettext_lazy("accusative", "access attempt"),
    "axes.accesslog": pgettext_lazy("accusative", "access log"),
    "axes.accessfailurelog": pgettext_lazy("accusative", "access failure"),
    "inbox.mailbox": pgettext_lazy("accusative", "mailbox"),
    "inbox.incomingemail": pgettext_lazy("accusative", "incoming e-mail"),
    "scoring.scoringmodel": pgettext_lazy("accusative", "scoring model"),
    "nurture.tag": pgettext_lazy("accusative", "tag"),
    "nurture.segment": pgettext_lazy("accusative", "segment"),
    "nurture.mailtemplate": pgettext_lazy("accusative", "e-mail template"),
    "nurture.sequence": pgettext_lazy("accusative", "sequence"),
    "nurture.enrollment": pgettext_lazy("accusative", "enrollment"),
    "nurture.mailmessage": pgettext_lazy("accusative", "e-mail sent"),
    "nurture.suppression": pgettext_lazy("accusative", "suppressed address"),
    "nurture.holiday": pgettext_lazy("accusative", "greeting date"),
    "nurture.surveyanswer": pgettext_lazy("accusative", "survey answer"),
}


def accusative_name(opts: Options) -> str:
    """The model's name as the object of "select", "add", "change": "кампанию"; Django's own name when not listed."""
    return str(ACCUSATIVE_NAMES.get(opts.label_lower, opts.verbose_name))


class AccusativeTitles(admin.ModelAdmin):
    """A model admin's page titles with the accusative name (Django's own msgids, so its translations apply), and
    the name for the changelist's "Add ..." button (templates/admin/change_list_object_tools.html)."""

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if IS_POPUP_VAR in request.GET:
            title = gettext("Select %s")
        elif self.has_change_permission(request):
            title = gettext("Select %s to change")
        else:
            title = gettext("Select %s to view")
        name = accusative_name(self.opts)
        return super().changelist_view(request, {"title": title % name, "accusative_name": name,
                                                 **(extra_context or {})})

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], add: bool = False,
                           change: bool = False, form_url: str = "", obj: Model | None = None) -> HttpResponse:
        if add:
            title = gettext("Add %s")
        elif self.has_change_permission(request, obj):
            title = gettext("Change %s")
        else:
            title = gettext("View %s")
        name = accusative_name(self.opts)
        context.update({"title": title % name, "accusative_name": name})
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


class AdminSite(admin.AdminSite):
    """Django's admin site whose every registered model admin has the accusative titles, whoever registers it
    (Leadflow's apps, django.contrib.auth, django-axes, django-tasks-db): one place, nothing to remember per admin."""

    def register(self, model_or_iterable: Any, admin_class: type[admin.ModelAdmin] | None = None,
                 **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AccusativeTitles):
            admin_class = type(admin_class.__name__, (AccusativeTitles, admin_class),
                               {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__})
        super().register(model_or_iterable, admin_class, **options)


class LeadflowAdminConfig(AdminConfig):
    """django.contrib.admin with Leadflow's admin site as `admin.site`."""

    default_site = "leadflow.core.admin_titles.AdminSite"
