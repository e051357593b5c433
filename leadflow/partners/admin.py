"""Admin for partners' terms, keys (shown once), dealer regions and postbacks."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadflow.core import netguard
from leadflow.intake.admin import PartnerAdmin as IntakePartnerAdmin
from leadflow.intake.models import Partner
from leadflow.partners import postbacks, terms
from leadflow.partners.models import DealerRegion, PaidPeriod, Postback, PostbackStatus


class PartnerForm(forms.ModelForm):
    required_fields = forms.MultipleChoiceField(
        label=gettext_lazy("Required fields"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(terms.REQUIRABLE_FIELDS.items()),
        help_text=gettext_lazy("A lead missing any of these is answered invalid (not paid)."),
    )
    postback_statuses = forms.MultipleChoiceField(
        label=gettext_lazy("Statuses to post back"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=PostbackStatus.choices,
    )

    class Meta:
        model = Partner
        fields = ("name", "is_active", "team", "source", "payout_model", "price_per_lead", "price_per_client",
                  "required_fields", "allowed_regions", "allowed_products", "daily_cap", "postback_url",
                  "postback_statuses")

    def clean_postback_url(self) -> str:
        template = self.cleaned_data.get("postback_url", "").strip()
        if not template:
            return ""
        unknown = terms.unknown_macros(template)
        if unknown:
            raise forms.ValidationError(_("Unknown macros: %(macros)s. Known: %(known)s.") % {
                "macros": ", ".join(unknown), "known": ", ".join(f"{{{m}}}" for m in terms.MACROS)})
        sample = terms.render_postback(template, {m: "1" for m in terms.MACROS})
        try:
            netguard.check_url(sample)
        except netguard.UnsafeURL as error:
            raise forms.ValidationError(str(error)) from error
        return template

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("postback_statuses") and not data.get("postback_url"):
            self.add_error("postback_url", _("Give the URL the statuses are posted to."))
        return data


class DealerRegionInline(admin.TabularInline):
    model = DealerRegion
    extra = 1
    verbose_name_plural = gettext_lazy("Dealer regions: leads from these cities or regions go to this partner's team")


def _key_page(request: HttpRequest, issued: list[tuple[Partner, str]]) -> HttpResponse:
    response = TemplateResponse(request, "partners/admin/issued_keys.html", {
        **admin.site.each_context(request), "title": _("New API keys"), "issued": issued,
        "opts": Partner._meta,
    })
    # The raw key exists only in this response: no cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response


class PartnerAdmin(IntakePartnerAdmin):
    form = PartnerForm
    list_display = ("name", "key_prefix", "team", "payout_model", "price_per_lead", "price_per_client",
                    "daily_cap", "is_active")
    readonly_fields = ("key_prefix",)
    inlines = [DealerRegionInline]
    change_form_template = "partners/admin/partner_change_form.html"
    fieldsets = (
        (None, {"fields": ("name", "key_prefix", "is_active", "team", "source")}),
        (gettext_lazy("Payment"), {"fields": ("payout_model", "price_per_lead", "price_per_client")}),
        (gettext_lazy("Acceptance rules"), {"fields": ("required_fields", "allowed_regions", "allowed_products",
                                                        "daily_cap")}),
        (gettext_lazy("Postbacks"), {"fields": ("postback_url", "postback_statuses")}),
    )

    def get_urls(self) -> list[Any]:
        return [
            path("<int:partner_id>/issue-key/", self.admin_site.admin_view(self.issue_key_view),
                 name="intake_partner_issue_key"),
            *super().get_urls(),
        ]

    def issue_key_view(self, request: HttpRequest, partner_id: int) -> HttpResponse:
        """GET asks to confirm (the old key stops working); POST issues the key and shows it once."""
        partner = get_object_or_404(Partner, pk=partner_id)
        if not self.has_change_permission(request, partner):
            raise PermissionDenied
        if request.method == "POST":
            return _key_page(request, [(partner, partner.issue_key())])
        return TemplateResponse(request, "partners/admin/issue_key_confirm.html", {
            **self.admin_site.each_context(request), "title": _("Issue a new API key"), "partner": partner,
            "opts": Partner._meta,
            "change_url": reverse("admin:intake_partner_change", args=[partner.pk]),
        })

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        partner = form.instance
        if not partner.team_id and partner.regions.exists():
            messages.warning(request, _("%(name)s covers regions but has no team: leads from there are not "
                                        "routed to it until a team is set.") % {"name": partner.name})

    def response_add(self, request: HttpRequest, obj: Partner, post_url_continue: str | None = None) -> HttpResponse:
        """A new partner has no key yet: the next step is issuing one."""
        if "_addanother" in request.POST or "_continue" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return HttpResponseRedirect(reverse("admin:intake_partner_issue_key", args=[obj.pk]))

    @admin.action(description=gettext_lazy("Issue a new API key (shown once)"), permissions=["change"])
    def issue_key(self, request, queryset):  # type: ignore[no-untyped-def]
        return _key_page(request, [(partner, partner.issue_key()) for partner in queryset.order_by("name")])


admin.site.unregister(Partner)
admin.site.register(Partner, PartnerAdmin)


@admin.register(Postback)
class PostbackAdmin(admin.ModelAdmin):
    list_display = ("id", "partner", "status", "state", "attempts", "response_code", "next_at", "sent_at")
    list_filter = ("state", "status", "partner")
    readonly_fields = [f.name for f in Postback._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=gettext_lazy("Send again now"), permissions=["change"])
    def send_again(self, request, queryset):  # type: ignore[no-untyped-def]
        count = postbacks.retry_now(list(queryset))
        messages.info(request, _("%(count)d postbacks will be sent again.") % {"count": count})


@admin.register(PaidPeriod)
class PaidPeriodAdmin(admin.ModelAdmin):
    """Paid periods as recorded, read-only. The latest one of a partner may be reopened (deleted) by an
    administrator when it was marked paid by mistake: its lines go with it, so its dates count again from what the
    submissions are now, and adjustments settled with it are pending again. Django's change log keeps who reopened
    which period and when. An earlier period cannot be reopened: the later ones were paid on top of it."""

    list_display = ("partner", "start", "end", "amount", "closed_by", "closed_at")
    list_filter = ("partner",)
    list_select_related = ("partner", "closed_by")
    readonly_fields = ("partner", "start", "end", "amount", "closed_by", "closed_at")
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only the partner report's "Mark paid…" records one, with the amount it showed

    def has_change_permission(self, request: HttpRequest, obj: PaidPeriod | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: PaidPeriod | None = None) -> bool:
        if obj is None or not getattr(request.user, "is_admin", False):
            return False
        return not PaidPeriod.objects.filter(partner_id=obj.partner_id, start__gt=obj.start).exists()

    def delete_model(self, request: HttpRequest, obj: PaidPeriod) -> None:
        with transaction.atomic():
            # under the partner's lock, as marking paid: a period cannot be paid on top of one being reopened
            Partner.objects.select_for_update().get(pk=obj.partner_id)
            if not self.has_delete_permission(request, obj):
                raise PermissionDenied
            super().delete_model(request, obj)
        messages.info(request, _("Reopened: %(period)s counts again from what its submissions are now.")
                      % {"period": obj})
