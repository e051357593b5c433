"""A person who reached the company only by Telegram (an interest keeping "t.me/ivan_petrov") or gave it next to
other contacts asks to be erased (privacy11): the admin finds them by the account however it is written ("@Ivan_Petrov",
a t.me link), on the erase page, in the API and in the command, and the erasure takes their cards and contacts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from leadflow.intake.models import Form
from leadflow.leads.models import Interest, Lead, Request
from leadflow.privacy.models import ErasureLog, Tombstone

pytestmark = pytest.mark.django_db


def post(headers: dict[str, str], **body: Any) -> Any:
    response = HttpClient().post("/api/submissions", data=json.dumps({"consent": True, **body}),
                                 content_type="application/json", headers=headers)
    assert response.status_code in (200, 201, 202), response.content
    return response


def test_an_interest_known_only_by_telegram_is_found_and_erased_on_the_erase_page(partner, admin_client):
    post({"X-Api-Key": partner[1]}, name="Иван Петров", phone="t.me/ivan_petrov")
    post({"X-Api-Key": partner[1]}, name="Пётр Иванов", phone="@ivan_petrov2")  # another person's account
    interest = Interest.objects.get(name="Иван Петров")
    other = Interest.objects.get(name="Пётр Иванов")

    page = admin_client.post("/privacy/erase/", {"telegram": "@Ivan_Petrov"}).content.decode()
    assert f"Interest #{interest.pk}" in page and f"Interest #{other.pk}" not in page
    assert "t.me/ivan_petrov, the contact searched for" in page

    done = admin_client.post("/privacy/erase/", {"telegram": "@Ivan_Petrov", "confirm": "erase"})

    assert done.status_code == 200
    interest.refresh_from_db()
    other.refresh_from_db()
    assert interest.name == "[erased]" and Request.objects.get(interest=interest).facts == {}
    assert other.name == "Пётр Иванов"
    assert Request.objects.get(interest=other).facts["messengers"] == ["t.me/ivan_petrov2"]
    assert ErasureLog.objects.count() == 1


def test_the_api_erases_by_a_telegram_link_and_the_cards_contacts_go_with_it(web_form: Form, admin_user, api_as):
    post({"X-Form-Key": web_form.public_key}, name="Иван Петров", email="ivan.petrov@mail.ru", phone="@ivan_petrov")
    lead = Lead.objects.get()

    response = api_as(admin_user).post("/api/privacy/erase", content_type="application/json",
                                       data={"telegram": "https://t.me/Ivan_Petrov/", "confirm": True})

    assert response.status_code == 200, response.content
    assert response.json()["lead_ids"] == [lead.pk]
    lead.refresh_from_db()
    assert lead.email == "" and lead.full_name == "[erased]"
    # the e-mail the card held and the account (privacy12): an import cannot bring them back by either
    assert sorted(Tombstone.objects.values_list("kind", flat=True)) == ["email", "telegram"]


def test_a_telegram_account_is_read_as_intake_reads_it_or_refused_naming_the_field(admin_user, api_as, admin_client):
    bad = api_as(admin_user).post("/api/privacy/erase", content_type="application/json",
                                  data={"telegram": "ivan petrov", "confirm": True})
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["telegram"]
    page = admin_client.post("/privacy/erase/", {"telegram": "@iv"})
    assert page.status_code == 422 and "Telegram: Not a Telegram account" in page.content.decode()
    missing = api_as(admin_user).get("/api/privacy/export", {"telegram": "@nobody_here"})
    assert missing.status_code == 404


def test_the_command_erases_by_telegram(partner, admin_user, capsys):
    post({"X-Api-Key": partner[1]}, name="Иван Петров", phone="t.me/ivan_petrov")

    call_command("privacy", "erase", "--telegram", "@ivan_petrov", "--as", admin_user.username, "--yes")

    assert Interest.objects.get().name == "[erased]"
