"""A site's notification mailed from webmaster@, forms@ and the like (privacy12): the lead's e-mail is the visitor's
address, from Reply-To when the mailer set it for the visitor or from Contact Form 7's "From: Name <address>" line
when the site owner took the template's footer out; the robot's own address never is, and a person's letter from
such a mailbox stays theirs."""

from __future__ import annotations

import pytest

from leadflow.inbox import services
from leadflow.inbox.models import IncomingEmail
from leadflow.inbox.tests.messages import address, build
from leadflow.intake.models import SubmissionStatus
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db

SHARED = ["webmaster@romashka.ru", "forms@romashka.ru", "notify@romashka.ru", "sender@romashka.ru"]


def take(raw: bytes, envelope_from: str) -> IncomingEmail:
    email = services.take_email(raw=raw, via="smtp", envelope_from=envelope_from, envelope_to=["sales@example.com"])
    email.refresh_from_db()
    return email


def assert_no_card_for(mailbox: str) -> None:
    assert not Lead.objects.filter(email=mailbox).exists()
    assert not Interest.objects.filter(email=mailbox).exists()


@pytest.mark.parametrize("mailbox", SHARED)
def test_contact_form_7_s_sender_line_without_its_footer_gives_the_visitor(sales, mailbox):
    body = ("От: Иван Петров <Ivan.Petrov@gmail.com>\nТема: Расчёт стоимости\n\nСообщение:\n"
            "Посчитайте доставку в Тверь\n")

    email = take(build(body=body, subject="Ромашка «Расчёт стоимости»", sender=("Ромашка", mailbox)), mailbox)

    assert email.submission.status == SubmissionStatus.CREATED, email.submission.errors
    lead = email.lead
    assert (lead.email, lead.last_name, lead.first_name) == ("ivan.petrov@gmail.com", "Петров", "Иван")
    assert_no_card_for(mailbox)


@pytest.mark.parametrize("mailbox", SHARED)
def test_a_reply_to_naming_the_site_itself_never_becomes_the_lead_s_address(sales, mailbox):
    body = "From: Anna Smith <anna.smith@example.com>\nSubject: Quote\n\nMessage Body:\nDo you ship to Riga?\n"

    email = take(build(body=body, subject="Quote", sender=("Romashka", mailbox), headers={"Reply-To": mailbox}),
                 mailbox)

    assert email.lead.email == "anna.smith@example.com"
    assert_no_card_for(mailbox)


@pytest.mark.parametrize("mailbox", SHARED)
def test_a_reply_to_set_for_the_visitor_gives_their_address(sales, mailbox):
    email = take(build(body="Сообщение: Сколько стоит доставка в Тверь?\n", subject="Вопрос с сайта",
                       sender=("Ромашка", mailbox),
                       headers={"Reply-To": address("Мария", "maria.l@yandex.ru", "utf-8")}), mailbox)

    card = email.lead or Interest.objects.get()
    assert card.email == "maria.l@yandex.ru"
    assert_no_card_for(mailbox)


def test_a_persons_letter_naming_another_sender_further_down_stays_theirs(sales):
    body = ("Здравствуйте!\n\nПересылаю вам контакт коллеги.\nFrom: Иван Петров <ivan.petrov@gmail.com>\n\n"
            "С уважением,\nОльга Смирнова\n")

    email = take(build(body=body, sender=("Ольга Смирнова", "webmaster@romashka.ru")), "webmaster@romashka.ru")

    assert email.lead.email == "webmaster@romashka.ru"  # a person writing from the shared mailbox, as before
    assert (email.lead.last_name, email.lead.first_name) == ("Смирнова", "Ольга")


def test_a_reply_to_encoded_whole_by_a_php_mailer_still_gives_the_visitor(sales):
    from email.header import Header

    whole = Header("Мария Лебедева <maria.l@yandex.ru>", "utf-8").encode()  # as mb_encode_mimeheader writes it

    email = take(build(body="Сообщение: Сколько стоит доставка в Тверь?\n", subject="Вопрос с сайта",
                       sender=("Ромашка", "webmaster@romashka.ru"), headers={"Reply-To": whole}),
                 "webmaster@romashka.ru")

    card = email.lead or Interest.objects.get()
    assert card.email == "maria.l@yandex.ru"
    assert_no_card_for("webmaster@romashka.ru")
