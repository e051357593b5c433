"""`matching.find` over the database: people among leads and contacts, and their companies."""

import pytest

from leadflow.leads import services
from leadflow.matching import services as matching

pytestmark = pytest.mark.django_db


def test_find_returns_the_person_and_their_company_with_reasons(alice, make_lead):
    lead = make_lead(owner=alice, first_name="Юлия", last_name="Смирнова", phone="+79161234567", email="")
    client = services.convert_lead(lead=lead, by=alice, company=services.CompanyFacts(
        name="Ромашка", legal_form="ООО", inn="7707083893"))
    found = matching.find(matching.Facts(first_name="Iuliia", last_name="Smirnova",
                                         phones=[matching.PhoneFact("+79161234567")], company='"Romashka" LLC'))
    kinds = {(c.card_type, c.card_id): c for c in found}
    person = kinds[("contact", client.contact_id)]
    assert person.score >= matching.upper_threshold() and "phone equal" in " ".join(person.reasons)
    company = kinds[("company", client.company_id)]
    assert company.reasons == ["same company name"] and company.score == 0.8
    by_inn = matching.find(matching.Facts(inn="7707083893"))
    assert [(c.card_type, c.card_id, c.score, c.reasons) for c in by_inn] == [
        ("company", client.company_id, 1.0, ["INN equal"])]


def test_a_colleague_is_not_the_person(alice, make_lead):
    make_lead(owner=alice, first_name="Анна", last_name="Иванова", phone="+74951234567", phone_ext="12",
              email="a.ivanova@romashka.ru", company_name="Ромашка")
    found = matching.find(matching.Facts(first_name="Олег", last_name="Сидоров",
                                         phones=[matching.PhoneFact("+74951234567", "15")],
                                         emails=["o.sidorov@romashka.ru"], company="Ромашка"))
    assert [c for c in found if c.card_type == "lead" and c.score >= matching.upper_threshold()] == []


def test_a_new_request_with_the_phone_one_digit_off_flags_the_card_as_a_possible_duplicate(alice, partner):
    """Гвоздев Семён again with his mobile mistyped: a new card (not attached for sure), flagged and pointing at
    the first one, so the manager looks before a second manager calls him."""
    from leadflow.intake import pipeline
    from leadflow.leads.models import Lead

    row, _key = partner
    first = pipeline.receive(pipeline.Inbound(channel="partner", partner=row, payload={
        "name": "Гвоздев Семён", "phone": "+7 916 333-44-55"})).lead
    second = pipeline.receive(pipeline.Inbound(channel="partner", partner=row, payload={
        "name": "Гвоздев Семён", "phone": "+7 916 333-44-56"})).lead
    assert second.pk != first.pk and Lead.objects.get(pk=second.pk).is_possible_duplicate
    found = matching.find(matching.facts_of_lead(second), minimum=matching.lower_threshold())
    assert ("lead", first.pk) in [(c.card_type, c.card_id) for c in found]
