"""Every phone of an e-mail's signature reaches the card: the mobile as its phone, the others (an office line
with its extension, a second mobile) as the person's further contacts (realdata4)."""

from __future__ import annotations

import pytest

from leadflow.inbox import services
from leadflow.inbox.tests.messages import build
from leadflow.leads.models import Lead, Request
from leadflow.matching import services as matching

pytestmark = pytest.mark.django_db

RUSSIAN = """Добрый день!

Просим выставить счёт на 20 коробок, доставка до склада в Подольске.

--
С уважением,
Иван Петров
менеджер по закупкам
ООО «Ромашка»
Тел.: +7 (495) 123-45-67, доб. 123
Моб.: +7 (912) 345-67-89
www.romashka.ru
"""

ENGLISH = """Hi,

Could you send the price list for wholesale orders?

Best regards,
John Smith
Procurement Manager | Acme Ltd
Office: +44 20 7946 0958 ext. 204
Mobile: +44 7911 123456
"""

TWO_MOBILES = """Здравствуйте, перезвоните, пожалуйста.

Анна Сидорова
8 916 100-00-03 (WhatsApp), 8-903-555-44-33
"""


@pytest.mark.parametrize(("body", "sender", "phone", "others"), [
    (RUSSIAN, ("Иван Петров", "ivan.petrov@romashka.ru"), "+79123456789", ["+74951234567 ext. 123"]),
    (ENGLISH, ("John Smith", "john.smith@acme.co.uk"), "+447911123456", ["+442079460958 ext. 204"]),
    (TWO_MOBILES, ("Анна Сидорова", "anna.s@mail.ru"), "+79161000003", ["+79035554433"]),
])
def test_every_signature_phone_is_kept(sales, body, sender, phone, others):
    email = services.take_email(raw=build(body=body, sender=sender), via="smtp", envelope_to=["sales@example.com"])

    lead = Lead.objects.get()
    assert email.lead == lead and (lead.phone, lead.phone_ext) == (phone, "")
    assert Request.objects.get(lead=lead).facts["other_phones"] == others
    # the person is found by the office line too: a call from it reaches the card
    number, _sep, extension = others[0].partition(" ext. ")
    found = matching.find(matching.Facts(phones=[matching.PhoneFact(number, extension)]))
    assert ("lead", lead.pk) in [(c.card_type, c.card_id) for c in found]


def test_the_card_offers_the_office_line_to_add(sales, head):
    from django.test import Client as HttpClient

    services.take_email(raw=build(body=RUSSIAN), via="smtp", envelope_to=["sales@example.com"])
    lead = Lead.objects.get()
    http = HttpClient()
    http.force_login(head)
    page = http.get(f"/leads/{lead.pk}/").content.decode()
    assert 'Also gave: <span data-testid="also-gave">8 (495) 123-45-67 ext. 123' in page
