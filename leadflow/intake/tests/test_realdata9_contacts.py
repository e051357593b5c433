"""Contacts as people really leave them, round nine: two people in one name field, the number typed into the comment,
a WhatsApp or Telegram link as the phone, a neighbour's number in its own country's notation, full-width digits, an
address on a Cyrillic domain, an e-mail in the name field. Each would have made a manager call the wrong person, or
lost the request among the refusals."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.intake.models import Form, SubmissionStatus
from leadflow.intake.tests.realdata import card, post
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db


def test_two_people_in_one_name_field_make_a_card_for_the_first_and_show_the_other(partner, alice: User):
    status, answer = post({"name": "Иван и Мария", "phone": "8 912 345-67-89, 8 913 123-45-67"},
                          {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    # the card is Иван's, not "Мария Иван И."
    assert (lead.full_name, lead.first_name, lead.last_name, lead.middle_name) == ("Иван", "Иван", "", "")
    assert lead.phone == "+79123456789"
    [other] = lead.requests.get().facts["unreadable"]
    assert (other["field"], other["value"]) == ("name", "и Мария")
    page = card(lead, alice)
    assert "«и Мария»" in page and "another person named in the same field" in page
    assert 'value="+79131234567"' in page  # her number among what the request also gave, to add to the card


@pytest.mark.parametrize("name", ["Ромашка и партнёры", "Smith & Sons", "Иванов и К°", "Иванов и К.", "Петров и сын",
                                  "Smith and Son"])
def test_a_firms_name_with_and_is_not_two_people(partner, name):
    status, answer = post({"name": name, "phone": "8 912 345-67-89"}, {"X-Api-Key": partner[1]})

    assert status in (201, 202), answer
    request = (Lead.objects.first() or Interest.objects.get()).requests.get()
    assert not [item for item in request.facts.get("unreadable", []) if item["field"] == "name"]


@pytest.mark.parametrize(("name", "first", "middle"), [("Иванов И И", "И.", "И."), ("Петров И А", "И.", "А.")])
def test_a_surname_with_initials_without_dots_is_one_person(partner, name, first, middle):
    """"Иванов И И": the middle "И" is his initial, not "and": the card keeps the initials, nobody else was named."""
    status, answer = post({"name": name, "phone": "8 912 345-67-89"}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    lead = Lead.objects.get()
    assert (lead.last_name, lead.first_name, lead.middle_name) == (name.split()[0], first, middle)
    assert not lead.requests.get().facts.get("unreadable")


def test_a_number_typed_into_the_comment_with_the_phone_left_empty_is_the_phone(web_form: Form):
    status, answer = post({"name": "Иван Петров", "phone": "", "comment": "Перезвоните мне: 8 912 345-67-89, после 18"},
                          {"X-Form-Key": web_form.public_key})

    assert status == 200, answer
    lead = Lead.objects.get()  # not an interest "no usable contact"
    assert lead.phone == "+79123456789"
    assert lead.requests.get().message == "Перезвоните мне: 8 912 345-67-89, после 18"


@pytest.mark.parametrize("comment", ["Где мой заказ № 89123456789?", "Номер заказа 9123456789, не пришёл",
                                     "Счёт №4951234567 оплачен", "ИНН: 9161112233", "Order #4951234567",
                                     "Артикул 9161112233, 2 шт.", "по договору 8-912-345-67-89 от 12.03.2025",
                                     "номер заявки 79161234567"])
def test_an_order_invoice_or_inn_number_in_the_comment_is_not_taken_for_the_phone(web_form: Form, comment):
    """A number the comment labels as something else (an order, an invoice, an INN, an article, a contract) is not the
    person's: calling it would reach a stranger. The request waits as an interest without a contact, as before."""
    status, answer = post({"name": "Иван Петров", "phone": "", "comment": comment}, {"X-Form-Key": web_form.public_key})

    assert status in (200, 202), answer
    assert not Lead.objects.exists()
    assert Interest.objects.get().phone == ""


def test_the_number_after_a_labelled_one_in_the_comment_is_the_phone(web_form: Form):
    status, answer = post({"name": "Иван Петров", "phone": "",
                           "comment": "По заказу 4951234567: перезвоните на 8 912 345-67-89"},
                          {"X-Form-Key": web_form.public_key})

    assert status == 200, answer
    assert Lead.objects.get().phone == "+79123456789"


def test_a_number_in_the_comment_does_not_replace_the_contact_given(partner):
    status, answer = post({"name": "Иван Петров", "email": "ivan.petrov@mail.ru",
                           "comment": "Звоните моему менеджеру 8 912 345-67-89"}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert (Lead.objects.get().email, Lead.objects.get().phone) == ("ivan.petrov@mail.ru", "")


@pytest.mark.parametrize("link", ["wa.me/79123456789", "https://wa.me/79123456789", "https://wa.me/+79123456789",
                                  "https://api.whatsapp.com/send?phone=79123456789", "viber://chat?number=%2B79123456789",
                                  "https://t.me/+79123456789"])
def test_a_messenger_link_with_a_number_is_read_as_that_number_without_a_warning(partner, link):
    status, answer = post({"name": "Иван Петров", "phone": link}, {"X-Api-Key": partner[1]})

    assert status == 201, answer
    assert answer.get("warnings", []) == []
    lead = Lead.objects.get()
    assert lead.phone == "+79123456789" and "unreadable" not in lead.requests.get().facts


@pytest.mark.parametrize("account", ["t.me/ivan_petrov", "https://t.me/Ivan_Petrov", "@ivan_petrov"])
def test_a_telegram_account_as_the_only_contact_is_an_interest_keeping_it_not_a_refusal(partner, account):
    status, answer = post({"name": "Иван Петров", "phone": account}, {"X-Api-Key": partner[1]})

    assert status == 202, answer
    interest = Interest.objects.get()
    assert interest.reason == "only a messenger account, no phone or e-mail"
    assert interest.requests.get().facts["messengers"] == ["t.me/ivan_petrov"]


def test_the_telegram_account_of_an_interest_is_where_the_manager_reviewing_it_reads(partner, admin_user, api_as):
    """The account is the only way to reach the person: the interests' API and the admin's list of interests show
    it, so a manager can write, ask for a number and promote the interest."""
    status, answer = post({"name": "Иван Петров", "phone": "t.me/ivan_petrov"}, {"X-Api-Key": partner[1]})
    assert status == 202, answer

    [listed] = api_as(admin_user).get("/api/interests").json()
    assert listed["messengers"] == ["t.me/ivan_petrov"]
    http = HttpClient()
    http.force_login(admin_user)
    page = http.get("/admin/leads/interest/").content.decode()
    assert 'href="https://t.me/ivan_petrov"' in page


def test_a_telegram_account_next_to_an_email_is_shown_as_a_link_on_the_card(web_form: Form, alice: User):
    status, answer = post({"name": "Иван Петров", "email": "ivan.petrov@mail.ru", "phone": "@ivan_petrov",
                           "telegram": "<script>x</script>"}, {"X-Form-Key": web_form.public_key})

    assert status == 200, answer
    lead = Lead.objects.get()
    assert lead.requests.get().facts["messengers"] == ["t.me/ivan_petrov"]
    page = card(lead, alice)
    assert '<a href="https://t.me/ivan_petrov" rel="noopener noreferrer" target="_blank">t.me/ivan_petrov</a>' in page
    assert "<script>x</script>" not in page


def test_a_partner_that_requires_a_phone_is_still_told_a_telegram_name_is_none(partner):
    row, key = partner
    row.required_fields = ["phone"]
    row.save(update_fields=["required_fields"])

    status, answer = post({"name": "Иван Петров", "phone": "@ivan_petrov"}, {"X-Api-Key": key})

    assert status == 422 and "phone" in answer["error"]["fields"]
    assert not Lead.objects.exists() and not Interest.objects.exists()


@pytest.mark.parametrize(("typed", "number"), [
    ("8 029 123-45-67", "+375291234567"),  # Belarus, as dialled in Belarus
    ("8 (044) 765-43-21", "+375447654321"),
    ("050 123 45 67", "+380501234567"),  # Ukraine, as dialled in Ukraine
    ("8 701 123 45 67", "+77011234567"),  # Kazakhstan shares +7 and the 8 trunk prefix
    ("+998 90 123-45-67", "+998901234567"),  # Uzbekistan
    ("８９１２３４５６７８９", "+79123456789"),  # full-width digits (an East Asian keyboard layout)
    ("＋７ ９１２ ３４５−６７−８９", "+79123456789"),
    ("8 800 555-35-35 доб. 12", "+78005553535"),  # still Russia's toll-free line
])
def test_a_number_in_a_neighbours_notation_or_full_width_is_read(partner, typed, number):
    status, answer = post({"name": "Иван Петров", "phone": typed}, {"X-Api-Key": partner[1]})

    assert status in (201, 202), answer
    assert (Lead.objects.first() or Interest.objects.get()).phone == number


@pytest.mark.parametrize("typed", ["8 012 34", "0123", "0 912 345 67 89"])
def test_a_short_or_broken_number_starting_with_zero_is_still_refused(partner, typed):
    status, answer = post({"name": "Иван Петров", "phone": typed}, {"X-Api-Key": partner[1]})

    assert status == 422 and "phone" in answer["error"]["fields"]


def test_an_address_on_a_cyrillic_domain_is_one_person_however_it_is_written(partner):
    first, answer = post({"name": "Иван Петров", "email": "Ivan@Почта.рф"}, {"X-Api-Key": partner[1]})
    again, answer_again = post({"name": "Иван Петров", "email": "ivan@xn--80a1acny.xn--p1ai"},
                               {"X-Api-Key": partner[1]})

    assert (first, again) == (201, 200), (answer, answer_again)
    lead = Lead.objects.get()
    assert lead.email == "ivan@почта.рф" and lead.requests.count() == 2


def test_an_email_in_the_name_field_is_the_email_and_the_request_waits_for_a_name(partner):
    status, answer = post({"name": "ivan.petrov@mail.ru", "phone": "8 912 345-67-89"}, {"X-Api-Key": partner[1]})

    assert status == 202, answer
    interest = Interest.objects.get()
    assert (interest.email, interest.phone, interest.reason) == ("ivan.petrov@mail.ru", "+79123456789",
                                                                 "no person's name")
    assert answer["status"] == SubmissionStatus.INTEREST and not Lead.objects.exists()  # no lead to pay the partner
