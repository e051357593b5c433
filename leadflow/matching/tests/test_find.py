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
