"""The admin's phone column and search, shared by the lists of leads, interests and contacts."""

from django.conf import settings
from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from leadflow.matching import normalize


class PhoneColumnAdmin(admin.ModelAdmin):
    """A list with a `phone` (E.164) and `phone_ext`: the phone shown as people write it ("8 (912) 345-67-89 доб. 12"),
    and found by a search typed in any notation, as the manager reads it off the page or a business card."""

    @admin.display(description=_("phone"), ordering="phone")
    def shown_phone(self, card: Model) -> str:
        return normalize.shown_phone(card.phone, card.phone_ext, region=settings.LEADFLOW_DEFAULT_REGION) or "-"

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if sum(ch.isdigit() for ch in search_term) >= 5 and "@" not in search_term:
            try:
                phone = normalize.normalize_phone(search_term, region=settings.LEADFLOW_DEFAULT_REGION).e164
            except normalize.NormalizationError:
                return found, may_have_duplicates
            found |= queryset.filter(phone=phone)
        return found, may_have_duplicates
