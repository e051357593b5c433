"""What erasure missed: a colleague's card listing the person's mobile among its other contacts kept it (the admin
could only erase that whole card or leave it), the erasure log did not say which cards were left out, mail from or
about another spelling of an address the person gave only as an extra contact stayed, and Message-IDs built from
the person's address ("<1234.zina@example.ru>") stayed in the inbox, in other people's threads too."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from leadflow.inbox.models import EmailStatus, IncomingEmail
from leadflow.inbox.services import take_email
from leadflow.inbox.tests.messages import bounce, build
from leadflow.leads import services as leads
from leadflow.leads.models import FieldChange, Lead
from leadflow.matching.models import IdentityKey
from leadflow.privacy import services
from leadflow.privacy.models import ErasureLog

pytestmark = pytest.mark.django_db

MOBILE = "+79161112233"


def key() -> str:
    """The keyed hash the erasure log keeps of the mobile next to its mask."""
    return services.contact_key(("phone", MOBILE, ""))



def submit(key: str, **body: Any) -> Any:
    return HttpClient().post("/api/submissions", data=json.dumps({"consent": True, **body}),
                             content_type="application/json", headers={"X-Api-Key": key})


@pytest.fixture
def colleague(make_lead, alice, bob):
    """Zina's card, and her colleague Kirill's card that lists her mobile among its other contacts ("call Zina if
    I am out") next to his own office line."""
    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone=MOBILE, email="zina@example.ru", owner=alice)
    kirill = make_lead(first_name="Кирилл", last_name="Орлов", phone="+79035550000", email="kirill@firm.example",
                       owner=bob)
    leads.add_other_contact(lead=kirill, contact="8 (916) 111-22-33", by=bob)
    leads.add_other_contact(lead=kirill, contact="+7 812 555-44-33", by=bob)
    return {"zina": zina, "kirill": kirill}


def test_the_admin_keeps_a_colleagues_card_and_takes_only_the_persons_mobile_off_it(
        colleague, admin_user, admin_client):
    zina, kirill = colleague["zina"], colleague["kirill"]
    page = admin_client.post("/privacy/erase/", {"email": "zina@example.ru"}).content.decode()
    shared = page[page.index('data-testid="shared"'):]
    assert f"Lead #{kirill.pk}" in shared
    assert f'name="strip" value="lead:{kirill.pk}"' in shared and "checked" not in shared  # nothing ticked for you
    assert f"Keep this card, but take {MOBILE} off its other contacts" in shared
    russian = admin_client.post("/privacy/erase/", {"email": "zina@example.ru"},
                                headers={"Accept-Language": "ru"}).content.decode()
    assert f"Оставить карточку, но убрать {MOBILE} из её других контактов" in russian

    shown = admin_client.post("/privacy/erase/", {"email": "zina@example.ru", "strip": f"lead:{kirill.pk}"})
    shown = shown.content.decode()
    assert f"{MOBILE} off Lead #{kirill.pk}" in shown
    assert f'<input type="hidden" name="strip" value="lead:{kirill.pk}">' in shown

    done = admin_client.post("/privacy/erase/", {"email": "zina@example.ru", "strip": f"lead:{kirill.pk}",
                                                 "confirm": "erase"})
    assert done.status_code == 200
    kirill.refresh_from_db()
    assert kirill.erased_at is None and kirill.full_name == "Орлов Кирилл" and kirill.phone == "+79035550000"
    assert kirill.other_contacts == ["+78125554433"]
    assert not IdentityKey.objects.filter(value=MOBILE).exists()
    assert IdentityKey.objects.filter(card_type="lead", card_id=kirill.pk, value="+78125554433").exists()
    assert services.tombstones_for(phones=[(MOBILE, "")])  # no longer anyone else's: kept as a hash
    # Kirill's history says who took it off, masked; the line that added it no longer holds it whole.
    history = list(FieldChange.objects.filter(lead=kirill, field="other_contacts").values_list(
        "old_value", "new_value", "changed_by"))
    assert ("+7916*****33", "", admin_user.pk) in history
    assert "9161112233" not in json.dumps(history) and ("", "+78125554433", colleague["kirill"].owner_id) in history
    # The erasure log lists the card, the contact masked, and that it was taken off.
    log = ErasureLog.objects.get()
    assert log.lead_ids == [zina.pk]
    assert log.left_out == [{"card": f"lead:{kirill.pk}", "contact": "+7916*****33", "key": key(), "removed": True}]
    assert "+7916*****33" in done.content.decode() and "taken off (the card kept)" in done.content.decode()
    assert "9161112233" not in done.content.decode()


def test_by_default_the_colleagues_card_keeps_the_contact_and_the_log_says_so(
        colleague, admin_user, admin_client, api_as):
    """Nothing is taken off another person's card unless the admin says so: the number may be theirs too."""
    zina, kirill = colleague["zina"], colleague["kirill"]
    response = api_as(admin_user).post("/api/privacy/erase", data={"email": "zina@example.ru", "confirm": True},
                                       content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["left_out"] == [{"card": f"lead:{kirill.pk}", "contact": MOBILE,
                                            "shares_with": f"lead:{zina.pk}", "removed": []}]
    kirill.refresh_from_db()
    assert MOBILE in kirill.other_contacts
    assert not services.tombstones_for(phones=[(MOBILE, "")])
    log = ErasureLog.objects.get()
    assert log.left_out == [{"card": f"lead:{kirill.pk}", "contact": "+7916*****33", "key": key(), "removed": False}]
    page = admin_client.get(f"/admin/privacy/erasurelog/{log.pk}/change/").content.decode()
    assert f"lead:{kirill.pk}" in page and "+7916*****33" in page and "9161112233" not in page


def test_the_api_and_the_command_take_the_contact_off_the_card_they_name(colleague, admin_user, api_as):
    kirill = colleague["kirill"]
    bad = api_as(admin_user).post("/api/privacy/erase", data={"email": "zina@example.ru", "confirm": True,
                                                              "strip": ["lead:x"]}, content_type="application/json")
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["strip"]
    both = api_as(admin_user).post("/api/privacy/erase", content_type="application/json",
                                   data={"email": "zina@example.ru", "confirm": True,
                                         "include": [f"lead:{kirill.pk}"], "strip": [f"lead:{kirill.pk}"]})
    assert both.status_code == 422 and "taken in whole" in both.json()["error"]["fields"]["strip"][0]
    assert not ErasureLog.objects.exists()

    out, err = StringIO(), StringIO()
    call_command("privacy", "erase", "--email", "zina@example.ru", "--as", admin_user.username, "--yes",
                 "--strip", f"lead:{kirill.pk}", stdout=out, stderr=err)
    assert f"will be taken off lead:{kirill.pk}'s other contacts" in err.getvalue()
    assert json.loads(out.getvalue())["left_out"] == [{"card": f"lead:{kirill.pk}", "contact": "+7916*****33",
                                                       "key": key(), "removed": True}]
    kirill.refresh_from_db()
    assert kirill.other_contacts == ["+78125554433"] and kirill.erased_at is None


def test_a_card_holding_the_shared_contact_as_its_own_cannot_have_it_taken_off(
        make_lead, admin_user, admin_client, api_as):
    """An office line that is another person's own phone is theirs: the admin may take the card in, not strip it."""
    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone=MOBILE, email="zina@example.ru")
    leads.add_other_contact(lead=zina, contact="+7 495 123-45-67", by=admin_user)
    office = make_lead(first_name="Кирилл", last_name="Орлов", phone="+74951234567", email="kirill@firm.example")
    person = services.find_person(email="zina@example.ru")
    assert set(person.left_out) == {("lead", office.pk)} and not person.removable

    page = admin_client.post("/privacy/erase/", {"email": "zina@example.ru"}).content.decode()
    assert 'name="strip"' not in page and "it cannot be taken off alone" in page
    refused = api_as(admin_user).post("/api/privacy/erase", content_type="application/json",
                                      data={"email": "zina@example.ru", "confirm": True,
                                            "strip": [f"lead:{office.pk}"]})
    assert refused.status_code == 422
    assert "none of this person's contacts among its other contacts" in refused.json()["error"]["fields"]["strip"][0]
    office.refresh_from_db()
    assert office.phone == "+74951234567" and Lead.objects.filter(erased_at__isnull=False).count() == 0


def test_the_colleagues_request_that_also_gave_the_mobile_loses_it_too(partner, make_lead, alice, admin_user):
    """Kirill's own request gave Zina's mobile as a second number ("Also gave"): taken off with the card's."""
    _row, key = partner
    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone=MOBILE, email="zina@example.ru", owner=alice)
    assert submit(key, name="Орлов Кирилл", email="kirill@firm.example",
                  phone="+7 903 555-00-00, 8 916 111-22-33").status_code == 201
    kirill = Lead.objects.get(email="kirill@firm.example")
    person = services.find_person(lead=zina, strip=[f"lead:{kirill.pk}"])
    assert person.stripped == {("lead", kirill.pk): {("phone", MOBILE, "")}}

    services.erase_person(person=person, by=admin_user)

    kirill.refresh_from_db()
    assert kirill.erased_at is None and kirill.phone == "+79035550000"
    request = kirill.requests.get()
    assert "9161112233" not in json.dumps([request.facts, kirill.other_contacts])
    assert request.facts["phone"] == "+79035550000"


# ---------------------------------------------------------------- mail in another spelling of an extra address


@pytest.fixture
def extra_address(make_lead, alice):
    """Zina gave a Gmail address only as an extra contact: her card knows it by its mailbox key alone."""
    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone=MOBILE, email="zina@example.ru", owner=alice)
    leads.add_other_contact(lead=zina, contact="zina.belousova@gmail.com", by=alice)
    return zina


def test_an_automatic_reply_from_another_spelling_of_an_extra_address_is_erased(extra_address, admin_user):
    raw = build(body="Я в отпуске до понедельника. Зинаида Белоусова, моб. +7 916 111-22-33",
                subject="Автоответ: Re: прайс", sender=("Зинаида Белоусова", "Zina.Belousova+work@GoogleMail.com"),
                headers={"Auto-Submitted": "auto-replied"})
    theirs = take_email(raw=raw, via="smtp", envelope_from="zina.belousova@googlemail.com",
                        envelope_to=["sales@example.com"])
    other = take_email(raw=build(body="Я в отпуске.", sender=("Зина Другая", "zinabelousova1@gmail.com"),
                                 headers={"Auto-Submitted": "auto-replied"}),
                       via="smtp", envelope_to=["sales@example.com"])
    theirs.refresh_from_db()
    assert theirs.status == EmailStatus.IGNORED and theirs.lead_id is None  # on no card
    exported = services.export_person(person=services.find_person(email="zina@example.ru"))
    assert [row["id"] for row in exported["rooms"]["inbox"]] == [theirs.pk]

    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)

    theirs.refresh_from_db()
    assert bytes(theirs.raw) == b"" and theirs.from_address == "" and theirs.text == ""
    assert IncomingEmail.objects.get(pk=other.pk).from_address == "zinabelousova1@gmail.com"


def test_a_bounce_about_another_spelling_of_an_extra_address_is_erased(extra_address, admin_user):
    about_zina = bounce().replace(b"nobody@example.org", b"Zina.Belousova@googlemail.com")
    theirs = take_email(raw=about_zina, via="smtp", envelope_from="", envelope_to=["sales@example.com"])
    near = take_email(raw=bounce().replace(b"nobody@example.org", b"xzina.belousova@gmail.com"), via="smtp",
                      envelope_from="", envelope_to=["sales@example.com"])

    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)

    assert bytes(IncomingEmail.objects.get(pk=theirs.pk).raw) == b""
    assert b"xzina.belousova@gmail.com" in bytes(IncomingEmail.objects.get(pk=near.pk).raw)


# ---------------------------------------------------------------- Message-IDs naming the person


def test_message_ids_naming_the_person_are_scrubbed_and_threads_still_find_their_cards(partner, admin_user):
    _row, key = partner
    assert submit(key, name="Белоусова Зинаида", email="zina@example.ru").status_code == 201
    zina = Lead.objects.get(email="zina@example.ru")
    zina_id = "<1234.zina@example.ru>"
    mail = take_email(raw=build(body="Пришлите прайс.", sender=("Зинаида Белоусова", "zina@example.ru"),
                                message_id=zina_id), via="smtp", envelope_to=["sales@example.com"])
    assert IncomingEmail.objects.get(pk=mail.pk).lead_id == zina.pk
    first = take_email(raw=build(body="Нужен ламинат.", sender=("Кирилл Орлов", "kirill@firm.example"),
                                 message_id="<k1@firm.example>"), via="smtp", envelope_to=["sales@example.com"])
    kirill = IncomingEmail.objects.get(pk=first.pk).lead
    # Kirill answers his own thread, which Zina's message was in: his card, Zina's id among the References.
    reply = take_email(raw=build(body="Уточняю объём.", sender=("Кирилл Орлов", "kirill@firm.example"),
                                 message_id="<k2@firm.example>", in_reply_to="<k1@firm.example>",
                                 references=f"{zina_id} <k1@firm.example>"), via="smtp",
                       envelope_to=["sales@example.com"])
    assert IncomingEmail.objects.get(pk=reply.pk).lead_id == kirill.pk

    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)

    rows = list(IncomingEmail.objects.values("key", "message_id", "in_reply_to", "references"))
    assert "zina" not in json.dumps(rows).lower()
    hashed = IncomingEmail.objects.get(pk=mail.pk).message_id
    kept = IncomingEmail.objects.get(pk=reply.pk)
    assert kept.message_id == "<k2@firm.example>" and kept.text.startswith("Уточняю")
    assert kept.references == [hashed, "<k1@firm.example>"] and kept.in_reply_to == "<k1@firm.example>"

    # A reply to Kirill's message still finds his card; one to Zina's message does not bring her card back.
    olga = take_email(raw=build(body="Я коллега Кирилла.", sender=("Ольга Смирнова", "olga@firm.example"),
                                in_reply_to="<k2@firm.example>", references=f"{zina_id} <k2@firm.example>"),
                      via="smtp", envelope_to=["sales@example.com"])
    assert IncomingEmail.objects.get(pk=olga.pk).lead_id == kirill.pk
    anna = take_email(raw=build(body="Отвечаю на письмо Зинаиды.", sender=("Анна Соколова", "anna@other.example"),
                                in_reply_to=zina_id, references=zina_id), via="smtp",
                      envelope_to=["sales@example.com"])
    anna_lead = IncomingEmail.objects.get(pk=anna.pk).lead
    assert anna_lead is not None and anna_lead.pk != zina.pk and anna_lead.erased_at is None
    # The same message of Zina's delivered again is still the one row, not a new one.
    count = IncomingEmail.objects.count()
    again = take_email(raw=build(body="Пришлите прайс.", sender=("Зинаида Белоусова", "zina@example.ru"),
                                 message_id=zina_id), via="smtp", envelope_to=["sales@example.com"])
    assert again.pk == mail.pk and IncomingEmail.objects.count() == count


# ---------------------------------------------------------------- what else kept the person


def test_a_colleagues_journal_row_loses_only_the_persons_number_not_his_own_data(partner, make_lead, alice,
                                                                                 admin_user):
    """Kirill's request also gave Zina's mobile: erasing Zina took his whole journal row (his name, his message)."""
    _row, key = partner
    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone=MOBILE, email="zina@example.ru", owner=alice)
    response = submit(key, name="Орлов Кирилл", email="kirill@firm.example", message="Нужен ламинат, 200 м²",
                      phone="+7 903 555-00-00, 8 916 111-22-33")
    kirill = Lead.objects.get(email="kirill@firm.example")

    services.erase_person(person=services.find_person(lead=zina, strip=[f"lead:{kirill.pk}"]), by=admin_user)

    from leadflow.intake.models import Submission

    payload = Submission.objects.get(pk=response.json()["submission_id"]).payload
    assert "9161112233" not in json.dumps(payload) and "916 111-22-33" not in json.dumps(payload)
    assert payload["name"] == "Орлов Кирилл" and payload["email"] == "kirill@firm.example"
    assert payload["message"] == "Нужен ламинат, 200 м²" and payload.get("erased") is None


def test_a_postback_url_carrying_the_persons_address_keeps_only_its_address_and_is_not_sent(partner, admin_user):
    """A partner's click id built from the address went into the postback's URL: the delivery log kept it, and a
    postback not sent yet would hand it to the partner after the erasure."""
    from leadflow.events.services import deliver_pending
    from leadflow.partners.models import Postback

    row, key = partner
    row.postback_url = "https://partner.example/pb?click={click_id}&status={status}"
    row.postback_statuses = ["accepted"]
    row.save()
    assert submit(key, name="Белоусова Зинаида", email="zina@example.ru", click_id="crm-zina@example.ru").status_code \
        == 201
    assert submit(key, name="Орлов Кирилл", email="kirill@firm.example", click_id="crm-7").status_code == 201
    deliver_pending()
    assert Postback.objects.count() == 2

    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)

    theirs = Postback.objects.get(lead__email="")
    assert "zina" not in theirs.url and theirs.url.startswith("https://partner.example/pb") and theirs.state == "failed"
    other = Postback.objects.get(lead__email="kirill@firm.example")
    assert "click=crm-7" in other.url and other.state == "pending"


def test_another_cards_history_holding_the_persons_address_is_masked(make_lead, alice, bob, admin_user):
    """A manager typed Zina's address into Kirill's card by mistake and corrected it: Kirill's history kept it."""
    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone=MOBILE, email="zina@example.ru", owner=alice)
    kirill = make_lead(first_name="Кирилл", last_name="Орлов", phone="+79035550000", email="kirill@firm.example",
                       owner=bob)
    FieldChange.objects.create(lead=kirill, field="email", old_value="kirill@firm.example",
                               new_value="Zina@Example.ru", changed_by=bob)
    FieldChange.objects.create(lead=kirill, field="email", old_value="Zina@Example.ru",
                               new_value="kirill@firm.example", changed_by=bob)

    services.erase_person(person=services.find_person(lead=zina), by=admin_user)

    lines = list(FieldChange.objects.filter(lead=kirill, field="email").order_by("pk").values_list(
        "old_value", "new_value"))
    assert lines == [("kirill@firm.example", "z***@example.ru"), ("z***@example.ru", "kirill@firm.example")]


def test_a_journal_row_on_no_card_with_another_spelling_of_an_extra_address_is_erased(extra_address, partner,
                                                                                    admin_user):
    """A submission taken for spam (its hidden field filled), on no card, typed the Gmail address its own way."""
    from leadflow.intake.models import Submission

    _row, key = partner
    spam = submit(key, name="Белоусова Зинаида", email="Zina.Belousova+shop@GoogleMail.com", website_url="x")
    row = Submission.objects.get(pk=spam.json()["submission_id"])
    assert row.status == "spam" and row.lead_id is None and "GoogleMail" in json.dumps(row.payload)

    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)

    row.refresh_from_db()
    assert "belousova" not in json.dumps([row.payload, row.errors]).lower() and row.payload.get("erased") is True
