"""A site's notification of a filled-in form, mailed to the sales mailbox (Tilda, WordPress, a landing page's
mailer), round eight: the person is in its "Name:", "Phone:", "Email:" lines, not in its From (the site's robot),
so two visitors are two leads, not one card named "Tilda"."""

from __future__ import annotations

import pytest

from leadflow.inbox.models import IncomingEmail
from leadflow.inbox.tests.messages import BODY, build
from leadflow.inbox.tests.test_smtpd import client, smtpd  # noqa: F401 (the fixture)
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db(transaction=True)

TILDA = ("Tilda Publishing", "robot@tilda.ws")


def notification(name: str, email: str, phone: str) -> str:
    return ("Request details:\n\n"
            f"Name: {name}\nEmail: {email}\nPhone: {phone}\nComments: Перезвоните после обеда\n\n"
            "Request ID: 4567890:1234567\nForm Name: Заявка\n"
            "--\nСайт компании: https://romashka.ru, тел. +7 (495) 000-00-00\n")


def send(smtpd, raw: bytes) -> IncomingEmail:  # noqa: F811
    with client(smtpd) as smtp:
        assert smtp.sendmail("robot@tilda.ws", ["sales@example.com"], raw) == {}
    return IncomingEmail.objects.order_by("-pk").first()


def test_two_visitors_notified_by_the_sites_robot_are_two_leads(smtpd):  # noqa: F811
    first = send(smtpd, build(body=notification("Ольга Смирнова", "olga.smirnova@mail.ru", "+7 (921) 555-44-33"),
                              subject="Заявка с сайта romashka.ru", sender=TILDA))
    second = send(smtpd, build(body=notification("Петров Иван", "ivan.petrov@yandex.ru", "8 912 345 67 89"),
                               subject="Заявка с сайта romashka.ru", sender=TILDA))

    assert first.lead != second.lead
    assert (first.lead.first_name, first.lead.last_name, first.lead.email, first.lead.phone) == (
        "Ольга", "Смирнова", "olga.smirnova@mail.ru", "+79215554433")  # not the footer's +7 495 000-00-00
    assert (second.lead.first_name, second.lead.email, second.lead.phone) == (
        "Иван", "ivan.petrov@yandex.ru", "+79123456789")
    assert not Lead.objects.filter(email="robot@tilda.ws").exists()


def test_an_html_notification_without_an_address_is_a_lead_on_the_phone_alone(smtpd):  # noqa: F811
    html = ("<html><body><p>Новая заявка</p><table>"
            "<tr><td>Ваше имя:</td><td>Анна-Мария Кузнецова</td></tr>"
            "<tr><td>Телефон:</td><td>+7 916 000-11-22</td></tr>"
            "<tr><td>Город:</td><td>Казань</td></tr></table></body></html>")

    email = send(smtpd, build(body=html, html=True, subject="Новая заявка",
                              sender=("WordPress", "wordpress@romashka.ru")))

    lead = email.lead
    assert (lead.first_name, lead.last_name, lead.phone, lead.email, lead.city) == (
        "Анна-Мария", "Кузнецова", "+79160001122", "", "Казань")


def test_a_persons_own_letter_is_still_read_by_its_sender(smtpd):  # noqa: F811
    email = send(smtpd, build(body=BODY + "E-mail: ivan.petrov@romashka.ru\n"))

    assert (email.lead.full_name, email.lead.email) == ("Петров Иван", "ivan.petrov@romashka.ru")
