"""The erasure log's cards left out get a keyed hash of the contact next to its mask, and the log lists the other
people's rows it redacted; the mailboxes each stored e-mail's head names are indexed (MessageAddress), those of the
messages already stored read from their raw heads here.

Rows logged before kept only the mask ("+7916*****33"), so a later erasure offered to take off any contact with that
mask on the card. Each such row is given the keyed hash of the one contact the card still holds with that mask (a
contact kept on a card is still on it); a row whose card holds two contacts with the same mask, or none any more,
is left as it was and is still matched by its mask (privacy.services.kept_by_earlier_erasures)."""

import django.db.models.deletion
from django.db import migrations, models


def _contacts(apps, card: str) -> list[tuple[str, str, str]]:
    """Every contact the card is found by (its own phone and e-mail, its identity keys), as find_person reads them."""
    kind, _sep, number = card.partition(":")
    models_by_kind = {"lead": ("leads", "Lead"), "contact": ("clients", "Contact"), "interest": ("leads", "Interest")}
    if kind not in models_by_kind or not number.isdigit():
        return []
    model = apps.get_model(*models_by_kind[kind])
    found: list[tuple[str, str, str]] = []
    for email, phone, extension in model.objects.filter(pk=int(number)).values_list("email", "phone", "phone_ext"):
        if email:
            found.append(("email", email.lower(), ""))
        if phone:
            found.append(("phone", phone, extension))
    keys = apps.get_model("matching", "IdentityKey").objects.filter(card_type=kind, card_id=int(number),
                                                                     kind__in=("email", "phone"))
    for key_kind, value, extension in keys.values_list("kind", "value", "extension"):
        found.append(("email", value.lower(), "") if key_kind == "email" else ("phone", value, extension))
    return found


def forwards(apps, schema_editor) -> None:
    from leadflow.privacy.services import contact_key, mask

    log = apps.get_model("privacy", "ErasureLog")
    for row in log.objects.exclude(left_out=[]).only("pk", "left_out"):
        items, changed = [], False
        for item in row.left_out if isinstance(row.left_out, list) else []:
            if isinstance(item, dict) and not item.get("key") and not item.get("removed"):
                keys = {contact_key(value) for value in _contacts(apps, str(item.get("card")))
                        if mask(value) == item.get("contact")}
                if len(keys) == 1:
                    item, changed = {**item, "key": keys.pop()}, True
            items.append(item)
        if changed:
            log.objects.filter(pk=row.pk).update(left_out=items)


def index_stored_mail(apps, schema_editor) -> None:
    """The mailboxes every stored message's head names, in batches (a big inbox is read once, here)."""
    from django.db.models.functions import Substr

    from leadflow.privacy.rooms import RAW_HEAD, head_mailboxes

    email = apps.get_model("inbox", "IncomingEmail")
    address = apps.get_model("privacy", "MessageAddress")
    heads = email.objects.exclude(raw=b"").annotate(head=Substr("raw", 1, RAW_HEAD)).values_list("pk", "head")
    batch = []
    for pk, head in heads.iterator(chunk_size=500):
        batch += [address(email_id=pk, mailbox=mailbox) for mailbox in sorted(head_mailboxes(bytes(head or b"")))]
        if len(batch) >= 5000:
            address.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    address.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('privacy', '0004_erasure_log_left_out'),
        ('leads', '0027_sla_warning_index'),
        ('clients', '0008_verbose_names'),
        ('matching', '0003_keys_for_given_contacts'),
        ('inbox', '0004_verbose_names_internal'),
    ]

    operations = [
        migrations.AddField(
            model_name='erasurelog',
            name='redacted',
            field=models.JSONField(blank=True, default=list, verbose_name="mentions redacted in other people's rows"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.CreateModel(
            name='MessageAddress',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mailbox', models.CharField(db_index=True, max_length=254, verbose_name='mailbox')),
                ('email', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                            to='inbox.incomingemail', verbose_name='e-mail')),
            ],
            options={
                'verbose_name': 'address in a stored e-mail',
                'verbose_name_plural': 'addresses in stored e-mails',
                'constraints': [models.UniqueConstraint(fields=('email', 'mailbox'), name='message_address_unique')],
            },
        ),
        migrations.RunPython(index_stored_mail, migrations.RunPython.noop),
    ]
