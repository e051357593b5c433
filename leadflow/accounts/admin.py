from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.calendar import FIRST_YEAR, LAST_YEAR, load_public_holidays, supported_countries
from leadflow.accounts.models import Absence, CalendarDay, Team, TeamMembership, User, UserToken
from leadflow.core.errors import InvalidInput
from leadflow.core.history import KeepsHistoryAdmin


class ActiveTeamsOffered:
    """ModelAdmin mixin: the team field offers active teams only (and the one already chosen, so an old record still
    saves); an inactive team gets no one new."""

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)  # type: ignore[misc]
        field = form.base_fields.get("team")
        if field is not None:
            field.queryset = Team.objects.filter(Q(is_active=True) | Q(pk=getattr(obj, "team_id", None))).order_by(
                "name")
        return form


class AbsenceInline(admin.TabularInline):
    model = Absence
    extra = 0


class TeamMembershipInline(admin.TabularInline):
    """The teams the person was in, and when: written by every change of the team, read by reports of past periods;
    shown, not edited, so a past month's figures cannot be rewritten from here."""

    model = TeamMembership
    fields = ("team", "since", "until")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(User)
class UserAdmin(KeepsHistoryAdmin, ActiveTeamsOffered, DjangoUserAdmin):
    retire_hint = _("A person whose work is in the history is not deleted: untick 'active' instead. They can no "
                    "longer log in or get leads, and reports of past periods still count their work.")
    list_display = ("username", "first_name", "last_name", "role", "team", "is_active")
    list_select_related = ("team",)  # may be empty: select_related() would skip it and read it per row
    list_filter = ("role", "team", "is_active")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Leadflow"), {"fields": ("role", "team", "time_zone", "language", "routing_weight", "is_routed",
                                     "work_start",
                                     "work_end", "product_groups", "regions")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Leadflow"), {"fields": ("first_name", "last_name", "email", "role", "team")}),
    )
    inlines = [AbsenceInline, TeamMembershipInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """A weight or "takes new leads" changed here is audited as the team's routing page audits it, and so is a
        person joining or leaving a team (routing_setup.save_person, as every other path saves a person)."""
        from leadflow.leads import routing_setup

        routing_setup.save_person(person=obj, by=request.user)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """An absence added, changed or removed here (routing passes the person by on its dates) is in their team's
        routing history with who and when (routing_setup.save_absence / delete_absence)."""
        if formset.model is not Absence:
            super().save_formset(request, form, formset, change)
            return
        from leadflow.leads import routing_setup

        saved = formset.save(commit=False)  # deletions are left to us with commit=False
        for absence in formset.deleted_objects:
            routing_setup.delete_absence(absence=absence, by=request.user)
        for absence in saved:
            routing_setup.save_absence(absence=absence, by=request.user)

    def history_of(self, obj: Any) -> list[tuple[Any, int]]:
        from leadflow.clients.models import Client
        from leadflow.intake.models import Submission
        from leadflow.leads.models import Activity, Lead, Task

        return [(_("leads owned"), Lead.objects.filter(owner=obj).count()),
                (_("clients owned"), Client.objects.filter(owner=obj).count()),
                (_("actions on cards"), Activity.objects.filter(author=obj).count()),
                (_("tasks"), Task.objects.filter(assignee=obj).count()),
                (_("entered submissions"), Submission.objects.filter(submitted_by=obj).count())]


@admin.register(Team)
class TeamAdmin(KeepsHistoryAdmin, admin.ModelAdmin):
    list_display = ("name", "head", "routing_scheme", "sla_minutes", "pool_claim_minutes", "is_default", "is_active")
    list_filter = ("is_active",)
    retire_hint = _("A team with history (members, leads, clients) is not deleted: untick 'active' instead. It then "
                    "gets no new leads and is not offered for people, partners and forms, while reports of past "
                    "periods still count its work.")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """The scheme, SLA and pool limit changed here are audited as the team's routing page audits them, and so
        are the team's creation, its switching on or off and a change of its head (routing_setup.save_team, as
        every other path saves a team)."""
        from leadflow.leads import routing_setup

        routing_setup.save_team(team=obj, by=request.user)

    def history_of(self, obj: Any) -> list[tuple[Any, int]]:
        from leadflow.clients.models import Client
        from leadflow.leads.models import Lead

        return [(_("leads"), Lead.objects.filter(team=obj).count()),
                (_("clients"), Client.objects.filter(team=obj).count())]


@admin.register(UserToken)
class UserTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created_at", "last_used_at")
    readonly_fields = ("token_hash",)


class LoadHolidaysForm(forms.Form):
    """A country's year of holidays and transferred working days, for the company or one team."""

    country = forms.CharField(label=_("country"), max_length=2, min_length=2, initial="RU",
                              help_text=_("Two-letter country code: RU, KZ, BY, US, DE…"))
    year = forms.IntegerField(label=_("year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    team = forms.ModelChoiceField(label=_("team"), queryset=Team.objects.order_by("name"), required=False,
                                  empty_label=_("the whole company"))

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if country not in supported_countries():
            raise forms.ValidationError(_("%(country)s: no holiday calendar for this country code (two letters, "
                                          "e.g. RU, KZ, US).") % {"country": country})
        return country


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("day", "weekday", "name", "is_working", "shortened_by", "team")
    list_filter = ("is_working", "team", "day")
    date_hierarchy = "day"
    search_fields = ("name",)
    fields = ("day", "is_working", "shortened_by", "name", "team")
    change_list_template = "accounts/admin/calendarday_change_list.html"

    @admin.display(description=_("day of the week"), ordering="day")
    def weekday(self, entry: CalendarDay) -> str:
        from django.utils.formats import date_format

        return date_format(entry.day, "l")

    def get_urls(self) -> list[Any]:
        return [
            path("load/", self.admin_site.admin_view(self.load_view), name="accounts_calendarday_load"),
            *super().get_urls(),
        ]

    def load_view(self, request: HttpRequest) -> HttpResponse:
        """Load a country's public holidays and transferred working days for a year (dates already there kept)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LoadHolidaysForm(request.POST or None, initial={"year": timezone.localdate().year + 1})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                loaded = load_public_holidays(country=data["country"], year=data["year"], team=data["team"])
            except InvalidInput as error:
                for field, problems in error.fields.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(request, gettext(
                    "%(country)s %(year)s: %(created)d dates added, %(kept)d already in the calendar kept as they "
                    "were. Check the shortened pre-holiday days: they are not loaded.") % {
                    "country": data["country"], "year": data["year"], "created": loaded.created,
                    "kept": loaded.kept})
                return HttpResponseRedirect(reverse("admin:accounts_calendarday_changelist")
                                            + f"?day__year={data['year']}")
        return TemplateResponse(request, "accounts/admin/calendarday_load.html", {
            **self.admin_site.each_context(request), "title": _("Load a country's holidays"), "form": form,
            "opts": CalendarDay._meta,
        })
