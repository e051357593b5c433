"""webmaster@, forms@, notify@ are mailboxes a site's mailer sends its forms from, and people write from too
(privacy11): a letter from one of them is a site's notification only when it reads as one (a form's labelled fields,
a builder's template); a plain personal letter is that person's e-mail, their card made from it."""

from __future__ import annotations

import pytest

from leadflow.inbox import parsing, services
from leadflow.inbox.models import IncomingEmail
from leadflow.inbox.tests.messages import build
from leadflow.intake.models import SubmissionStatus
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db

LETTER = ("Здравствуйте!\n\nЯ отвечаю за сайт нашей компании, хотим заказать у вас 20 коробок ламината, "
          "пришлите счёт.\n\nС уважением,\nИван Петров\nООО «Ромашка»\nТел.: +7 (912) 345-67-89\n")


def take(raw: bytes, envelope_from: str) -> IncomingEmail:
    email = services.take_email(raw=raw, via="smtp", envelope_from=envelope_from, envelope_to=["sales@example.com"])
    email.refresh_from_db()
    return email


@pytest.mark.parametrize("mailbox", ["webmaster@romashka.ru", "forms@romashka.ru", "notify@romashka.ru"])
def test_a_personal_letter_from_a_shared_mailbox_is_that_persons_email(sales, mailbox):
    email = take(build(body=LETTER, subject="Заказ ламината", sender=("Иван Петров", mailbox)), mailbox)

    assert parsing.parse(bytes(email.raw)).robot == ""
    lead = Lead.objects.get()
    assert email.lead_id == lead.pk and email.submission.status == SubmissionStatus.CREATED
    assert (lead.email, lead.phone) == (mailbox, "+79123456789")
    assert (lead.last_name, lead.first_name) == ("Петров", "Иван")


@pytest.mark.parametrize("mailbox", ["webmaster@romashka.ru", "forms@romashka.ru", "notify@romashka.ru"])
def test_a_forms_notification_from_a_shared_mailbox_is_still_the_visitors_request(sales, mailbox):
    fields = take(build(body="Новое сообщение с сайта\n\nИмя: Анна Смирнова\nТелефон: 8 916 111-22-33\n"
                             "Сообщение: Перезвоните\n", sender=("Сайт Ромашка", mailbox)), mailbox)
    template = take(build(body="Request details:\n\nPhone: +7 (921) 555-44-33\nComments: После обеда\n\n"
                               "Request ID: 4567890:1234567\nForm Name: Обратный звонок\n",
                          sender=("Сайт Ромашка", mailbox)), mailbox)

    anna = Lead.objects.get()
    assert fields.lead_id == anna.pk and (anna.last_name, anna.phone, anna.email) == ("Смирнова", "+79161112233", "")
    assert template.lead is None and Interest.objects.get().phone == "+79215554433"
    assert not Lead.objects.filter(email=mailbox).exists() and not Interest.objects.filter(email=mailbox).exists()
