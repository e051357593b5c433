"""Existing leads: one processing-consent record from each lead's consent summary, so the history is complete."""

from django.db import migrations

BATCH = 2000


def forwards(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    Consent = apps.get_model("privacy", "Consent")
    # Leads that already have a processing record (written since the records exist) are left as they are.
    recorded = set(Consent.objects.filter(purpose="processing", lead__isnull=False).values_list("lead_id", flat=True))
    rows = []
    leads = Lead.objects.filter(consent_given=True).order_by("pk").values_list(
        "pk", "email", "phone", "consent_text_version", "consent_channel", "consent_at", "created_at")
    for pk, email, phone, version, channel, at, created_at in leads.iterator(chunk_size=BATCH):
        if pk in recorded:
            continue
        rows.append(Consent(
            purpose="processing", given=True, lead_id=pk, email=(email or "").lower(), phone=phone or "",
            text_version=version or "", channel=channel or "migration", at=at or created_at,
        ))
        if len(rows) >= BATCH:
            Consent.objects.bulk_create(rows)
            rows = []
    if rows:
        Consent.objects.bulk_create(rows)


def backwards(apps, schema_editor):
    # The records may since have been joined by withdrawals and new consents: nothing is removed.
    pass


class Migration(migrations.Migration):

    dependencies = [
        ("privacy", "0002_erasure_log_and_tombstones"),
        ("leads", "0016_lead_erased_at"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
