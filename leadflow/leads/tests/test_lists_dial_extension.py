"""A number with an extension is dialled with it from every list, as from the cards: "My leads", "My tasks" and the
clients list linked the office's main line alone, and the manager reached the switchboard, not the person."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.leads import services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["/leads/", "/tasks/", "/clients/"])
def test_every_list_dials_the_extension(make_lead, alice: User, page: str) -> None:
    lead = make_lead(owner=alice, phone="+74951234567", phone_ext="204")
    if page == "/clients/":
        services.convert_lead(lead=lead, by=alice)
    browser = HttpClient()
    browser.force_login(alice)
    html = browser.get(page).content.decode()
    assert 'href="tel:+74951234567,204"' in html
    assert 'href="tel:+74951234567"' not in html
    assert ">8 (495) 123-45-67 ext. 204</a>" in html
