"""A quiz asking a name (names10): only the visitor's own name ("Как к вам обращаться?") fills the lead's; a question
about someone else ("Как зовут вашего ребёнка?", "What is your child's name?") stays an answer on the request, and the
quiz's own title is nobody's name."""

from __future__ import annotations

import pytest

from leadflow.accounts.models import User
from leadflow.intake.builders import field_of_question
from leadflow.intake.models import Form
from leadflow.intake.tests.realdata import card, post
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db


def quiz(question: str, answer: str) -> dict:
    """Marquiz's webhook for a quiz whose contact step asks no name, only the phone."""
    return {"answers": [{"q": "Что вас интересует?", "a": "Курс рисования"}, {"q": question, "a": answer}],
            "contacts": {"phone": "+7 921 555-44-33"}, "quiz": {"id": "5f1e2d3c", "name": "Подбор курса"}}


@pytest.mark.parametrize(("question", "answer"), [
    ("Как зовут вашего ребёнка?", "Маша"),
    ("What is your child's name?", "Masha"),
    ("Имя ребенка", "Маша"),
    ("Как зовут вашу собаку?", "Шарик"),
    ("Имя получателя подарка", "Ольга Петрова"),
])
def test_a_quiz_asking_someone_elses_name_leaves_the_persons_name_empty_and_keeps_the_answer(web_form: Form, question,
                                                                                            answer):
    """The visitor gave no name of their own: the request waits as any nameless one does (an interest, for a manager
    to ask), not as a lead named after the child or the dog; the answer is on the request."""
    status, body = post(quiz(question, answer), {"X-Form-Key": web_form.public_key})

    assert status == 200, body
    assert not Lead.objects.exists()
    interest = Interest.objects.get()
    assert (interest.name, interest.phone) == ("", "+79215554433")
    assert (question, answer) in [(item["question"], item["answer"])
                                  for item in interest.requests.get().facts["answers"]]


@pytest.mark.parametrize("question", ["Как к вам обращаться?", "Как вас зовут?", "Ваше имя", "What is your name?"])
def test_a_quiz_asking_the_visitors_own_name_fills_it_and_the_quizs_title_does_not(web_form: Form, alice: User,
                                                                                     question):
    status, body = post(quiz(question, "Ольга"), {"X-Form-Key": web_form.public_key})

    assert status == 200, body
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name) == ("Ольга", "")  # not "Подбор курса", the quiz's own name
    assert "<dd>Курс рисования</dd>" in card(lead, alice)


@pytest.mark.parametrize(("label", "field"), [
    ("Как зовут вашего ребёнка?", ""), ("Имя дочери", ""), ("Your wife's name", ""), ("Pet's name", ""),
    ("Как зовут именинника?", ""), ("Имя родителя", "name"), ("Ваше имя", "name"), ("Имя", "name"),
    ("Contact name", "name"),
])
def test_only_a_question_for_the_visitors_own_name_is_the_name(label, field):
    """The same reading serves a notification e-mail's labels (leadflow.inbox.parsing): a parent's name on a children's
    school's form is the visitor's."""
    assert field_of_question(label) == field
