"""Finding a client again (DOMAIN.md 8, 13): a manager types what the caller says, the phone in any notation, the
contact's name, the e-mail or the company's INN, on the clients page and in GET /api/clients."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.clients.models import Client
from leadflow.leads import services

pytestmark = pytest.mark.django_db


def found_on_page(user: User, query: str) -> list[str]:
    client = HttpClient()
    client.force_login(user)
    response = client.get("/clients/", {"q": query})
    assert response.status_code == 200
    return [row.name for row in response.context["clients"]]


@pytest.fixture
def romashka(make_lead, alice: User) -> Client:
    # As the pipeline stores them: the phone in E.164 with its extension apart, the e-mail lower-cased.
    lead = make_lead(owner=alice, last_name="Волков", first_name="Сергей", phone="+74951234567", phone_ext="204",
                     email="sergey.volkov@example.ru")
    company = services.CompanyFacts(name="Ромашка", legal_form="ООО", inn="7707083893")
    return services.convert_lead(lead=lead, by=alice, company=company)


@pytest.mark.parametrize("query", [
    "8 (495) 123-45-67",  # the phone as people write it
    "495 1234567",
    "+7-495-123-45-67 доб. 204",
    "Sergey.Volkov@Example.RU",  # the e-mail in another case
    "7707 083893",  # the INN in groups
    "волков",  # the contact's name, lower case
    "сергей волков",  # in the other order
    "ромашка",  # the company, lower case
    "ооо ромашка",
])
def test_a_client_is_found_by_what_the_caller_says(romashka: Client, alice: User, query: str) -> None:
    assert found_on_page(alice, query) == ["ООО Ромашка"]


def test_a_phone_of_someone_else_finds_nothing(romashka: Client, alice: User) -> None:
    assert found_on_page(alice, "8 (495) 123-45-68") == []
    assert found_on_page(alice, "Петров") == []


def test_a_search_finds_only_clients_one_sees(romashka: Client, bob: User) -> None:
    assert found_on_page(bob, "8 (495) 123-45-67") == []


def test_an_empty_search_says_nothing_was_found_not_no_clients(romashka: Client, alice: User) -> None:
    client = HttpClient()
    client.force_login(alice)
    page = client.get("/clients/", {"q": "Петров"}).content.decode()
    assert "Nothing found" in page
    assert "No clients yet" not in page


def test_the_api_finds_a_client_by_phone_as_the_page_does(romashka: Client, alice: User, api_as) -> None:
    response = api_as(alice).get("/api/clients", {"q": "8 (495) 123-45-67"})
    assert response.status_code == 200
    assert [row["name"] for row in response.json()] == ["ООО Ромашка"]


def test_the_search_reads_a_fixed_number_of_queries(romashka: Client, make_lead, alice: User,
                                                     django_assert_max_num_queries) -> None:
    for n in range(3):
        lead = make_lead(owner=alice, last_name="Волков", first_name=f"Пётр{n}")
        services.convert_lead(lead=lead, by=alice)
    client = HttpClient()
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        response = client.get("/clients/", {"q": "волков"})
    assert len(response.context["clients"]) == 4


@pytest.mark.parametrize("query", ["ромашка", "РОМАШКА", "ооо ромашка", "7707 083893", "7707083893"])
def test_the_companies_endpoint_finds_a_company_in_any_case_and_by_its_inn(romashka: Client, alice: User, api_as,
                                                                         query: str) -> None:
    """GET /api/companies?q= folded only Latin letters on SQLite: "ромашка" did not find "Ромашка"."""
    found = api_as(alice).get("/api/companies", {"q": query})
    assert found.status_code == 200
    assert [company["inn"] for company in found.json()] == ["7707083893"]


def test_the_companies_endpoint_needs_every_word(romashka: Client, alice: User, api_as) -> None:
    assert api_as(alice).get("/api/companies", {"q": "ромашка лютик"}).json() == []
