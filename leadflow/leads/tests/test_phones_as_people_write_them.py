"""Phones read as people write them on every page and letter a manager reads ("8 (912) 345-67-89", "+44 20 7123 4567",
"доб. 12"), while the links dial E.164, exports and the API keep E.164, and a phone copied off the page finds the
card again."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from leadflow.accounts.models import User
from leadflow.events.services import deliver_pending
from leadflow.leads import services
from leadflow.leads.models import Task, TaskKind, system_text
from leadflow.matching.normalize import shown_phone

pytestmark = pytest.mark.django_db


def _web(user: User, language: str = "en") -> HttpClient:
    web = HttpClient(HTTP_ACCEPT_LANGUAGE=language)
    web.force_login(user)
    return web


@pytest.mark.parametrize(("stored", "extension", "shown"), [
    ("+79123456789", "", "8 (912) 345-67-89"),  # a Russian mobile, as Russian managers write it
    ("+74951234567", "12", "8 (495) 123-45-67 ext. 12"),
    ("+74951234567 ext. 12", "", "8 (495) 123-45-67 ext. 12"),  # a stored phone text with its extension
    ("+442071234567", "", "+44 20 7123 4567"),  # foreign: international, its plus says the call goes abroad
    ("+77012345678", "", "+7 701 234 5678"),  # Kazakhstan shares +7 but is not the installation's country
    ("+14155552671", "7", "+1 415-555-2671 ext. 7"),
    ("101", "", "101"),  # an office line's short number, not a phone: as it is
    ("", "", ""),
])
def test_a_phone_is_shown_as_people_write_it(stored: str, extension: str, shown: str) -> None:
    assert shown_phone(stored, extension, region="RU") == shown


def test_the_extension_is_worded_in_the_readers_language() -> None:
    with translation.override("ru"):
        assert shown_phone("+74951234567", "12", region="RU") == "8 (495) 123-45-67 доб. 12"


def test_the_installations_country_is_the_one_written_nationally() -> None:
    assert shown_phone("+77012345678", region="KZ") == "8 (701) 234 5678"
    assert shown_phone("+79123456789", region="KZ") == "+7 912 345-67-89"


@pytest.mark.parametrize("page", ["card", "/leads/", "/tasks/", "/clients/", "client card"])
def test_every_page_shows_the_phone_as_written_and_dials_e164(make_lead, alice: User, page: str) -> None:
    lead = make_lead(owner=alice, phone="+74951234567", phone_ext="204")
    url = reverse("lead_card", args=[lead.pk]) if page == "card" else page
    if page in ("/clients/", "client card"):
        client = services.convert_lead(lead=lead, by=alice)
        url = reverse("client_card", args=[client.pk]) if page == "client card" else page

    html = _web(alice, "ru").get(url).content.decode()

    assert '<a href="tel:+74951234567,204"' in html
    assert ">8 (495) 123-45-67 доб. 204</a>" in html
    assert ">+74951234567<" not in html and "+74951234567 " not in html


@override_settings(LEADFLOW_DEFAULT_REGION="RU")
def test_a_foreign_number_on_the_card_is_international(make_lead, alice: User) -> None:
    lead = make_lead(owner=alice, phone="+442071234567")
    html = _web(alice).get(reverse("lead_card", args=[lead.pk])).content.decode()
    assert '<a href="tel:+442071234567" data-testid="tel">+44 20 7123 4567</a>' in html


@pytest.mark.parametrize("typed", ["8 (912) 345-67-89", "+7 912 345-67-89", "89123456789", "+79123456789"])
def test_a_phone_copied_off_the_page_finds_the_lead_and_the_client(make_lead, alice: User, typed: str) -> None:
    lead = make_lead(owner=alice, phone="+79123456789", last_name="Сидоров")
    other = make_lead(owner=alice, phone="+79120000000", last_name="Кузнецов")
    leads_found = _web(alice).get("/leads/", {"q": typed}).content.decode()
    assert "Сидоров" in leads_found and "Кузнецов" not in leads_found

    services.convert_lead(lead=lead, by=alice)
    services.convert_lead(lead=other, by=alice)
    clients_found = _web(alice).get("/clients/", {"q": typed}).content.decode()
    assert "Сидоров" in clients_found and "Кузнецов" not in clients_found


def test_an_unknown_callers_task_and_notification_email_show_the_number_as_written(alice: User) -> None:
    """The number is kept E.164 in the texts' parameters (the open callback for a number is found by it)."""
    template = gettext_noop("Call back the unknown number %(number)s (missed call)")
    task = Task.objects.create(assignee=alice, kind=TaskKind.CALLBACK, due_at=timezone.now() + timedelta(hours=1),
                               **system_text("title", template, number="+79123456789"))
    alice.language = "ru"
    alice.save()
    mail.outbox.clear()
    services.notify(user=alice, kind="call.unknown", template=template, number="+79123456789")
    deliver_pending()

    assert Task.objects.filter(pk=task.pk, text_params__number="+79123456789").exists()
    assert "8 (912) 345-67-89" in _web(alice, "ru").get("/tasks/").content.decode()
    assert len(mail.outbox) == 1
    assert "8 (912) 345-67-89" in mail.outbox[0].subject
    assert mail.outbox[0].body.splitlines()[0] == (
        "Перезвонить на неизвестный номер 8 (912) 345-67-89 (пропущенный звонок)")


def test_the_export_keeps_e164_and_the_extension_apart(make_lead, alice: User) -> None:
    """A file is read by a machine (another CRM, a dialler, an import back): one unambiguous notation, not the
    reader's national one, and the extension in its own column."""
    make_lead(owner=alice, phone="+74951234567", phone_ext="204")
    response = _web(alice).get(reverse("lead_export_csv"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=","))
    header, row = rows[0], rows[1]
    assert row[header.index("Phone")] == "'+74951234567"
    assert row[header.index("Extension")] == "204"


def test_the_admin_lists_contacts_as_written_and_finds_them_in_any_notation(make_lead, alice: User,
                                                                            admin_user: User) -> None:
    lead = make_lead(owner=alice, phone="+74951234567", phone_ext="204", last_name="Сидоров")
    make_lead(owner=alice, phone="+79120000000", last_name="Кузнецов")
    services.convert_lead(lead=lead, by=alice)
    web = _web(admin_user)

    leads = web.get("/admin/leads/lead/", {"q": "8 (495) 123-45-67"}).content.decode()
    assert "8 (495) 123-45-67 ext. 204" in leads and "Кузнецов" not in leads
    contacts = web.get("/admin/clients/contact/", {"q": "+7 495 123-45-67"}).content.decode()
    assert "8 (495) 123-45-67 ext. 204" in contacts


def test_the_card_edit_form_offers_the_phone_as_written_and_saving_it_unchanged_changes_nothing(make_lead,
                                                                                             alice: User) -> None:
    lead = make_lead(owner=alice, phone="+74951234567", phone_ext="204")
    web = _web(alice, "ru")
    html = web.get(reverse("lead_card", args=[lead.pk])).content.decode()
    assert 'value="8 (495) 123-45-67 доб. 204"' in html

    web.post(reverse("lead_action", args=[lead.pk, "edit"]), {
        "last_name": lead.last_name, "first_name": lead.first_name, "phone": "8 (495) 123-45-67 доб. 204",
        "email": lead.email, "temperature": lead.temperature or "cold"})
    lead.refresh_from_db()
    assert (lead.phone, lead.phone_ext) == ("+74951234567", "204")


def test_the_cards_history_shows_a_changed_phone_as_written(make_lead, alice: User) -> None:
    lead = make_lead(owner=alice, phone="+74951234567")
    web = _web(alice, "ru")
    web.post(reverse("lead_action", args=[lead.pk, "edit"]), {
        "last_name": lead.last_name, "first_name": lead.first_name, "phone": "8 (912) 345-67-89",
        "email": lead.email, "temperature": lead.temperature or "cold"})
    lead.refresh_from_db()
    assert lead.phone == "+79123456789"

    html = web.get(reverse("lead_card", args=[lead.pk])).content.decode()
    assert "8 (495) 123-45-67 → 8 (912) 345-67-89" in html
    assert "+79123456789" not in html.replace('href="tel:+79123456789"', "")

    client = services.convert_lead(lead=lead, by=alice)
    from leadflow.clients.forms import ClientEditForm

    web.post(reverse("client_edit", args=[client.pk]), {**ClientEditForm.initial_for(client),
                                                         "phone": "+44 20 7123 4567"})
    client.contact.refresh_from_db()
    assert client.contact.phone == "+442071234567"
    html = web.get(reverse("client_card", args=[client.pk])).content.decode()
    assert "+44 20 7123 4567" in html.split('data-testid="client-history"')[1]
    assert "+442071234567" not in html.replace('href="tel:+442071234567"', "")


def test_the_merge_page_shows_the_phones_as_written(make_lead, alice: User) -> None:
    lead = make_lead(owner=alice, phone="+74951234567", phone_ext="204", last_name="Сидоров")
    other = make_lead(owner=alice, phone="+442071234567", last_name="Сидоров")
    html = _web(alice, "ru").get(reverse("lead_compare", args=[lead.pk]), {"other": other.pk}).content.decode()
    assert "> 8 (495) 123-45-67</label>" in html and "> +44 20 7123 4567</label>" in html
    assert "+74951234567" not in html and "+442071234567" not in html
