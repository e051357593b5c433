from django.db import migrations

STAGES = [
    ("new", "New", 10, "open", False),
    ("contacted", "Contacted", 20, "open", False),
    ("qualified", "Qualified", 30, "open", True),
    ("proposal", "Proposal sent", 40, "open", True),
    ("negotiation", "Negotiation", 50, "open", True),
    ("won", "Converted", 90, "won", True),
    ("lost", "Refused", 99, "lost", False),
]
REASONS = ["Too expensive", "Chose a competitor", "No budget now", "No need", "Could not reach", "Not a decision maker"]


def add_defaults(apps, schema_editor):
    Stage = apps.get_model("leads", "Stage")
    LostReason = apps.get_model("leads", "LostReason")
    for code, name, position, kind, qualified in STAGES:
        Stage.objects.get_or_create(
            code=code, defaults={"name": name, "position": position, "kind": kind, "is_qualified": qualified}
        )
    for name in REASONS:
        LostReason.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
