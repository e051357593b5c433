from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from leadflow.clients.models import Client, Company, Contact
from leadflow.matching.phone_admin import PhoneColumnAdmin


class CompanyAdminForm(forms.ModelForm):
    """Room for the spaces and dashes people group the digits with; the model stores the number without them."""

    inn = forms.CharField(label=_("INN"), required=False, max_length=40)
    kpp = forms.CharField(label=_("KPP"), required=False, max_length=40)
    ogrn = forms.CharField(label=_("OGRN"), required=False, max_length=40)

    class Meta:
        model = Company
        fields = ("name", "legal_form", "inn", "kpp", "ogrn", "okpo", "legal_address", "city", "phone", "website",
                  "owner")


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    form = CompanyAdminForm
    list_display = ("name", "legal_form", "inn", "kpp", "ogrn", "city", "owner")
    search_fields = ("name", "inn")


@admin.register(Contact)
class ContactAdmin(PhoneColumnAdmin):
    list_display = ("full_name", "company", "shown_phone", "email", "owner")
    # Relations that may be empty: Django's select_related() would skip them, and read each row's by a query.
    list_select_related = ("company", "owner")
    search_fields = ("full_name", "phone", "email")


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "owner", "team", "lead", "is_active", "created_at")
    list_select_related = ("company", "owner", "team", "lead")
    raw_id_fields = ("lead", "contact")


from leadflow.clients.models import Deal  # noqa: E402


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ("client", "amount", "closed_at", "note")
    raw_id_fields = ("client",)
    date_hierarchy = "closed_at"
