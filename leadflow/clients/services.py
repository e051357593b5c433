"""Writes to the client directory that do not start from a lead (conversion is leads.services.convert_lead)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from leadflow.accounts.models import Team, User
from leadflow.clients.models import Client, Company, Contact
from leadflow.clients.validators import clean_number
from leadflow.core.errors import InvalidInput
from leadflow.events.services import record_event
from leadflow.matching import services as matching
from leadflow.matching.models import CardType
from leadflow.matching.normalize import Phone, phone_text, split_phone_text


def company_for(*, name: str, legal_form: str = "", inn: str = "", kpp: str = "", ogrn: str = "",
                legal_address: str = "", city: str = "", owner: User | None = None) -> Company | None:
    """The company with this INN (INN equality decides), else a new one; None without a name or INN."""
    inn, kpp, ogrn = clean_number(inn), clean_number(kpp), clean_number(ogrn)
    if inn:
        existing = Company.objects.filter(inn=inn).first()
        if existing:
            return existing
    if not name:
        if inn:
            raise InvalidInput({"company": [_("A company needs a name.")]})
        return None
    company = Company(name=name, legal_form=legal_form, inn=inn, kpp=kpp, ogrn=ogrn, legal_address=legal_address,
                      city=city, owner=owner)
    company.full_clean()
    company.save()
    matching.register_keys(card_type=CardType.COMPANY, card_id=company.pk,
                           facts=matching.Facts(inn=company.inn, company=company.name))
    return company


def add_contact(*, company: Company | None, facts: matching.Facts, full_name: str, position: str = "",
                owner: User | None = None, unreadable: list[dict[str, str]] | None = None) -> Contact:
    """A person at a company (or a private client), indexed so later submissions find them.

    The first phone and e-mail are the contact's; the further ones given are its other contacts, and what could
    not be read (`unreadable`, pipeline._keep_unreadable) is kept as given. (A name or company too long for its
    field, kept as given too, is the request's: imports.clients keeps the row's request for it.)"""
    phone = facts.phones[0] if facts.phones else matching.PhoneFact("")
    others = [phone_text(Phone(p.e164, p.extension)) for p in facts.phones[1:]] + list(facts.emails[1:])
    contact = Contact.objects.create(
        company=company, last_name=facts.last_name, first_name=facts.first_name, middle_name=facts.middle_name,
        full_name=full_name, position=position, phone=phone.e164, phone_ext=phone.extension,
        email=facts.emails[0] if facts.emails else "", owner=owner, other_contacts=others,
        unreadable_contacts=[{"field": item.get("field", ""), "value": item.get("value", ""),
                              "problem": item.get("problem", "")} for item in unreadable or []
                             if item.get("field") in ("phone", "email")],
    )
    matching.register_keys(card_type=CardType.CONTACT, card_id=contact.pk, facts=facts)
    return contact


def create_client(*, company: Company | None, contact: Contact | None, owner: User | None, team: Team | None,
                  by: User | None) -> Client:
    """A client that did not come through a lead (e.g. an import of existing buyers)."""
    if company is None and contact is None:
        raise InvalidInput({"__all__": [_("A client needs a company or a contact person.")]})
    with transaction.atomic():
        client = Client.objects.create(name=str(company) if company else contact.full_name,  # type: ignore[union-attr]
                                       company=company, contact=contact, owner=owner, team=team)
        record_event("client.created", client_id=client.pk, owner_id=owner.pk if owner else None,
                     by_id=by.pk if by else None)
    return client


def check_contact_email(*, client: Client, contact: Contact, by: User) -> Contact:
    """A contact's e-mail checked and right as typed: the card stops suggesting another. Audited on the client."""
    from leadflow.leads.models import FieldChange
    from leadflow.leads.services import require_manage_client  # leads' services import this module

    with transaction.atomic():
        require_manage_client(client, by)
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if not contact.email or contact.email_checked == contact.email:
            return contact
        FieldChange.objects.create(client=client, field="email_checked", old_value=contact.email_checked,
                                   new_value=contact.email, changed_by=by)
        contact.email_checked = contact.email
        contact.save(update_fields=["email_checked"])
    return contact


def change_contact_email(*, client: Client, contact: Contact, email: str, by: User) -> Contact:
    """A client contact's e-mail changed by someone who works the client; audited on the client like a lead's edit.

    The old address stays an identity key, so a message from it still finds the client."""
    from leadflow.leads.models import FieldChange
    from leadflow.leads.services import require_manage_client  # leads' services import this module
    from leadflow.privacy.services import refuse_erased_contacts

    with transaction.atomic():
        require_manage_client(client, by)
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if contact.email == email:
            return contact
        refuse_erased_contacts(email=email)
        FieldChange.objects.create(client=client, field="email", old_value=contact.email, new_value=email,
                                   changed_by=by)
        contact.email = email
        contact.save(update_fields=["email"])
        matching.register_keys(card_type=CardType.CONTACT, card_id=contact.pk, facts=matching.Facts(emails=[email]))
        record_event("client.contact_updated", client_id=client.pk, contact_id=contact.pk, fields=["email"],
                     by_id=by.pk)
    return contact


def add_other_contact(*, client: Client, contact: Contact, value: str, by: User) -> str:
    """Put a contact a request to the client gave on one of its contacts, as a lead's card does
    (leads.services.add_other_contact): the contact's phone or e-mail when it has none, else one of its other
    contacts. Audited on the client; an identity key of the contact from then on. Returns the field it went to."""
    from leadflow.leads.given import held_by, one_contact
    from leadflow.leads.models import FieldChange
    from leadflow.leads.services import CardErased, require_manage_client  # leads' services import this module
    from leadflow.privacy.services import refuse_erased_contacts

    value = one_contact(value)
    refuse_erased_contacts(contact=value)
    is_email = "@" in value
    with transaction.atomic():
        require_manage_client(client, by)
        if Client.objects.select_for_update().filter(pk=client.pk, erased_at__isnull=False).exists():
            raise CardErased()  # typing an erased person back in would undo the erasure
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        if value in held_by(contact):
            raise InvalidInput({"contact": [_("The card has this contact already.")]})
        if is_email and not contact.email:
            contact.email, changed = value, ["email"]
        elif not is_email and not contact.phone:
            contact.phone, contact.phone_ext = split_phone_text(value)
            changed = ["phone", "phone_ext"]
        else:
            contact.other_contacts, changed = [*(contact.other_contacts or []), value], ["other_contacts"]
        field = changed[0]
        FieldChange.objects.create(client=client, field=field, old_value="", new_value=value, changed_by=by)
        contact.save(update_fields=changed)
        matching.register_keys(card_type=CardType.CONTACT, card_id=contact.pk, facts=matching.contact_facts([value]))
        record_event("client.contact_updated", client_id=client.pk, contact_id=contact.pk, fields=changed,
                     by_id=by.pk)
    return field
