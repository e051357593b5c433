"""INN, KPP and OGRN must agree with the legal form: an organisation's numbers are not a sole trader's."""

import pytest
from django.test import Client as HttpClient

from leadflow.clients.models import Client
from leadflow.clients.validators import legal_form_errors
from leadflow.leads.models import Lead

ORG_INN, PERSON_INN = "7707083893", "500100732259"
ORG_OGRN, OGRNIP = "1027700132195", "304770000000019"


@pytest.mark.parametrize(
    ("legal_form", "numbers", "fields"),
    [
        ("ООО", {"inn": ORG_INN, "kpp": "773601001", "ogrn": ORG_OGRN}, set()),
        ("АО", {"inn": ORG_INN}, set()),
        ("ИП", {"inn": PERSON_INN, "ogrn": OGRNIP}, set()),
        ("ООО", {"inn": PERSON_INN}, {"inn"}),
        ("ПАО", {"ogrn": OGRNIP}, {"ogrn"}),
        ("ИП", {"inn": ORG_INN}, {"inn"}),
        ("ИП", {"ogrn": ORG_OGRN}, {"ogrn"}),
        ("ИП", {"inn": PERSON_INN, "kpp": "773601001"}, {"kpp"}),
        ("ИП", {"inn": f" {PERSON_INN} "}, set()),
        # a foreign or unknown form is not judged by Russian rules
        ("LLC", {"inn": PERSON_INN}, set()),
        ("", {"inn": PERSON_INN, "ogrn": ORG_OGRN}, set()),
    ],
)
def test_numbers_agree_with_the_legal_form(legal_form, numbers, fields):
    assert set(legal_form_errors(legal_form, **numbers)) == fields


@pytest.fixture
def as_alice(alice):
    http = HttpClient()
    http.force_login(alice)
    return http


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "numbers", "message"),
    [
        ("ООО", {"inn": PERSON_INN}, "An organisation has a 10-digit INN"),
        ("ип", {"inn": ORG_INN}, "A sole trader (ИП) has a 12-digit INN"),
        ("ИП", {"inn": PERSON_INN, "kpp": "773601001"}, "A sole trader (ИП) has no KPP"),
    ],
)
def test_convert_refuses_numbers_of_another_legal_form(as_alice, alice, make_lead, form, numbers, message):
    lead = make_lead(owner=alice)
    response = as_alice.post(f"/leads/{lead.pk}/convert/", {"company_name": "Ромашка", "legal_form": form, **numbers},
                             follow=True)
    assert message in response.content.decode()
    assert Client.objects.count() == 0 and Lead.objects.get(pk=lead.pk).state == "open"


@pytest.mark.django_db
def test_convert_a_sole_trader(as_alice, alice, make_lead):
    lead = make_lead(owner=alice)
    as_alice.post(f"/leads/{lead.pk}/convert/", {"company_name": "Иванов Иван Иванович", "legal_form": "ИП",
                                                  "inn": PERSON_INN, "ogrn": OGRNIP})
    assert Client.objects.get().company.inn == PERSON_INN
