"""A refused form on the lead card says why by each field, where the form is, and keeps what was typed: the errors
used to be one line at the top of the card, away from the form and the field to correct."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.core.tests import card_forms
from leadflow.leads.models import Activity, Lead, LeadState, Task

pytestmark = pytest.mark.django_db


def _refused(web: HttpClient, lead: Lead, action: str, data: dict[str, str]) -> str:
    return card_forms.refused(web, f"/leads/{lead.pk}/", action, data)


_web, _by_field, _summary = card_forms.web, card_forms.by_field, card_forms.summary


def test_a_wrong_inn_is_said_by_the_inn_and_the_rest_typed_stays(alice: User, make_lead) -> None:
    lead = make_lead(owner=alice)
    form = _refused(_web(alice), lead, "convert", {"company_name": "Ромашка", "legal_form": "ООО",
                                                   "inn": "7707083894", "kpp": "773601001"})
    inn = _by_field(form, "convert_inn")
    assert "INN check digit does not match" in inn and 'aria-invalid="true"' in inn and 'value="7707083894"' in inn
    assert "check digit" not in _by_field(form, "convert_kpp") and 'value="773601001"' in form
    assert 'value="Ромашка"' in _by_field(form, "convert_company_name")
    assert '<a href="#convert_inn">INN: ' in _summary(form)
    assert Lead.objects.get(pk=lead.pk).state == LeadState.OPEN


def test_a_past_day_is_said_by_the_defer_date(alice: User, make_lead) -> None:
    lead = make_lead(owner=alice)
    form = _refused(_web(alice), lead, "defer", {"until": "2001-01-01", "note": "after the budget"})
    assert "The date must be in the future." in _by_field(form, "defer_until")
    assert 'value="after the budget"' in _by_field(form, "defer_note")
    assert '<a href="#defer_until">' in _summary(form)
    assert Lead.objects.get(pk=lead.pk).state == LeadState.OPEN


def test_a_refusal_without_a_reason_is_said_by_the_reason_and_the_note_stays(alice: User, make_lead) -> None:
    lead = make_lead(owner=alice)
    form = _refused(_web(alice), lead, "refuse", {"reason": "", "note": "bought from a competitor"})
    assert "This field is required." in _by_field(form, "refuse_reason")
    assert "bought from a competitor</textarea>" in _by_field(form, "refuse_note")
    assert Lead.objects.get(pk=lead.pk).state == LeadState.OPEN


def test_a_task_due_in_the_past_is_said_by_its_due_time(alice: User, make_lead) -> None:
    """Refused by the service (the form takes any date): still shown by the field it names."""
    lead = make_lead(owner=alice)
    past = (timezone.localtime() - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    form = _refused(_web(alice), lead, "task", {"title": "Send the price list", "kind": "call", "due_at": past})
    due = _by_field(form, "task_due_at")
    assert "has already passed; a new task must be due from now on." in due
    assert 'value="Send the price list"' in _by_field(form, "task_title")
    assert '<a href="#task_due_at">' in _summary(form)
    assert not Task.objects.filter(lead=lead, title="Send the price list").exists()


def test_a_call_logged_with_nothing_said_is_summed_up_above_the_logging_form(alice: User, make_lead) -> None:
    lead = make_lead(owner=alice)
    form = _refused(_web(alice), lead, "activity", {"kind": "meeting", "subject": "", "duration_minutes": ""})
    assert "Say what happened: a subject, notes or how long it took." in form
    assert form.index('data-testid="error-summary"') < form.index('id="activity_subject"')
    assert re.search(r'<option value="meeting" selected>', form)
    assert not Activity.objects.filter(lead=lead).exists()


def test_the_errors_are_shown_once(alice: User, make_lead) -> None:
    lead = make_lead(owner=alice)
    web = _web(alice)
    _refused(web, lead, "defer", {"until": "2001-01-01"})
    again = web.get(f"/leads/{lead.pk}/").content.decode()
    assert "The date must be in the future." not in again and 'data-testid="error-summary"' not in again


def test_a_refusal_of_a_form_the_card_no_longer_shows_is_said_at_the_top(alice: User, make_lead) -> None:
    # The card was open in two tabs: converted in one, deferred from the other. The defer form is gone from the
    # card now, so a refusal kept for it was never seen; it is said at the top instead.
    from leadflow.leads import services

    lead = make_lead(owner=alice)
    web = _web(alice)
    services.convert_lead(lead=lead, by=alice)
    response = web.post(f"/leads/{lead.pk}/defer/", {"until": "2099-01-01", "note": "after the budget"}, follow=True)
    page = response.content.decode()
    assert 'class="message error"' in page
    assert 'id="action-defer"' not in page
    assert Lead.objects.get(pk=lead.pk).state == LeadState.CONVERTED
