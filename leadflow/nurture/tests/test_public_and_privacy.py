"""Public pages reached from a message (tokens, no open redirect, open pixel) and the room's privacy part."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client as HttpClient

from leadflow.nurture import mail, services
from leadflow.nurture.models import MailMessage, MailTemplate, Sequence, Step, Suppression
from leadflow.nurture.tests.conftest import tick
from leadflow.privacy.services import erasers, exporters

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(smtp_server, make_lead, consenting, admin_user):  # type: ignore[no-untyped-def]
    MailTemplate.objects.create(name="L", language="en", subject="Links",
                                html_body='<p><a href="https://shop.example/a">a</a> <a href="http://shop.example/b">b</a></p>')
    sequence = Sequence.objects.create(name="L", trigger="manual", is_active=True)
    Step.objects.create(sequence=sequence, position=1, kind="send", template_name="L")
    lead = consenting(make_lead(email="p@client.example"))
    services.enroll_by_hand(sequence=sequence, lead=lead, by=admin_user)
    tick()
    return MailMessage.objects.get()


def test_the_click_redirect_goes_only_to_the_urls_of_that_message(sent):
    token = mail.sign(sent.pk, mail.SALT_CLICK)
    browser = HttpClient()
    assert browser.get(f"/m/c/{token}/1/")["Location"] == "http://shop.example/b"
    assert browser.get(f"/m/c/{token}/2/").status_code == 404
    assert browser.get(f"/m/c/{mail.sign(sent.pk, mail.SALT_OPEN)}/0/").status_code == 404  # another purpose's token
    assert browser.get(f"/m/c/{mail.sign(sent.pk + 1, mail.SALT_CLICK)}/0/").status_code == 404


def test_the_open_pixel_records_one_open(sent):
    token = mail.sign(sent.pk, mail.SALT_OPEN)
    assert f"/m/o/{token}.gif" in sent.html_body
    for _n in range(2):
        response = HttpClient().get(f"/m/o/{token}.gif")
        assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert sent.lead.behaviour_events.filter(kind="email_opened").count() == 1


def test_the_survey_with_a_forged_token_is_404(db):
    assert HttpClient().get("/m/s/eyJsZWFkIjoxfQ:forged/").status_code == 404


def test_export_and_erase_the_mail_log_of_a_person(sent):
    person = SimpleNamespace(emails={"p@client.example"}, lead_ids={sent.lead_id}, client_ids=set(), phones=set())
    mail.suppress(email="p@client.example", reason="unsubscribed")

    exported = exporters["nurture"](person)
    assert [m["subject"] for m in exported["mail"]] == ["Links"]
    assert exported["sequences"][0]["sequence"] == "L"
    assert exported["suppressed"] == [("p@client.example", "unsubscribed")]

    assert erasers["nurture"](person) >= 2
    assert MailMessage.objects.count() == 0
    assert Suppression.objects.filter(email="p@client.example").exists()  # never mailed again


def test_the_lead_card_loads_the_marketing_panel(make_lead, alice, as_user):
    lead = make_lead(owner=alice)
    services.add_tag(name="vip", lead=lead)
    page = as_user(alice)
    assert f"/marketing/cards/lead/{lead.pk}/" in page.get(f"/leads/{lead.pk}/").content.decode()
    assert page.post(f"/marketing/cards/lead/{lead.pk}/", {"tag": "  trade   show "},
                     headers={"HX-Request": "true"}).status_code == 200
    assert sorted(lead.tags.values_list("name", flat=True)) == ["trade show", "vip"]
