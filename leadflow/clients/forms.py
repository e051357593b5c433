"""The client card's edit form: its company and main contact, as a manager fills them in over time."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from leadflow.clients.models import Client
from leadflow.matching import normalize

# The form's field -> (part of the card, field there). The company's name is typed with its legal form.
PARTS = {
    "company": ("company", "name"), "inn": ("company", "inn"), "kpp": ("company", "kpp"),
    "ogrn": ("company", "ogrn"), "okpo": ("company", "okpo"), "legal_address": ("company", "legal_address"),
    "city": ("company", "city"), "company_phone": ("company", "phone"), "website": ("company", "website"),
    "last_name": ("contact", "last_name"), "first_name": ("contact", "first_name"),
    "middle_name": ("contact", "middle_name"), "position": ("contact", "position"), "phone": ("contact", "phone"),
    "email": ("contact", "email"), "telegram": ("contact", "telegram"),
}


class CompanyNumberFields(forms.Form):
    """A company's registration numbers and legal address, as converting a lead and editing a client take them
    (checked by the services, which name the field of a refused number)."""

    # Room for the spaces and dashes people group the digits with; the number is stored without them.
    inn = forms.CharField(label=_("INN"), required=False, max_length=40)
    kpp = forms.CharField(label=_("KPP"), required=False, max_length=40)
    ogrn = forms.CharField(label=_("OGRN"), required=False, max_length=40)
    legal_address = forms.CharField(label=_("Legal address"), required=False, max_length=1000,
                                    widget=forms.Textarea(attrs={"rows": 2}))


class ClientEditForm(CompanyNumberFields):
    field_order = ["company", "inn", "kpp", "ogrn", "okpo", "legal_address"]

    company = forms.CharField(label=_("Company"), required=False, max_length=255,
                              help_text=_("With its legal form: ООО Ромашка"))
    okpo = forms.CharField(label=_("OKPO"), required=False, max_length=40)
    city = forms.CharField(label=_("City"), required=False, max_length=120)
    company_phone = forms.CharField(label=_("Main phone"), required=False, max_length=64)
    website = forms.CharField(label=_("Website"), required=False, max_length=200)
    last_name = forms.CharField(label=_("Surname"), required=False, max_length=120)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=120)
    middle_name = forms.CharField(label=_("Patronymic"), required=False, max_length=120)
    position = forms.CharField(label=_("Position"), required=False, max_length=160)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=64)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    telegram = forms.CharField(label=_("Telegram"), required=False, max_length=100,
                               help_text=_("@name or a t.me/name link"))

    @staticmethod
    def initial_for(client: Client) -> dict[str, str]:
        firm, person = client.company, client.contact
        values: dict[str, str] = {}
        for name, (part, field) in PARTS.items():
            row = firm if part == "company" else person
            values[name] = str(getattr(row, field) or "") if row is not None else ""
        if firm is not None:
            values["company"] = str(firm)
        # The phones as the card shows them ("8 (495) 123-45-67 доб. 12"): saved unchanged, they read back the same.
        region = settings.LEADFLOW_DEFAULT_REGION
        if person is not None:
            values["phone"] = normalize.shown_phone(person.phone, person.phone_ext, region=region)
            values["telegram"] = person.telegram_shown
        if firm is not None:
            values["company_phone"] = normalize.shown_phone(firm.phone, region=region)
        return values

    @classmethod
    def field_names(cls) -> dict[str, str]:
        """"company.inn" (a service's refusal) -> the form's field it is typed in ("inn"), to say it there."""
        return {".".join(part): name for name, part in PARTS.items()} | {
            "company.legal_form": "company", "contact.phone_ext": "phone"}

    @classmethod
    def parts(cls, data: dict[str, Any], client: Client) -> tuple[dict[str, Any], dict[str, Any]]:
        """(company, contact) as typed (the form's cleaned data), only what differs from the card
        (clients.services.read_client_edit reads them): a field left as shown changes nothing, so an old value the
        checks now dislike does not lock the card."""
        shown = cls.initial_for(client)
        company: dict[str, Any] = {}
        contact: dict[str, Any] = {}
        for name, (part, field) in PARTS.items():
            value = data.get(name, "")
            if value.strip() == shown[name].strip():
                continue
            if name == "company":
                split = normalize.split_company(value.strip())
                company["name"], company["legal_form"] = split.name, split.legal_form
            else:
                (company if part == "company" else contact)[field] = value
        return company, contact
