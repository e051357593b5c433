"""Name particles and Turkic/Arabic patronymics read right, with the same identity keys however typed (realdata4)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from leadflow.intake import pipeline
from leadflow.leads.models import FieldChange, Interest, Lead
from leadflow.leads.names_rekey import rekey
from leadflow.matching import normalize
from leadflow.matching import services as matching
from leadflow.matching.keys import candidate_keys
from leadflow.matching.models import IdentityKey


@pytest.mark.parametrize(("typed", "last", "first", "middle"), [
    ("фон Бок Мария", "фон Бок", "Мария", ""),
    ("Мария фон Бок", "фон Бок", "Мария", ""),
    ("Фон Бок Мария Луиза", "фон Бок", "Мария", "Луиза"),
    ("Ван дер Берг Ян", "ван дер Берг", "Ян", ""),
    ("Ян ван дер Берг", "ван дер Берг", "Ян", ""),
    ("van der Berg Jan", "van der Berg", "Jan", ""),
    ("Jan Peter van der Berg", "van der Berg", "Jan", "Peter"),
    ("де ла Круз Мария", "де ла Круз", "Мария", ""),
    ("Мария де ла Круз", "де ла Круз", "Мария", ""),
    ("de la Cruz Maria", "de la Cruz", "Maria", ""),
    ("Maria Luisa de la Cruz Garcia", "de la Cruz Garcia", "Maria", "Luisa"),
    ("Шарль де Голль", "де Голль", "Шарль", ""),
    ("ван Гог Винсент", "ван Гог", "Винсент", ""),  # a lower-case particle among capitalised words
    ("Леонардо да Винчи", "да Винчи", "Леонардо", ""),
    ("Мамедов Али Гусейн оглы", "Мамедов", "Али", "Гусейн оглы"),
    ("Али Гусейн оглы Мамедов", "Мамедов", "Али", "Гусейн оглы"),
    ("Алиева Лейла Гасан кызы", "Алиева", "Лейла", "Гасан кызы"),
    ("Mamedov Ali Huseyn oglu", "Mamedov", "Ali", "Huseyn oglu"),
    ("Хасанов Ахмед ибн Хасан", "Хасанов", "Ахмед", "ибн Хасан"),
    # particles that are names on their own stay names: Chinese Ван, Vietnamese Ле ... Ван
    ("Ван Ли", "Ли", "Ван", ""),
    ("Ле Ван Тхань", "Тхань", "Ле", "Ван"),
    ("Петров Иван Иванович", "Петров", "Иван", "Иванович"),
])
def test_names_with_particles_are_split_right(typed, last, first, middle):
    name = normalize.split_person_name(typed)
    assert (name.last, name.first, name.middle) == (last, first, middle)


def keys_of(**parts: str) -> set[tuple[str, str]]:
    facts = matching.Facts(first_name=parts.get("first", ""), last_name=parts.get("last", ""),
                           middle_name=parts.get("middle", ""))
    return {key for key in candidate_keys(facts.record()) if key[0] == "name"}


@pytest.mark.parametrize("spellings", [
    ["фон Бок Мария", "Мария фон Бок", "ФОН БОК МАРИЯ"],
    ["Ван дер Берг Ян", "Ян ван дер Берг"],
    ["де ла Круз Мария", "Мария де ла Круз"],
    ["Мамедов Али Гусейн оглы", "Али Гусейн оглы Мамедов"],
])
def test_every_order_of_a_name_gives_the_same_name_keys_as_the_name_in_parts(spellings):
    split = [normalize.split_person_name(text) for text in spellings]
    keys = [keys_of(last=name.last, first=name.first, middle=name.middle) for name in split]
    assert keys[0] and all(k == keys[0] for k in keys)
    first = split[0]
    parts = normalize.person_name_from_parts(first=first.first, last=first.last.upper(), middle=first.middle)
    assert keys_of(last=parts.last, first=parts.first, middle=parts.middle) == keys[0]


def receive(partner, **payload) -> pipeline.Outcome:
    return pipeline.receive(pipeline.Inbound(channel="partner", partner=partner[0], payload=payload))


def old_split(lead: Lead, last: str, first: str, middle: str) -> None:
    """What the parser before realdata4 stored for the name, with its keys."""
    Lead.objects.filter(pk=lead.pk).update(last_name=last, first_name=first, middle_name=middle,
                                           full_name=" ".join(p for p in (last, first, middle) if p))
    lead.refresh_from_db()
    matching.replace_keys(card_type="lead", card_id=lead.pk, facts=matching.facts_of_lead(lead))


def name_keys(card_type: str, pk: int) -> set[str]:
    return set(IdentityKey.objects.filter(card_type=card_type, card_id=pk, kind="name").values_list("value", flat=True))


@pytest.mark.django_db
def test_names_stored_split_wrong_are_split_again_and_keyed_as_a_new_submission_is(partner, alice):
    lead = receive(partner, name="фон Бок Мария", phone="+7 912 345 67 89").lead
    right_keys = name_keys("lead", lead.pk)
    old_split(lead, "Фон", "Мария", "Бок")
    edited = receive(partner, name="Ван дер Берг Ян", phone="+7 912 345 67 80").lead
    old_split(edited, "Ван", "Ян", "Дер Берг")
    Lead.objects.filter(pk=edited.pk).update(middle_name="Берг")  # a manager edited it by hand since
    interest = receive(partner, name="Мария фон Бок").interest_id  # no contact: an interest
    IdentityKey.objects.filter(card_type="interest", card_id=interest, kind="name").delete()
    IdentityKey.objects.create(card_type="interest", card_id=interest, kind="name", value="n:stale")
    assert name_keys("lead", lead.pk) != right_keys

    dry = rekey(dry_run=True)
    assert [pk for pk, _old, _new in dry.leads] == [lead.pk] and Lead.objects.get(pk=lead.pk).last_name == "Фон"

    report = rekey()

    lead.refresh_from_db()
    assert (lead.last_name, lead.first_name, lead.middle_name, lead.full_name) == (
        "фон Бок", "Мария", "", "фон Бок Мария")
    assert name_keys("lead", lead.pk) == right_keys
    assert lead.search_text == "фон бок мария +79123456789"
    assert FieldChange.objects.filter(lead=lead, field="last_name", old_value="Фон", new_value="фон Бок",
                                      changed_by=None).exists()
    assert Lead.objects.get(pk=edited.pk).middle_name == "Берг" and report.skipped == 1  # left as the manager made it
    assert "n:stale" not in name_keys("interest", interest) and name_keys("interest", interest)
    # a new request with the name in another order finds the card by its name keys
    again = normalize.split_person_name("Мария фон Бок")
    facts = matching.Facts(last_name=again.last, first_name=again.first, emails=["maria@example.ru"])
    assert ("lead", lead.pk) in [(c.card_type, c.card_id) for c in matching.find(facts)]
    assert Interest.objects.filter(pk=interest).exists()


@pytest.mark.django_db
def test_the_command_lists_what_it_would_change(partner, capsys):
    lead = receive(partner, name="Мария де ла Круз", phone="+7 912 345 67 89").lead
    old_split(lead, "Круз", "Мария", "Де Ла")
    call_command("rekeynames", "--dry-run")
    assert f"lead #{lead.pk}: Круз Мария Де Ла -> де ла Круз Мария" in capsys.readouterr().out
    assert Lead.objects.get(pk=lead.pk).last_name == "Круз"
    call_command("rekeynames")
    assert Lead.objects.get(pk=lead.pk).last_name == "де ла Круз"


BEFORE, AFTER = ("leads", "0022_lead_other_contacts"), ("leads", "0023_rekey_particle_names")


@pytest.mark.django_db(transaction=True)
def test_the_migration_splits_the_stored_names_again(partner, migrate_to):
    lead = receive(partner, name="Ван дер Берг Ян", phone="+7 912 345 67 89").lead
    old_split(lead, "Ван", "Ян", "Дер Берг")
    migrate_to(BEFORE)
    # read as the lead was at that migration: a column added since (leads.0030 telegram) is not there yet
    split = migrate_to(AFTER).get_model("leads", "Lead").objects.get(pk=lead.pk)
    assert (split.last_name, split.first_name, split.middle_name) == ("ван дер Берг", "Ян", "")
