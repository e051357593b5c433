"""A client's contact keeps every contact the person gave (realdata5); clients converted before get them now."""

from django.db import migrations, models


def carry_from_leads(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Each converted client's contact gets what its lead's card and requests held besides the phone and e-mail
    (leads.given.carried_to_client), audited as Leadflow's. Their identity keys moved at the conversion already."""
    from leadflow.leads.given import carried_to_client
    from leadflow.matching.normalize import Phone, phone_text

    client_model, contact_model = apps.get_model("clients", "Client"), apps.get_model("clients", "Contact")
    request_model, change_model = apps.get_model("leads", "Request"), apps.get_model("leads", "FieldChange")
    converted = (client_model.objects.filter(lead__isnull=False, contact__isnull=False, erased_at__isnull=True)
                 .select_related("lead", "contact").order_by("pk"))
    for client in converted.iterator(chunk_size=500):
        lead, contact = client.lead, client.contact
        if lead.erased_at is not None or contact.other_contacts or contact.unreadable_contacts:
            continue
        lead.phone_text = phone_text(Phone(lead.phone, lead.phone_ext)) if lead.phone else ""
        requests = list(request_model.objects.filter(lead_id=lead.pk).order_by("-created_at"))
        replaced = set(change_model.objects.filter(lead_id=lead.pk, field__in=("phone", "email"))
                       .exclude(old_value="").values_list("old_value", flat=True))
        others, as_given = carried_to_client(lead, requests=requests, replaced=replaced)
        # what the contact holds itself (edited since the conversion) is not repeated as another contact
        own = {contact.email, phone_text(Phone(contact.phone, contact.phone_ext)) if contact.phone else ""}
        others = [value for value in others if value not in own]
        if not (others or as_given):
            continue
        contact_model.objects.filter(pk=contact.pk).update(other_contacts=others, unreadable_contacts=as_given)
        change_model.objects.bulk_create(
            [change_model(client_id=client.pk, field="other_contacts", new_value=value) for value in others]
            + [change_model(client_id=client.pk, field="unreadable_contacts", new_value=entry["value"])
               for entry in as_given])


def rekey_contacts(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Contacts converted from leads whose names were split wrong (leads.0023 fixed the leads): split again."""
    from leadflow.leads.names_rekey import Report, rekey_contacts as split_again

    split_again(Report(), apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0006_contact_email_checked'),
        ('leads', '0023_rekey_particle_names'),
    ]

    operations = [
        migrations.AddField(
            model_name='contact',
            name='other_contacts',
            field=models.JSONField(blank=True, default=list, verbose_name='other contacts'),
        ),
        migrations.AddField(
            model_name='contact',
            name='unreadable_contacts',
            field=models.JSONField(blank=True, default=list, verbose_name='contacts kept as given'),
        ),
        migrations.RunPython(carry_from_leads, migrations.RunPython.noop),
        migrations.RunPython(rekey_contacts, migrations.RunPython.noop),
    ]
