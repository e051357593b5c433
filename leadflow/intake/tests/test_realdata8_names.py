"""A company and a person typed into one name field, round eight ("ООО Ромашка, Иван", "Иван (ООО Ромашка)"): the
person is a lead with the company as their company, not an interest named after the company nor a name "Ооо"."""

from __future__ import annotations

import time

import pytest
from django.test import Client as HttpClient

from leadflow.intake import webform_rules
from leadflow.intake.models import Form, Submission
from leadflow.intake.tests.realdata import post
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("typed", "name", "company"), [
    ("ООО Ромашка, Иван", ("", "Иван"), ("Ромашка", "ООО")),  # an interest named after the company before
    ("Иван, ООО «Ромашка»", ("", "Иван"), ("Ромашка", "ООО")),  # Иван Ооо Ромашка before
    ("Иван Петров (ООО Ромашка)", ("Петров", "Иван"), ("Ромашка", "ООО")),  # the company a remark before
    ("Петров Иван / АО \"Вектор\"", ("Петров", "Иван"), ("Вектор", "АО")),
    ("ООО Ромашка - Иванов Иван Иванович", ("Иванов", "Иван"), ("Ромашка", "ООО")),
    ("Acme Inc., John Smith", ("Smith", "John"), ("Acme", "Inc")),
])
def test_a_company_and_a_person_in_the_name_field_are_a_lead_of_that_company(partner, typed, name, company):
    status, answer = post({"name": typed, "phone": "89123456789"}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert not answer.get("warnings")
    lead = Lead.objects.get()
    assert ((lead.last_name, lead.first_name), (lead.company_name, lead.legal_form)) == (name, company)
    assert Submission.objects.get().payload["name"] == typed


def test_the_company_field_is_not_replaced_by_the_one_in_the_name(partner):
    status, answer = post({"name": "ООО Ромашка, Иван Петров", "company": "Лютик", "phone": "89123456789"},
                          {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.company_name) == ("Иван", "Петров", "Лютик")


@pytest.mark.parametrize("typed", ['ООО "Ромашка, плюс"', "ООО Ромашка, ООО Лютик", "ООО Ромашка, менеджер"])
def test_a_company_alone_is_still_an_interest(partner, typed):
    status, answer = post({"name": typed, "phone": "89123456789"}, {"X-Api-Key": partner[1]})

    assert status == 202, answer
    assert not Lead.objects.exists()
    assert Interest.objects.count() == 1


def test_the_hosted_form_takes_the_person_and_the_company(sales):
    form = Form.objects.create(name="Call me", slug="call-me", team=sales,
                               fields=[{"name": "name", "required": True}, {"name": "phone", "required": True}])
    token = webform_rules.issue_token(form, now=time.time() - 30)

    response = HttpClient().post("/f/call-me", {"_ts": token, "name": "ООО «Ромашка», Анна-Мария Иванова",
                                                "phone": "+7 912 345-67-89"})

    assert response.status_code == 200
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.company_name) == ("Анна-Мария", "Иванова", "Ромашка")
