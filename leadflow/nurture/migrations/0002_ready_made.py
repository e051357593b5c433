from django.db import migrations


def install(apps, schema_editor):
    from leadflow.nurture.ready_made import install

    install(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("nurture", "0001_segments_sequences")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
