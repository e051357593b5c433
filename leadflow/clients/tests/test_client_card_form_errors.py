"""A refused form on the client card says why by each field, where the form is, and keeps what was typed, as the lead
card's forms do: the errors were one line at the top of the card, away from the form and the field to correct."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.clients.forms import ClientEditForm
from leadflow.clients.models import Client
from leadflow.core.tests import card_forms
from leadflow.leads import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_of_alice(make_lead, alice: User) -> Client:
    return services.convert_lead(lead=make_lead(owner=alice, first_name="Иван", last_name="Петров"), by=alice)


def _refused(web: HttpClient, client: Client, action: str, data: dict[str, str]) -> str:
    return card_forms.refused(web, f"/clients/{client.pk}/", action, data)


_web, _by_field, _summary = card_forms.web, card_forms.by_field, card_forms.summary


def test_a_wrong_inn_on_the_edit_form_is_said_by_the_inn_and_the_rest_typed_stays(client_of_alice, alice) -> None:
    typed = {**ClientEditForm.initial_for(client_of_alice), "company": "ООО Ромашка", "inn": "7707083894",
             "position": "Директор по закупкам"}
    form = _refused(_web(alice), client_of_alice, "edit", typed)

    inn = _by_field(form, "edit_inn")
    assert "INN check digit does not match" in inn and 'value="7707083894"' in inn
    assert "INN: INN: " not in form  # the field's label once, not again inside its message
    assert 'value="Директор по закупкам"' in _by_field(form, "edit_position")
    assert '<a href="#edit_inn">INN: ' in _summary(form)
    assert Client.objects.get(pk=client_of_alice.pk).company_id is None


def test_a_bad_phone_on_the_edit_form_is_said_by_the_phone(client_of_alice, alice) -> None:
    typed = {**ClientEditForm.initial_for(client_of_alice), "phone": "12"}
    form = _refused(_web(alice), client_of_alice, "edit", typed)
    assert "too few digits" in _by_field(form, "edit_phone") and 'value="12"' in _by_field(form, "edit_phone")


def test_a_wrong_inn_and_a_bad_phone_are_said_together_not_one_after_the_other(client_of_alice, alice) -> None:
    typed = {**ClientEditForm.initial_for(client_of_alice), "inn": "7707083894", "phone": "12", "email": "a@b"}
    form = _refused(_web(alice), client_of_alice, "edit", typed)
    assert "INN check digit does not match" in _by_field(form, "edit_inn")
    assert "too few digits" in _by_field(form, "edit_phone")
    assert _by_field(form, "edit_email").count('class="errorlist') == 1
    summary = _summary(form)
    assert '<a href="#edit_inn">' in summary and '<a href="#edit_phone">' in summary


def test_a_call_logged_with_nothing_said_is_refused_where_the_log_form_is(client_of_alice, alice) -> None:
    form = _refused(_web(alice), client_of_alice, "activity", {"kind": "call", "duration_minutes": "-3"})
    assert "greater than or equal to 0" in _by_field(form, "activity_duration_minutes")
    assert 'value="-3"' in _by_field(form, "activity_duration_minutes")
