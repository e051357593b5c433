"""A quiz asking someone else's phone or e-mail (privacy11): "Телефон ребёнка", "Child's phone", "Email мужа" do not
fill the lead's phone or e-mail, as "Как зовут вашего ребёнка?" does not fill its name; the answer stays on the request
for the manager to read, and the visitor's own contact is the card's."""

from __future__ import annotations

import pytest

from leadflow.intake.builders import field_of_question
from leadflow.intake.models import Form
from leadflow.intake.tests.realdata import post
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


def quiz(contacts: dict, question: str, answer: str) -> dict:
    """Marquiz's webhook: the quiz's answers, then its contact step."""
    return {"answers": [{"q": "Что вас интересует?", "a": "Летний лагерь"}, {"q": question, "a": answer}],
            "contacts": contacts, "quiz": {"id": "5f1e2d3c", "name": "Подбор смены"}}


@pytest.mark.parametrize(("question", "answer"), [
    ("Телефон ребёнка", "+7 916 111-22-33"), ("Child's phone", "+7 916 111-22-33"),
    ("Номер телефона сына", "89161112233"),
])
def test_someone_elses_phone_in_a_quiz_is_not_the_leads_phone(web_form: Form, question, answer):
    status, body = post(quiz({"name": "Ольга Петрова", "email": "olga.petrova@mail.ru"}, question, answer),
                        {"X-Form-Key": web_form.public_key})

    assert status == 200, body
    lead = Lead.objects.get()
    assert (lead.email, lead.phone) == ("olga.petrova@mail.ru", "")
    facts = lead.requests.get().facts
    assert {"question": question, "answer": answer, "field": ""} in facts["answers"]
    assert "+79161112233" not in str(facts.get("other_phones", []))


@pytest.mark.parametrize(("question", "answer"), [("Email мужа", "muzh@mail.ru"), ("Husband's e-mail", "muzh@mail.ru"),
                                                  ("Почта ребёнка", "kid@mail.ru")])
def test_someone_elses_email_in_a_quiz_is_not_the_leads_email(web_form: Form, question, answer):
    status, body = post(quiz({"name": "Ольга Петрова", "phone": "+7 921 555-44-33"}, question, answer),
                        {"X-Form-Key": web_form.public_key})

    assert status == 200, body
    lead = Lead.objects.get()
    assert (lead.phone, lead.email) == ("+79215554433", "")
    assert {"question": question, "answer": answer, "field": ""} in lead.requests.get().facts["answers"]


@pytest.mark.parametrize(("label", "field"), [
    ("Телефон ребёнка", ""), ("Email мужа", ""), ("Her phone number", ""), ("Телефон получателя", ""),
    ("Телефон родителя", "phone"), ("Телефон мамы", "phone"), ("Ваш телефон", "phone"),
    ("Номер телефона для связи", "phone"), ("Ваш e-mail", "email"), ("Имя мамы", "name"), ("Имя родителя", "name"),
])
def test_only_a_question_for_the_visitors_own_contact_is_their_contact(label, field):
    """The same reading serves a notification e-mail's labels (leadflow.inbox.parsing); a parent as such ("Телефон
    родителя", "Телефон мамы") is the visitor on a children's school's form: the one to call."""
    assert field_of_question(label) == field
