"""INN, KPP and OGRN must agree with the legal form: an organisation's numbers are not a sole trader's."""

import pytest
from django.test import Client as HttpClient

from leadflow.clients.models import Client
from leadflow.clients.validators import clean_number, legal_form_errors, validate_inn, validate_kpp, validate_ogrn
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
        # typed in groups: the length is the digits'
        ("ИП", {"inn": "5001 0073 2259", "ogrn": "304-770-000-000-019"}, set()),
        ("ООО", {"inn": "500 100 732 259"}, {"inn"}),
        # state and municipal institutions, housing and garden partnerships are organisations
        ("ГБУ", {"inn": ORG_INN, "kpp": "773601001", "ogrn": ORG_OGRN}, set()),
        ("ГБУ", {"inn": PERSON_INN}, {"inn"}),
        ("ФГБУ", {"ogrn": OGRNIP}, {"ogrn"}),
        ("ФГБОУ ВО", {"inn": PERSON_INN}, {"inn"}),
        ("МБОУ", {"inn": PERSON_INN}, {"inn"}),
        ("МБДОУ", {"inn": PERSON_INN}, {"inn"}),
        ("ГБУЗ", {"inn": PERSON_INN}, {"inn"}),
        ("ТСЖ", {"inn": PERSON_INN}, {"inn"}),
        ("СНТ", {"ogrn": OGRNIP}, {"ogrn"}),
        # a farm (КФХ) is registered as an organisation or as its head, a sole trader
        ("КФХ", {"inn": PERSON_INN, "ogrn": OGRNIP}, set()),
        ("КФХ", {"inn": ORG_INN, "ogrn": ORG_OGRN}, set()),
        # a foreign or unknown form is not judged by Russian rules
        ("LLC", {"inn": PERSON_INN}, set()),
        ("ТОВ", {"inn": PERSON_INN}, set()),
        ("", {"inn": PERSON_INN, "ogrn": ORG_OGRN}, set()),
    ],
)
def test_numbers_agree_with_the_legal_form(legal_form, numbers, fields):
    assert set(legal_form_errors(legal_form, **numbers)) == fields


@pytest.mark.parametrize(
    ("company", "legal_form"),
    [
        ("ГБУ «Жилищник района Арбат»", "ГБУ"),
        ("ФГБОУ ВО «МГТУ им. Н.Э. Баумана»", "ФГБОУ ВО"),
        ("муниципальное бюджетное общеобразовательное учреждение «Школа № 5»", "МБОУ"),
        ("ТСЖ «Ромашка»", "ТСЖ"),
        ("КФХ Иванова И.И.", "КФХ"),
    ],
)
def test_the_legal_form_of_a_typed_company_is_judged(company, legal_form):
    from leadflow.matching.normalize import split_company

    assert split_company(company).legal_form == legal_form
    assert set(legal_form_errors(split_company(company).legal_form, inn=PERSON_INN)) == (
        set() if legal_form == "КФХ" else {"inn"})


# --- numbers typed in groups ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validator", "typed", "stored"),
    [
        (validate_inn, "7707 083893", ORG_INN),
        (validate_inn, "770-708-38-93", ORG_INN),
        (validate_inn, "7707.083.893", ORG_INN),
        (validate_inn, "7707\u00a0083893", ORG_INN),  # a no-break space from a document
        (validate_inn, "5001 0073 2259", PERSON_INN),
        (validate_kpp, "7736 01 001", "773601001"),
        (validate_kpp, "7736-01-001", "773601001"),
        (validate_ogrn, "1 02 77 00 132195", ORG_OGRN),
        (validate_ogrn, "304-770-000-000-019", OGRNIP),
    ],
)
def test_numbers_typed_with_separators_are_read(validator, typed, stored):
    validator(typed)
    assert clean_number(typed) == stored


@pytest.mark.parametrize(
    ("validator", "typed", "message"),
    [
        (validate_inn, "77О7 083893", "INN must contain only digits"),  # a Cyrillic О
        (validate_inn, "7707/083893", "INN must contain only digits"),
        (validate_inn, "-7707083893", "INN must contain only digits"),  # a minus is no grouping
        (validate_inn, "7707 08389", "INN must have 10 or 12 digits"),
        (validate_inn, "7707 083894", "INN check digit does not match"),
        (validate_kpp, "7736 01 0011", "KPP must have 9 characters"),
        (validate_ogrn, "1 02 77 00 13219", "OGRN must have 13 digits, or 15 for a sole trader (OGRNIP)"),
        (validate_ogrn, "1O27700132195", "OGRN must contain only digits"),
    ],
)
def test_letters_or_a_wrong_length_stay_errors(validator, typed, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        validator(typed)
    assert error.value.messages == [message]


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
def test_convert_takes_numbers_typed_in_groups(as_alice, alice, make_lead):
    lead = make_lead(owner=alice)
    as_alice.post(f"/leads/{lead.pk}/convert/", {"company_name": "Ромашка", "legal_form": "ООО",
                                                  "inn": "770-708-38-93", "kpp": "7736 01 001",
                                                  "ogrn": "1 02 77 00 132195"})
    company = Client.objects.get().company
    assert (company.inn, company.kpp, company.ogrn) == (ORG_INN, "773601001", ORG_OGRN)


@pytest.mark.django_db
def test_convert_over_the_api_takes_numbers_typed_in_groups(api_as, alice, make_lead):
    lead = make_lead(owner=alice)
    response = api_as(alice).post(f"/api/leads/{lead.pk}/convert",
                                  {"company": {"name": "Ромашка", "inn": "7707 083893", "ogrn": "1027700132195"}},
                                  content_type="application/json")
    assert response.status_code == 201
    assert Client.objects.get().company.inn == ORG_INN
    # the same company typed another way is the same company
    other = make_lead(owner=alice)
    api_as(alice).post(f"/api/leads/{other.pk}/convert", {"company": {"name": "Ромашка", "inn": "7707.083.893"}},
                       content_type="application/json")
    assert Client.objects.count() == 2 and len({c.company_id for c in Client.objects.all()}) == 1


@pytest.mark.django_db
def test_convert_over_the_api_refuses_letters_in_the_inn(api_as, alice, make_lead):
    lead = make_lead(owner=alice)
    response = api_as(alice).post(f"/api/leads/{lead.pk}/convert",
                                  {"company": {"name": "Ромашка", "inn": "77О7 083893"}},
                                  content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"company.inn": ["INN must contain only digits"]}
    assert Client.objects.count() == 0


@pytest.mark.django_db
def test_admin_stores_numbers_typed_in_groups(admin_user):
    http = HttpClient()
    http.force_login(admin_user)
    response = http.post("/admin/clients/company/add/", {"name": "Ромашка", "legal_form": "ООО",
                                                        "inn": "770-708-38-93", "kpp": "7736 01 001", "ogrn": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    from leadflow.clients.models import Company

    assert Company.objects.values_list("inn", "kpp").get() == (ORG_INN, "773601001")


@pytest.mark.django_db
def test_convert_a_sole_trader(as_alice, alice, make_lead):
    lead = make_lead(owner=alice)
    as_alice.post(f"/leads/{lead.pk}/convert/", {"company_name": "Иванов Иван Иванович", "legal_form": "ИП",
                                                  "inn": PERSON_INN, "ogrn": OGRNIP})
    assert Client.objects.get().company.inn == PERSON_INN
