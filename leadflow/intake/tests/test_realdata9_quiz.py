"""A quiz's answers, round nine: Marquiz's answers list and a Tilda quiz's fields named by their questions are shown
on the request on the card (escaped), and the answers that are fields (city, deal type, product, company, company size)
fill them as a form's fields of those names would; the budget, which has no field, stays on the request."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.intake.models import Form, Submission
from leadflow.intake.tests.realdata import card, post
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


def marquiz(answers: list[dict], **contacts: str) -> dict:
    return {"answers": answers, "contacts": {"name": "Ольга Иванова", "phone": "+7 921 555-44-33", **contacts},
            "quiz": {"id": "5f1e2d3c", "name": "Расчёт дома"},
            "extra": {"href": "https://quiz.example.ru/", "utm": {"source": "vk"}}}


def test_marquizs_answers_fill_the_fields_they_name_and_are_shown_on_the_card(web_form: Form, alice: User):
    body = marquiz([{"q": "В каком городе строите?", "a": "Казань"},
                    {"q": "Опт или розница?", "a": "Оптом, от 50 м³"},
                    {"q": "Что вас интересует?", "a": "Газобетонные блоки"},
                    {"q": "Название вашей компании", "a": "ООО «СтройДом»"},
                    {"q": "Сколько сотрудников в компании?", "a": "50-100"},
                    {"q": "Какой у вас бюджет?", "a": "до 1 500 000 ₽"},
                    {"q": "Какие материалы рассматриваете?", "a": ["Газобетон", "Кирпич"]}])

    status, answer = post(body, {"X-Form-Key": web_form.public_key})

    assert status == 200, answer
    lead = Lead.objects.get()
    assert (lead.city, lead.deal_type, lead.product_interest, lead.company_name, lead.legal_form,
            lead.company_size) == ("Казань", "wholesale", "Газобетонные блоки", "СтройДом", "ООО", 50)
    facts = lead.requests.get().facts
    assert facts["budget"] == "до 1 500 000 ₽"
    assert [(item["question"], item["answer"]) for item in facts["answers"]] == [
        ("В каком городе строите?", "Казань"), ("Опт или розница?", "Оптом, от 50 м³"),
        ("Что вас интересует?", "Газобетонные блоки"), ("Название вашей компании", "ООО «СтройДом»"),
        ("Сколько сотрудников в компании?", "50-100"), ("Какой у вас бюджет?", "до 1 500 000 ₽"),
        ("Какие материалы рассматриваете?", "Газобетон, Кирпич")]
    page = card(lead, alice)
    assert "<dt>Какой у вас бюджет?</dt><dd>до 1 500 000 ₽</dd>" in page
    assert "<dt>Какие материалы рассматриваете?</dt><dd>Газобетон, Кирпич</dd>" in page


def test_a_quiz_answer_with_html_is_shown_as_text(web_form: Form, alice: User):
    body = marquiz([{"q": "<b>Ваш вопрос</b>?", "a": "<script>alert('quiz')</script><img src=x onerror=alert(1)>"}])

    status, answer = post(body, {"X-Form-Key": web_form.public_key})

    assert status == 200, answer
    page = card(Lead.objects.get(), alice)
    assert "<script>alert('quiz')</script>" not in page and "<img src=x" not in page and "<b>Ваш" not in page
    assert "&lt;script&gt;alert(&#x27;quiz&#x27;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;Ваш вопрос&lt;/b&gt;?" in page


def test_an_answer_that_does_not_read_as_its_field_stays_an_answer_and_costs_nothing(web_form: Form):
    body = marquiz([{"q": "Опт или розница?", "a": "Пока не знаю"}, {"q": "Сколько сотрудников?", "a": "много"}])

    status, answer = post(body, {"X-Form-Key": web_form.public_key})

    assert status == 200, answer
    lead = Lead.objects.get()
    assert (lead.deal_type, lead.company_size) == ("", None)
    assert [item["answer"] for item in lead.requests.get().facts["answers"]] == ["Пока не знаю", "много"]


def test_the_forms_own_field_wins_over_a_quiz_answer(partner):
    body = {**marquiz([{"q": "Ваш город", "a": "Казань"}]), "city": "Самара"}

    status, answer = post(body, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert Lead.objects.get().city == "Самара"


def test_a_tilda_quiz_posts_its_questions_as_fields_and_they_are_read_and_shown(web_form: Form, alice: User):
    body = urlencode({"Name": "Иванов Иван", "Phone": "+7 (912) 345-67-89",
                      "Какой_тип_дома_планируете?": "Каркасный", "В_каком_районе_участок?": "Новосибирский район",
                      "Ваш_город": "Новосибирск", "Ваш_бюджет": "3-5 млн", "tranid": "4567890:1234567",
                      "formid": "form123456"})

    response = HttpClient().post(f"/api/submissions?form_key={web_form.public_key}", body,
                                 content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200, response.content
    lead = Lead.objects.get()
    assert (lead.full_name, lead.phone, lead.city) == ("Иванов Иван", "+79123456789", "Новосибирск")
    facts = lead.requests.get().facts
    assert [(item["question"], item["answer"]) for item in facts["answers"]] == [
        ("Какой тип дома планируете?", "Каркасный"), ("В каком районе участок?", "Новосибирский район"),
        ("Ваш бюджет", "3-5 млн")]  # "Ваш_город" is the form's city field; tranid, formid the builder's own
    assert facts["budget"] == "3-5 млн"
    page = card(lead, alice)
    assert "<dt>Какой тип дома планируете?</dt><dd>Каркасный</dd>" in page
    assert Submission.objects.get().payload["Какой_тип_дома_планируете?"] == "Каркасный"  # the journal as sent


def test_a_repeat_quiz_shows_each_requests_own_answers(web_form: Form, alice: User):
    post(marquiz([{"q": "Ваш бюджет", "a": "до 1 млн"}]), {"X-Form-Key": web_form.public_key})
    post(marquiz([{"q": "Ваш бюджет", "a": "до 2 млн"}]), {"X-Form-Key": web_form.public_key})

    lead = Lead.objects.get()
    assert sorted(r.facts["budget"] for r in lead.requests.all()) == ["до 1 млн", "до 2 млн"]
    page = card(lead, alice)
    assert "<dd>до 1 млн</dd>" in page and "<dd>до 2 млн</dd>" in page
