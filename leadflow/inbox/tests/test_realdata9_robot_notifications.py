"""A site's notification mailed by a robot, round nine: the visitor is read from the body whatever the form asked
(a phone without a name, labels in the site owner's words, a question with its answer on the next line, Contact Form
7's "From:" line), the robot never becomes a card, and a body that names nobody is an interest to review.

Samples as Tilda, Contact Form 7 (WordPress), 1C-Bitrix and Bitrix24, Jivo's offline messages, Yandex Forms and
Google Forms' notification add-ons write them, in Russian and in English, taken through the inbox as it takes mail."""

from __future__ import annotations

import pytest

from leadflow.inbox import parsing, services
from leadflow.inbox.models import EmailStatus, IncomingEmail
from leadflow.inbox.tests.messages import address, build
from leadflow.intake.models import SubmissionStatus
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db

TILDA = ("Tilda Publishing", "robot@tilda.ws")
WORDPRESS = ("Ромашка", "wordpress@romashka.ru")
BITRIX24 = ("Битрикс24", "no-reply@bitrix24.ru")
JIVO = ("JivoSite", "noreply@jivosite.com")
YANDEX_FORMS = ("Яндекс Формы", "noreply@forms.yandex.ru")
GOOGLE_FORMS = ("Google Forms", "forms-receipts-noreply@google.com")
ROBOTS = (TILDA, WORDPRESS, BITRIX24, JIVO, YANDEX_FORMS, GOOGLE_FORMS)

TILDA_CALLBACK = ("Request details:\n\n"
                  "Phone: +7 (921) 555-44-33\n"
                  "Comments: Перезвоните после обеда\n\n"
                  "Request ID: 4567890:1234567\nForm Name: Обратный звонок\n"
                  "-----\nСайт компании: https://romashka.ru, тел. +7 (495) 000-00-00\n")


def take(raw: bytes, *, envelope_from: str = "robot@tilda.ws") -> IncomingEmail:
    email = services.take_email(raw=raw, via="smtp", envelope_from=envelope_from, envelope_to=["sales@example.com"])
    email.refresh_from_db()
    return email


def assert_no_card_for_robots() -> None:
    robot_names = {name for name, _address in ROBOTS}
    robot_addresses = {address for _name, address in ROBOTS}
    assert not Lead.objects.filter(email__in=robot_addresses).exists()
    assert not Lead.objects.filter(full_name__in=robot_names).exists()
    assert not Interest.objects.filter(email__in=robot_addresses).exists()
    assert not Interest.objects.filter(name__in=robot_names).exists()


def test_a_tilda_callback_with_a_phone_and_no_name_is_an_interest_with_the_visitors_number(sales):
    email = take(build(body=TILDA_CALLBACK, subject="Заявка с сайта romashka.ru", sender=TILDA))

    assert email.lead is None and email.submission.status == SubmissionStatus.INTEREST
    interest = Interest.objects.get()
    # the visitor's number, not the site's own in the footer, and not the robot's name or address
    assert (interest.name, interest.phone, interest.email, interest.reason) == (
        "", "+79215554433", "", "no person's name")
    assert_no_card_for_robots()


def test_two_callbacks_from_the_same_robot_are_two_visitors_not_one_card(sales):
    take(build(body=TILDA_CALLBACK, sender=TILDA))
    take(build(body=TILDA_CALLBACK.replace("+7 (921) 555-44-33", "8 903 111-22-33"), sender=TILDA))

    assert sorted(Interest.objects.values_list("phone", flat=True)) == ["+79031112233", "+79215554433"]
    assert not Lead.objects.exists()


@pytest.mark.parametrize(("sender", "body", "expected"), [
    # Contact Form 7's default mail: the visitor in a "From:" line of the body, the number in their message
    (WORDPRESS,
     "От: Иван Петров <ivan.petrov@gmail.com>\nТема: Расчёт стоимости\n\nСообщение:\n"
     "Посчитайте доставку в Тверь, мой телефон 8 912 345-67-89, звоните после 18\n\n-- \n"
     "Это сообщение отправлено с формы обратной связи на сайте Ромашка (https://romashka.ru), тел. 8 800 555-35-35\n",
     ("Петров Иван", "+79123456789", "ivan.petrov@gmail.com", "")),
    # 1C-Bitrix's feedback form: the mail event's header, an author and "E-mail автора"
    (("Ромашка", "info@romashka.ru"),
     "Информационное сообщение сайта Ромашка\n------------------------------------------\n\n"
     "Вы получили новое сообщение с сайта\n\nАвтор: Николай Сидоров\nE-mail автора: nik.sidorov@mail.ru\n"
     "Телефон: 8 (912) 111-22-33\n\nТекст сообщения:\nНужен счёт на 10 коробок.\n\n"
     "Сообщение сгенерировано автоматически.\n",
     ("Сидоров Николай", "+79121112233", "nik.sidorov@mail.ru", "")),
    # Bitrix24's CRM form
    (BITRIX24,
     "Заполнена CRM-форма «Обратный звонок» на сайте romashka.ru\n\nКонтактное лицо: Ольга Кузнецова\n"
     "Номер телефона для связи: +7 916 000-11-22\nГород: Казань\n\nПерейти к лиду: https://romashka.bitrix24.ru/"
     "crm/lead/details/123/\n",
     ("Кузнецова Ольга", "+79160001122", "", "Казань")),
    # Jivo's offline message
    (JIVO,
     "Новое сообщение, оставленное в офлайн-режиме\n\nПосетитель: Мария\nТелефон посетителя: +7 903 111-22-33\n"
     "E-mail посетителя: maria.l@yandex.ru\nСообщение: Сколько стоит доставка в Тверь?\n\n"
     "Страница: https://romashka.ru/dostavka\nIP: 95.24.1.2 (Москва, Россия)\n",
     ("Мария", "+79031112233", "maria.l@yandex.ru", "")),
    (JIVO,
     "New offline message\n\nVisitor: John Smith\nVisitor's phone: +44 20 7946 0958\nEmail: john.smith@acme.co.uk\n"
     "Message: Do you ship to London?\n\nPage: https://romashka.ru/en/\n",
     ("John Smith", "+442079460958", "john.smith@acme.co.uk", "")),
    # Yandex Forms: each question on its line, its answer on the next
    (YANDEX_FORMS,
     "Ответ на форму «Заявка на расчёт»\n\nКак к вам обращаться?\nСветлана Орлова\n\nНомер телефона\n"
     "+7 (926) 555-12-34\n\nЭлектронная почта\nsveta.orlova@yandex.ru\n\nВ каком вы городе?\nСамара\n\n"
     "Посмотреть все ответы: https://forms.yandex.ru/admin/123/answers\n",
     ("Орлова Светлана", "+79265551234", "sveta.orlova@yandex.ru", "Самара")),
    # a Google Forms notification add-on, English and Russian labels
    (GOOGLE_FORMS,
     'A new response was submitted to "Request a quote".\n\nWhat is your name?\nAnna Brown\n\nPhone number\n'
     "+1 212 555 0175\n\nEmail address\nanna.brown@example.com\n\nCity\nNew York\n",
     ("Anna Brown", "+12125550175", "anna.brown@example.com", "New York")),
    (GOOGLE_FORMS,
     "Новый ответ на форму «Запись на консультацию»\n\nВаше имя\nПавел Егоров\n\nВаш номер телефона (WhatsApp)\n"
     "8 999 123 45 67\n\nВаш e-mail\npavel.egorov@mail.ru\n",
     ("Егоров Павел", "+79991234567", "pavel.egorov@mail.ru", "")),
])
def test_a_robots_notification_in_its_own_format_is_a_lead_on_the_visitor(sales, sender, body, expected):
    # 1C-Bitrix mails from the site's own mailbox and names its mail event in a header
    headers = {"X-EVENT_NAME": "FEEDBACK_FORM"} if sender[1] == "info@romashka.ru" else {}
    email = take(build(body=body, subject="Новая заявка", sender=sender, headers=headers), envelope_from=sender[1])

    assert email.submission.status == SubmissionStatus.CREATED, email.submission.errors
    lead = email.lead
    assert (lead.full_name, lead.phone, lead.email, lead.city) == expected
    assert lead.company_name == ""  # not the site owner's company from its footer
    assert_no_card_for_robots()


def test_an_html_table_notification_without_colons_reads_each_cell(sales):
    html = ("<html><body><h2>Новая заявка с сайта</h2><table>"
            "<tr><th>Имя клиента</th><td>Анна-Мария Кузнецова</td></tr>"
            "<tr><th>Телефон</th><td>+7 916 000-11-22</td></tr>"
            "<tr><th>Товар</th><td>Ламинат 33 класс</td></tr></table>"
            "<p>ООО «Ромашка», +7 (495) 000-00-00</p></body></html>")

    email = take(build(body=html, html=True, subject="Новая заявка", sender=WORDPRESS), envelope_from=WORDPRESS[1])

    lead = email.lead
    assert (lead.full_name, lead.phone, lead.product_interest, lead.company_name) == (
        "Кузнецова Анна-Мария", "+79160001122", "Ламинат 33 класс", "")


def test_a_robots_mail_that_names_nobody_is_an_interest_not_a_card_for_the_robot(sales):
    body = ("Новая заявка с сайта romashka.ru\n\nФорма: Подписка на новости\nСтраница: https://romashka.ru/blog\n"
            "-- \nООО «Ромашка», тел. +7 (495) 000-00-00, info@romashka.ru\n")

    email = take(build(body=body, subject="Новая заявка", sender=TILDA))

    assert email.status == EmailStatus.SUBMITTED and email.lead is None
    interest = Interest.objects.get()
    assert (interest.name, interest.phone, interest.email, interest.company_name) == ("", "", "", "")
    assert "Подписка на новости" in interest.message  # what came is there for a person to read
    assert_no_card_for_robots()


def test_a_notification_marked_auto_generated_is_still_the_visitors_request(sales):
    body = "Имя: Пётр Сидоров\nТелефон: 8 903 123-45-67\n"

    email = take(build(body=body, subject="Заявка", sender=BITRIX24, headers={"Auto-Submitted": "auto-generated"}),
                 envelope_from=BITRIX24[1])

    assert email.status == EmailStatus.SUBMITTED
    assert (email.lead.full_name, email.lead.phone) == ("Сидоров Пётр", "+79031234567")


def test_a_robots_out_of_office_reply_is_still_ignored(sales):
    body = "Я в отпуске до 15 мая. Телефон: +7 903 123-45-67\n"

    email = take(build(body=body, subject="Автоответ: Заявка", sender=BITRIX24,
                       headers={"Auto-Submitted": "auto-replied"}), envelope_from=BITRIX24[1])

    assert email.status == EmailStatus.IGNORED
    assert not Lead.objects.exists() and not Interest.objects.exists()


def test_contact_form_7s_reply_to_is_the_visitors_address_not_the_robots(sales):
    body = "Сообщение:\nДобрый день, нужен прайс на ламинат. Алексей Морозов, 8 912 000-11-22\n"

    reply_to = address("Алексей Морозов", "a.morozov@yandex.ru", "utf-8")
    email = take(build(body=body, subject="Ромашка: вопрос с сайта", sender=WORDPRESS, headers={"Reply-To": reply_to}),
                 envelope_from=WORDPRESS[1])

    lead = email.lead
    assert (lead.full_name, lead.email, lead.phone) == ("Морозов Алексей", "a.morozov@yandex.ru", "+79120001122")


def test_a_person_writing_from_their_own_mailbox_is_still_read_by_their_sender(sales):
    body = "Добрый день! Нужен прайс.\n\nС уважением,\nИгорь Лебедев\nТелефон: +7 912 765-43-21\n"

    email = take(build(body=body, sender=("Игорь Лебедев", "igor.lebedev@stroymarket.ru")),
                 envelope_from="igor.lebedev@stroymarket.ru")

    assert (email.lead.full_name, email.lead.email, email.lead.phone) == (
        "Лебедев Игорь", "igor.lebedev@stroymarket.ru", "+79127654321")


@pytest.mark.parametrize(("address", "robot"), [
    ("noreply@romashka.ru", True), ("no-reply@bitrix24.ru", True), ("forms-receipts-noreply@google.com", True),
    ("wordpress@romashka.ru", True), ("robot@tilda.ws", True), ("anything@jivosite.com", True),
    ("norman.mailer@gmail.com", False), ("ivan.robotov@mail.ru", False), ("info@romashka.ru", False),
])
def test_a_robots_address_is_told_from_a_persons(address, robot):
    assert parsing.robot_address(address) is robot


@pytest.mark.parametrize("marker", ["---------- Forwarded message ---------",
                                    "-------- Пересылаемое сообщение --------"])
def test_a_notification_a_colleague_forwarded_is_the_visitors_not_the_colleagues(sales, marker):
    body = (f"Коллеги, обработайте, пожалуйста.\n\nАнна Соколова\nменеджер, +7 495 000-00-01\n\n{marker}\n"
            "From: Tilda Publishing <robot@tilda.ws>\nDate: Tue, 24 Nov 2026 at 10:15\n"
            "Subject: Заявка с сайта romashka.ru\nTo: <sales@romashka.ru>\n\n"
            "Request details:\n\nName: Ольга Смирнова\nPhone: +7 (921) 555-44-33\n\nForm Name: Заявка\n")

    email = take(build(body=body, subject="Fwd: Заявка с сайта romashka.ru",
                       sender=("Анна Соколова", "a.sokolova@romashka.ru")), envelope_from="a.sokolova@romashka.ru")

    lead = email.lead
    assert (lead.full_name, lead.phone, lead.email) == ("Смирнова Ольга", "+79215554433", "")
    assert not Lead.objects.filter(email="a.sokolova@romashka.ru").exists()
    assert_no_card_for_robots()
