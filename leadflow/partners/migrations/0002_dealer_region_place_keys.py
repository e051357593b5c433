"""Dealers' regions keyed as places: "г. Москва", "Moscow" and "мск" are the key of "Москва"."""

from django.db import migrations


def rekey(apps, schema_editor):
    from leadflow.matching.normalize import place_key

    region_model = apps.get_model("partners", "DealerRegion")
    taken = set(region_model.objects.values_list("key", flat=True))
    for region in region_model.objects.order_by("pk"):
        key = place_key(region.name)
        if key == region.key:
            continue
        if key in taken:
            # Two regions that are one place ("Москва" and "г. Москва"): the older one keeps it; the newer one keeps
            # its old key (found as typed, as before) until someone removes the duplicate in the admin.
            continue
        taken.discard(region.key)
        taken.add(key)
        region.key = key
        region.save(update_fields=["key"])


def old_keys(apps, schema_editor):
    region_model = apps.get_model("partners", "DealerRegion")
    for region in region_model.objects.all():
        region.key = " ".join(region.name.casefold().replace("ё", "е").split())
        region.save(update_fields=["key"])


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_postbacks_dealer_regions")]

    operations = [migrations.RunPython(rekey, old_keys)]
