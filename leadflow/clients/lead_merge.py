"""The client directory's part of merging leads: merged into a converted lead, the person's contacts reach its client.

A converted lead's client card shows its contact, not the lead: without this step a duplicate merged into the
converted lead would leave its phone, e-mail and contacts kept as given on the lead alone (and a request from its
phone would be found by the lead's keys, not the client's contact's)."""

from __future__ import annotations

from typing import Any

from leadflow.clients.models import Client, Contact
from leadflow.leads.given import carried_to_client, held_by
from leadflow.leads.merging import MergeContext, UndoContext, on_merge
from leadflow.leads.models import FieldChange, LeadState
from leadflow.matching import services as matching
from leadflow.matching.models import CardType, IdentityKey


def undo_contacts(context: UndoContext) -> None:
    """The contacts and keys the merge added to the client's contact go again (those the contact held before stay)."""
    data = context.data or {}
    contact = Contact.objects.select_for_update().filter(pk=data.get("contact")).first()
    if contact is None:
        return
    added, given = set(data.get("others", [])), data.get("as_given", [])
    contact.other_contacts = [value for value in contact.other_contacts or [] if value not in added]
    contact.unreadable_contacts = [entry for entry in contact.unreadable_contacts or [] if entry not in given]
    contact.save(update_fields=["other_contacts", "unreadable_contacts"])
    for kind, value, extension in data.get("keys", []):
        IdentityKey.objects.filter(card_type=CardType.CONTACT, card_id=contact.pk, kind=kind, value=value,
                                   extension=extension).delete()


@on_merge("clients", undo=undo_contacts)
def merge_contacts_of_client(context: MergeContext) -> dict[str, Any]:
    survivor = context.survivor
    client = (Client.objects.filter(lead_id=survivor.pk, contact__isnull=False).select_related("contact").first()
              if survivor.state == LeadState.CONVERTED else None)
    if client is None:
        return {}
    contact = Contact.objects.select_for_update().get(pk=client.contact_id)
    # The merged leads' requests are the survivor's now: what they gave is carried as at the conversion.
    others, as_given = carried_to_client(survivor)
    for lead in context.others:
        others += [value for value in (lead.phone_text, lead.email.lower(), *(lead.other_contacts or []))
                   if value and value not in others]
    held = held_by(contact)
    added = [value for value in others if value not in held]
    given = [entry for entry in as_given if entry not in (contact.unreadable_contacts or [])]
    if not (added or given):
        return {"contact": contact.pk}
    before = set(IdentityKey.objects.filter(card_type=CardType.CONTACT, card_id=contact.pk).values_list(
        "kind", "value", "extension"))
    contact.other_contacts = [*(contact.other_contacts or []), *added]
    contact.unreadable_contacts = [*(contact.unreadable_contacts or []), *given]
    contact.save(update_fields=["other_contacts", "unreadable_contacts"])
    matching.register_keys(card_type=CardType.CONTACT, card_id=contact.pk, facts=matching.contact_facts(added))
    keys = set(IdentityKey.objects.filter(card_type=CardType.CONTACT, card_id=contact.pk).values_list(
        "kind", "value", "extension")) - before
    FieldChange.objects.bulk_create(
        [FieldChange(client=client, field="other_contacts", new_value=value, changed_by=context.by) for value in added]
        + [FieldChange(client=client, field="unreadable_contacts", new_value=entry["value"], changed_by=context.by)
           for entry in given])
    return {"contact": contact.pk, "others": added, "as_given": given, "keys": sorted(keys)}
