from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from leadflow.accounts.models import Absence, Team, TeamMembership, User, UserToken


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
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Leadflow"), {"fields": ("role", "team", "time_zone", "language", "routing_weight", "work_start",
                                     "work_end", "product_groups", "regions")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Leadflow"), {"fields": ("first_name", "last_name", "email", "role", "team")}),
    )
    inlines = [AbsenceInline, TeamMembershipInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "head", "routing_scheme", "sla_minutes", "pool_claim_minutes", "is_default")


@admin.register(UserToken)
class UserTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created_at", "last_used_at")
    readonly_fields = ("token_hash",)
