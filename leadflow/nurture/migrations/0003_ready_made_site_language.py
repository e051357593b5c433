from django.db import migrations


def translate(apps, schema_editor):
    from leadflow.nurture.ready_made import translate_untouched

    translate_untouched(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("nurture", "0002_ready_made")]

    operations = [migrations.RunPython(translate, migrations.RunPython.noop)]
