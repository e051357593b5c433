"""Merging duplicate contacts of the client directory, and undoing it (issue 3)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.accounts.models import User
from leadflow.clients.models import Client, Contact, ContactMerge
from leadflow.core.errors import DomainError, Forbidden, InvalidInput
from leadflow.leads.querysets import headed_team_ids
from leadflow.matching.models import CardType, IdentityKey

CONTACT_FIELDS = ("last_name", "first_name", "middle_name", "full_name", "position", "phone", "phone_ext", "email",
                  "telegram", "company_id", "owner_id")
# Not chosen: gathered from every merged contact (_keep_other_contacts), and put back by an undo.
KEPT_FIELDS = ("other_contacts", "unreadable_contacts")


def _may_merge(user: User, contact: Contact) -> bool:
    if user.is_admin:
        return True
    if contact.owner_id == user.pk:
        return True
    # The head of the client's team (Team.head), as everywhere: not another head of sales who is merely in it.
    return user.role == "head" and Client.objects.filter(contact=contact, team_id__in=headed_team_ids(user)).exists()


def merge_contacts(*, survivor: Contact, others: list[Contact], by: User,
                   choices: dict[str, int] | None = None) -> ContactMerge:
    """Merge `others` into `survivor`: chosen values win; clients and keys move; nothing is deleted."""
    others = [c for c in others if c.pk != survivor.pk]
    if not others:
        raise InvalidInput({"other_ids": [_("Give at least one other contact to merge.")]})
    with transaction.atomic():
        ids = [survivor.pk, *(o.pk for o in others)]
        locked = {c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=ids)}
        survivor, others = locked[survivor.pk], [locked[o.pk] for o in others]
        for contact in [survivor, *others]:
            if not _may_merge(by, contact):
                raise Forbidden(_("You may merge only contacts you may work."))
            if contact.merged_into_id:
                raise DomainError("already_merged", _("Contact %(id)s is already merged.") % {"id": contact.pk})
        choices = dict(choices or {})
        unknown = set(choices) - set(CONTACT_FIELDS)
        if unknown:
            raise InvalidInput({f"choices.{name}": [_("Not a mergeable field.")] for name in sorted(unknown)})
        if any(pk not in locked for pk in choices.values()):
            raise InvalidInput({"choices": [_("Not one of the merged contacts.")]})
        before = {name: getattr(survivor, name) for name in (*CONTACT_FIELDS, *KEPT_FIELDS)}
        replaced = (survivor.phone_text, survivor.email.lower())
        for name in CONTACT_FIELDS:
            source = locked[choices[name]] if name in choices else (
                survivor if getattr(survivor, name) else next((o for o in others if getattr(o, name)), survivor))
            setattr(survivor, name, getattr(source, name))
        other_ids = [o.pk for o in others]
        clients = {str(pk): contact_id for pk, contact_id in
                   Client.objects.filter(contact_id__in=other_ids).values_list("pk", "contact_id")}
        Client.objects.filter(contact_id__in=other_ids).update(contact=survivor)
        _keep_other_contacts(survivor, others, replaced=replaced, by=by)
        survivor.save()
        keys = {str(o.pk): [[k.kind, k.value, k.extension] for k in
                            IdentityKey.objects.filter(card_type=CardType.CONTACT, card_id=o.pk)] for o in others}
        existing = set(IdentityKey.objects.filter(card_type=CardType.CONTACT, card_id=survivor.pk)
                       .values_list("kind", "value", "extension"))
        added = sorted({tuple(k) for rows in keys.values() for k in rows} - existing)
        IdentityKey.objects.filter(card_type=CardType.CONTACT, card_id__in=other_ids).delete()
        IdentityKey.objects.bulk_create([IdentityKey(kind=k, value=v, extension=e, card_type=CardType.CONTACT,
                                                     card_id=survivor.pk) for k, v, e in added], ignore_conflicts=True)
        Contact.objects.filter(pk__in=other_ids).update(merged_into=survivor)
        snapshot: dict[str, Any] = {"before": before,
                                    "after": {n: getattr(survivor, n) for n in (*CONTACT_FIELDS, *KEPT_FIELDS)},
                                    "clients": clients, "keys": keys, "added_keys": [list(k) for k in added]}
        return ContactMerge.objects.create(survivor=survivor, merged=other_ids, snapshot=snapshot, merged_by=by)


def _keep_other_contacts(survivor: Contact, others: list[Contact], *, replaced: tuple[str, str], by: User) -> None:
    """As merging leads does (leads.merging._keep_other_contacts): the survivor's phone and e-mail the merge
    replaced, the merged contacts' other contacts and their unchosen phones and e-mails stay as other contacts;
    contacts kept as given are gathered too. Each added one is audited on the survivor's clients."""
    main = {survivor.email.lower(), survivor.phone_text} - {""}
    kept = list(survivor.other_contacts or [])
    given = list(survivor.unreadable_contacts or [])
    added = []
    for value in (*replaced, *(value for other in others for value in (
            *(other.other_contacts or []), other.phone_text, other.email.lower()))):
        if value and value not in main and value not in kept:
            kept.append(value)
            added.append(value)
    for entry in (entry for other in others for entry in other.unreadable_contacts or []):
        if entry not in given:
            given.append(entry)
    survivor.other_contacts, survivor.unreadable_contacts = kept, given
    if not added:
        return
    from leadflow.leads.models import FieldChange  # leads' models import this app's

    for client in Client.objects.filter(contact=survivor):
        FieldChange.objects.bulk_create([FieldChange(client=client, field="other_contacts", new_value=value,
                                                     changed_by=by) for value in added])


def undo_contact_merge(*, merge: ContactMerge, by: User) -> Contact:
    """Split the merged contacts out again; fields edited since the merge keep the edit."""
    from django.db.models import Q

    with transaction.atomic():
        merge = ContactMerge.objects.select_for_update().get(pk=merge.pk)
        survivor = Contact.objects.select_for_update().get(pk=merge.survivor_id)
        if merge.undone_at is not None:
            raise DomainError("merge_undone", _("This merge is already undone."))
        if not _may_merge(by, survivor):
            raise Forbidden(_("You may undo only merges of contacts you may work."))
        later = ContactMerge.objects.filter(survivor=survivor, undone_at__isnull=True, merged_at__gt=merge.merged_at)
        if later.exists():
            raise DomainError("merge_not_last", _("Undo the later merges of this contact first."))
        snapshot = merge.snapshot
        for name, value in snapshot["before"].items():
            if name in snapshot["after"] and getattr(survivor, name) == snapshot["after"][name]:
                setattr(survivor, name, value)
        survivor.save()
        for client_id, contact_id in snapshot["clients"].items():
            Client.objects.filter(pk=int(client_id)).update(contact_id=contact_id)
        condition = Q(pk__in=[])
        for kind, value, extension in snapshot["added_keys"]:
            condition |= Q(kind=kind, value=value, extension=extension)
        IdentityKey.objects.filter(condition, card_type=CardType.CONTACT, card_id=survivor.pk).delete()
        for contact_id, rows in snapshot["keys"].items():
            IdentityKey.objects.bulk_create([IdentityKey(kind=k, value=v, extension=e, card_type=CardType.CONTACT,
                                                         card_id=int(contact_id)) for k, v, e in rows],
                                            ignore_conflicts=True)
        Contact.objects.filter(pk__in=merge.merged).update(merged_into=None)
        merge.undone_at, merge.undone_by = timezone.now(), by
        merge.save(update_fields=["undone_at", "undone_by"])
    return survivor
