"""Writes to the client directory that do not start from a lead (conversion is leads.services.convert_lead)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from leadflow.accounts.models import Team, User
from leadflow.clients import validators
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


# What the people who work a client fill in over time (DOMAIN.md 13, 20: a client card has 10-15 fields).
COMPANY_FIELDS = ("name", "legal_form", "inn", "kpp", "ogrn", "okpo", "legal_address", "city", "phone", "website")
CONTACT_FIELDS = ("last_name", "first_name", "middle_name", "position", "phone", "phone_ext", "email", "telegram")


def update_client(*, client: Client, by: User, company: dict[str, str] | None = None,
                  contact: dict[str, str] | None = None, contact_id: int | None = None) -> Client:
    """Edit a client's company and one of its people (the main contact unless `contact_id`), as a lead's card is
    edited: only who manages the client, every change audited on the client, errors per field ("company.inn",
    "contact.email"), nothing saved when one is refused. Values come normalised (phones in E.164 with their
    extension, e-mails, numbers without their grouping). A client without a company gets one when a name is given;
    a private client without a contact gets one when a name is given."""
    from leadflow.leads.models import FieldChange
    from leadflow.leads.services import CardErased, require_manage_client  # leads' services import this module

    company_changes, contact_changes = dict(company or {}), dict(contact or {})
    unknown = sorted({f"company.{name}" for name in company_changes if name not in COMPANY_FIELDS}
                     | {f"contact.{name}" for name in contact_changes if name not in CONTACT_FIELDS})
    if unknown:
        raise InvalidInput({name: [_("This field cannot be edited.")] for name in unknown})
    with transaction.atomic():
        require_manage_client(client, by)
        client = Client.objects.select_for_update(of=("self",)).select_related("company", "contact").get(pk=client.pk)
        if client.erased_at is not None:
            raise CardErased()  # typing an erased person back in would undo the erasure
        errors: dict[str, list[str]] = {}
        firm, firm_changed = _edited_company(client, company_changes, errors)
        person, person_changed = _edited_contact(client, contact_changes, contact_id, errors)
        if errors:
            raise InvalidInput(errors)
        if not firm_changed and not person_changed:
            return client
        audit = [(f"company.{name}", old, new) for name, old, new in firm_changed]
        audit += [(f"contact.{name}", old, new) for name, old, new in person_changed]
        old_name = client.name
        if firm is not None:
            new_firm = firm.pk is None
            firm.save()
            _index_company(firm, renamed=not new_firm and any(n in ("name", "inn") for n, _o, _n in firm_changed))
            if client.company_id != firm.pk:
                client.company = firm
        if person is not None:
            if person.company_id is None and client.company_id is not None:
                person.company_id = client.company_id
            new_person = person.pk is None
            person.save()
            _index_contact(person, renamed=not new_person and any(
                n in ("last_name", "first_name", "middle_name") for n, _o, _n in person_changed))
            if client.contact_id is None:
                client.contact = person
        client.name = str(client.company) if client.company_id else (
            client.contact.full_name if client.contact_id else client.name)
        client.save(update_fields=["company", "contact", "name"])
        if client.name != old_name:
            audit.append(("name", old_name, client.name))
        FieldChange.objects.bulk_create([FieldChange(client=client, field=field, old_value=str(old or ""),
                                                     new_value=str(new or ""), changed_by=by)
                                         for field, old, new in audit])
        record_event("client.updated", client_id=client.pk, fields=[field for field, _old, _new in audit],
                     by_id=by.pk)
    return client


def _edited_company(client: Client, changes: dict[str, str],
                    errors: dict[str, list[str]]) -> tuple[Company | None, list[tuple[str, str, str]]]:
    """The client's company with the changes set (not saved), and (field, old, new) of each; errors per field."""
    from leadflow.clients.validators import legal_form_errors

    firm = client.company
    if firm is None:
        if not any(changes.values()):
            return None, []
        firm = Company(owner=client.owner)
    changed = [(name, getattr(firm, name), value) for name, value in changes.items() if getattr(firm, name) != value]
    for name, _old, value in changed:
        setattr(firm, name, value)
    if not changed:
        return None, []
    names = [name for name, _old, _new in changed]
    if not firm.name:
        errors["company.name"] = [_("A company needs a name.")]
    untouched = [f.name for f in Company._meta.concrete_fields if f.name not in names]
    try:
        firm.full_clean(exclude=untouched, validate_unique=False)
    except ValidationError as error:
        for name, problems in error.message_dict.items():
            errors.setdefault(f"company.{name}", []).extend(problems)
    if {"legal_form", "inn", "kpp", "ogrn"} & set(names):
        numbers = {n: getattr(firm, n) for n in ("inn", "kpp", "ogrn") if f"company.{n}" not in errors}
        for name, problems in legal_form_errors(firm.legal_form, **numbers).items():
            errors.setdefault(f"company.{name}", []).extend(problems)
    if "inn" in names and firm.inn and "company.inn" not in errors:
        other = Company.objects.filter(inn=firm.inn).exclude(pk=firm.pk).first()
        if other is not None:
            errors["company.inn"] = [_("Another company has this INN: %(name)s. One company is one card; ask an "
                                       "admin to join them.") % {"name": other}]
    if "okpo" in names and firm.okpo:
        from leadflow.clients.validators import validate_okpo

        try:
            validate_okpo(firm.okpo)
        except ValidationError as error:
            errors.setdefault("company.okpo", []).extend(error.messages)
    if "phone" in names and firm.phone:
        from leadflow.privacy.services import refuse_erased_contacts

        _refused_into(errors, "company.phone", refuse_erased_contacts, phone=firm.phone)
    return firm, changed


def _edited_contact(client: Client, changes: dict[str, str], contact_id: int | None,
                    errors: dict[str, list[str]]) -> tuple[Contact | None, list[tuple[str, str, str]]]:
    """The person edited (the main contact, or another of the company's), not saved; errors per field."""
    from leadflow.privacy.services import refuse_erased_contacts

    if contact_id is not None:
        people = Contact.objects.filter(pk=contact_id, merged_into__isnull=True)
        person = (people.filter(company_id=client.company_id).first() if client.company_id else None) or (
            people.filter(pk=client.contact_id).first())
        if person is None:
            errors["contact_id"] = [_("This person is not one of the client's contacts.")]
            return None, []
    else:
        person = client.contact
    if person is None:
        if not any(changes.values()):
            return None, []
        person = Contact(owner=client.owner, company=client.company)
    changed = [(name, getattr(person, name), value) for name, value in changes.items()
               if getattr(person, name) != value]
    if not changed:
        return None, []
    for name, _old, value in changed:
        setattr(person, name, value)
    names = {name for name, _old, _new in changed}
    if names & {"last_name", "first_name", "middle_name"}:
        person.full_name = " ".join(p for p in (person.last_name, person.first_name, person.middle_name) if p)
    if not person.full_name:
        errors["contact.last_name"] = [_("A contact keeps a name.")]
    if "phone_ext" in names and person.phone_ext and not person.phone:
        errors["contact.phone"] = [_("An extension needs the number it belongs to.")]
    untouched = [f.name for f in Contact._meta.concrete_fields if f.name not in names | {"full_name"}]
    try:
        person.full_clean(exclude=untouched, validate_unique=False)
    except ValidationError as error:
        for name, problems in error.message_dict.items():
            errors.setdefault(f"contact.{name}", []).extend(problems)
    if "email" in names and person.email:
        _refused_into(errors, "contact.email", refuse_erased_contacts, email=person.email)
    if "telegram" in names and person.telegram:
        _refused_into(errors, "contact.telegram", refuse_erased_contacts, telegram=person.telegram)
    if names & {"phone", "phone_ext"} and person.phone:
        _refused_into(errors, "contact.phone", refuse_erased_contacts,
                      phone=phone_text(Phone(person.phone, person.phone_ext)))
    return person, changed


def _refused_into(errors: dict[str, list[str]], field: str, refuse: Any, **contact: str) -> None:
    try:
        refuse(**contact)
    except InvalidInput as refused:
        for problems in refused.fields.values():
            errors.setdefault(field, []).extend(problems)


def _index_company(firm: Company, *, renamed: bool) -> None:
    # Not its main phone: a switchboard number finds no one in particular (DOMAIN.md 1).
    facts = matching.Facts(inn=firm.inn, company=firm.name)
    (matching.replace_keys if renamed else matching.register_keys)(
        card_type=CardType.COMPANY, card_id=firm.pk, facts=facts)


def _index_contact(person: Contact, *, renamed: bool) -> None:
    """The contact's name and contacts as identity keys; its old phone and e-mail stay keys too (a message from
    them still finds the client)."""
    others = [text for text in person.other_contacts or [] if isinstance(text, str)]
    facts = matching.Facts(
        phones=([matching.PhoneFact(person.phone, person.phone_ext)] if person.phone else [])
        + [matching.PhoneFact(*split_phone_text(text)) for text in others if "@" not in text],
        emails=([person.email] if person.email else []) + [text for text in others if "@" in text],
        last_name=person.last_name, first_name=person.first_name, middle_name=person.middle_name,
        company=person.company.name if person.company_id and person.company else "")
    (matching.replace_keys if renamed else matching.register_keys)(
        card_type=CardType.CONTACT, card_id=person.pk, facts=facts)


def read_client_edit(company: dict[str, Any], contact: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """What a person typed into a client's card, normalised as update_client takes it: phones in E.164 (the
    contact's extension kept), e-mails, registration numbers without their grouping, a legal form typed before the
    name ("ООО Ромашка") split from it. InvalidInput names every field that does not read ("contact.phone",
    "company.inn"), all of them at once."""
    from django.conf import settings

    from leadflow.matching import normalize

    errors: dict[str, list[str]] = {}
    firm: dict[str, str] = {}
    for name, value in company.items():
        value = str(value or "").strip()
        if name in ("inn", "kpp", "ogrn", "okpo"):
            firm[name] = clean_number(value)
            # Checked here too, so that a wrong INN is said together with a wrong phone, not only once the phone
            # is put right (update_client checks them again, with what needs the card).
            try:
                if firm[name]:
                    getattr(validators, f"validate_{name}")(firm[name])
            except ValidationError as error:
                errors[f"company.{name}"] = list(error.messages)
        elif name == "website" and value and "://" not in value:
            firm[name] = f"https://{value}"  # as people type it: romashka.ru
        elif name == "phone" and value:
            try:
                phone = normalize.normalize_phone(value, region=settings.LEADFLOW_DEFAULT_REGION)
            except normalize.NormalizationError as error:
                errors["company.phone"] = [str(error)]
                continue
            if phone.extension:
                errors["company.phone"] = [_("A company's main line has no extension: put the person's number with "
                                             "its extension on the contact.")]
            firm["phone"] = phone.e164
        else:
            firm[name] = value
    if firm.get("name") and "legal_form" not in company:
        split = normalize.split_company(firm["name"])
        if split.legal_form:
            firm["name"], firm["legal_form"] = split.name, split.legal_form
    person: dict[str, str] = {}
    for name, value in contact.items():
        value = str(value or "").strip()
        if name == "phone":
            if not value:
                person["phone"], person["phone_ext"] = "", ""
                continue
            try:
                phone = normalize.normalize_phone(value, region=settings.LEADFLOW_DEFAULT_REGION)
            except normalize.NormalizationError as error:
                errors["contact.phone"] = [str(error)]
                continue
            person["phone"], person["phone_ext"] = phone.e164, phone.extension
        elif name in ("email", "telegram"):  # as the lead's edit reads them (leads.api.update)
            normalize.read_edited_contact(name, value, person, errors, field=f"contact.{name}")
        else:
            person[name] = value
    if errors:
        raise InvalidInput(errors)
    return firm, person
