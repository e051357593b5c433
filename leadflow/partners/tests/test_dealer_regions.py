"""Dealers by region: a lead from a city a dealer covers goes to the dealer's team, when the person agreed
to the transfer of their data to partners (a dealer is another company)."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient

from leadflow.accounts.models import Team
from leadflow.intake.models import Partner
from leadflow.leads.models import Lead
from leadflow.partners.models import DealerRegion
from leadflow.partners.tests.conftest import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def dealer(db) -> Partner:
    team = Team.objects.create(name="Дилер Урал")
    row = Partner.objects.create(name="Урал-Окна", team=team)
    for name in ("Екатеринбург", "Челябинск"):
        DealerRegion.objects.create(partner=row, name=name)
    return row


TO_PARTNERS = {"processing": True, "partners": True}


def form_lead(web_form, consents=TO_PARTNERS, **fields) -> Lead:
    body = {"name": "Иван Петров", "consents": consents, **fields}
    response = HttpClient().post("/api/submissions", data=json.dumps(body),
                                 content_type="application/json", headers={"X-Form-Key": web_form.public_key})
    assert response.status_code == 200
    return Lead.objects.get(phone=fields["phone"])


def test_a_lead_from_a_dealers_city_goes_to_the_dealers_team(dealer, web_form):
    lead = form_lead(web_form, phone="+79123456789", city="  ЧЕЛЯБИНСК ")
    assert lead.team == dealer.team


def test_without_consent_to_transfer_to_partners_the_lead_stays_with_the_forms_team(dealer, web_form):
    lead = form_lead(web_form, consents={"processing": True, "partners": False}, phone="+79123456789",
                     city="Челябинск")
    assert lead.team == web_form.team
    assert form_lead(web_form, consents={}, phone="+79123450000", city="Челябинск").team == web_form.team


def test_other_cities_and_leads_without_a_city_stay_with_the_forms_team(dealer, web_form):
    assert form_lead(web_form, phone="+79123456789", city="Тверь").team == web_form.team
    assert form_lead(web_form, phone="+79123450000").team == web_form.team


def test_yo_and_ye_spellings_are_one_city(db, web_form):
    team = Team.objects.create(name="Дилер Орёл")
    DealerRegion.objects.create(partner=Partner.objects.create(name="Орёл-Сервис", team=team), name="Орёл")
    assert form_lead(web_form, phone="+79123456789", city="орел").team == team


def test_an_inactive_dealer_gets_no_leads(dealer, web_form):
    Partner.objects.filter(pk=dealer.pk).update(is_active=False)
    assert form_lead(web_form, phone="+79123456789", city="Екатеринбург").team == web_form.team


def test_a_partner_with_its_own_team_keeps_its_submissions(dealer, partner):
    row, key = partner
    submit(key, {"name": "Иван Петров", "phone": "+79123456789", "city": "Екатеринбург"})
    assert Lead.objects.get().team == row.team


def test_a_manager_entering_an_exhibition_contact_from_a_dealer_region_routes_it_to_the_dealer(dealer, api_as, alice):
    response = api_as(alice).post("/api/submissions", data={"name": "Иван Петров", "phone": "+79123456789",
                                                            "city": "Екатеринбург", "consents": TO_PARTNERS},
                                 content_type="application/json")
    assert response.status_code == 201
    assert Lead.objects.get().team == dealer.team


def test_one_region_has_one_dealer(dealer):
    other = Partner.objects.create(name="Екб-Двери", team=dealer.team)
    region = DealerRegion(partner=other, name="екатеринбург")
    with pytest.raises(ValidationError) as error:
        region.full_clean()
    assert error.value.message_dict["name"] == ["екатеринбург is already covered by Урал-Окна."]


@pytest.mark.parametrize("city", ["г. Екатеринбург", "ЕКБ", "Yekaterinburg", "Челябинск г."])
def test_a_dealers_city_written_another_way_goes_to_the_dealer(dealer, web_form, city):
    assert form_lead(web_form, phone="+79123456789", city=city).team == dealer.team


def test_one_place_cannot_be_given_to_two_dealers_under_two_spellings(dealer):
    other = Partner.objects.create(name="Другой дилер", team=Team.objects.create(name="Другие"))
    with pytest.raises(ValidationError):
        DealerRegion(partner=other, name="г. Екатеринбург").full_clean()


def test_the_migration_keys_existing_regions_as_places(dealer):
    import importlib

    from django.apps import apps

    for name in ("Екатеринбург", "Челябинск"):  # as the old key wrote them
        DealerRegion.objects.filter(name=name).update(key=name.casefold())
    importlib.import_module("leadflow.partners.migrations.0002_dealer_region_place_keys").rekey(apps, None)
    assert dict(DealerRegion.objects.values_list("name", "key")) == {"Екатеринбург": "ekaterinburg",
                                                                     "Челябинск": "chelyabinsk"}


@pytest.mark.parametrize("city", ["Челябинск и область", "Челябинск, Челябинская обл.", "г. Челябинск / обл.",
                                  "Челябинск (область)"])
def test_a_city_written_with_its_region_goes_to_the_dealer_of_the_city(dealer, web_form, city):
    # "Москва и МО", "Королёв, Московская обл.": the whole text was no place, and the lead stayed with the form's team
    lead = form_lead(web_form, phone="+79123456789", city=city)
    assert lead.team == dealer.team and lead.city == city  # the city as the person wrote it
