"""Identity keys for the contacts stored before they had keys (matching.given_keys): privacy.find_person reads
the keys alone for a card's other contacts and its requests' "Also gave"."""

from django.db import migrations


def register(apps, schema_editor):  # type: ignore[no-untyped-def]
    from leadflow.matching.given_keys import register_given_contacts

    register_given_contacts(apps=apps)


class Migration(migrations.Migration):

    dependencies = [
        ('matching', '0002_key_kinds'),
        ('leads', '0025_verbose_names'),
        ('clients', '0008_verbose_names'),
    ]

    operations = [
        migrations.RunPython(register, migrations.RunPython.noop),
    ]
