from django.contrib import admin

from leadflow.clients.models import Client, Company, Contact


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "legal_form", "inn", "kpp", "ogrn", "city", "owner")
    search_fields = ("name", "inn")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("full_name", "company", "phone", "email", "owner")
    search_fields = ("full_name", "phone", "email")


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "company", "owner", "team", "lead", "is_active", "created_at")
    raw_id_fields = ("lead", "contact")


from leadflow.clients.models import Deal  # noqa: E402


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ("client", "amount", "closed_at", "note")
    raw_id_fields = ("client",)
    date_hierarchy = "closed_at"
