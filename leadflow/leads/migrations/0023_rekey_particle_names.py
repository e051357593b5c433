"""Names with particles ("фон Бок Мария", "Ван дер Берг Ян", "де ла Круз") split again, their name keys made again."""

from django.db import migrations


def rekey(apps, schema_editor):
    # The app's own parser and key values (as partners.0002 does): the keys must be the ones a new submission gets;
    # the rows are read and written through this migration's models.
    from leadflow.leads.names_rekey import rekey as split_again

    split_again(apps=apps)


class Migration(migrations.Migration):
    dependencies = [("leads", "0022_lead_other_contacts"), ("matching", "0002_key_kinds"), ("intake", "0007_form_language_follows_site")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
