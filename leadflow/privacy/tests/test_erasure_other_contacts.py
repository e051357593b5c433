"""A person is found for erasure by any contact they gave (a card's other contacts, a request's "Also gave", a
client contact's other contacts), however it is written; a contact shared with other people (an office line,
info@company) does not pull their cards in silently: the erase page shows which contact brought which card and
leaves another person's card out unless the admin takes it in."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client as HttpClient

from leadflow.clients import services as clients
from leadflow.intake.models import Submission
from leadflow.leads import services as leads
from leadflow.leads.models import Lead
from leadflow.matching.models import IdentityKey
from leadflow.privacy import services
from leadflow.privacy.models import ErasureLog, Tombstone
from leadflow.telephony.models import Call, Integration

pytestmark = pytest.mark.django_db

OFFICE = "+74951234567"


def submit(key: str, **body: Any) -> Any:
    return HttpClient().post("/api/submissions", data=json.dumps({"consent": True, **body}),
                             content_type="application/json", headers={"X-Api-Key": key})



def test_a_phone_only_on_a_leads_other_contacts_finds_the_person_however_it_is_written(make_lead, alice,
                                                                                        admin_client):
    lead = make_lead(first_name="Зинаида", last_name="Белоусова", phone="+79161112233", email="zina@example.ru",
                     owner=alice)
    leads.add_other_contact(lead=lead, contact="+7 495 123-45-67 доб. 12", by=alice)
    make_lead(first_name="Кирилл", last_name="Орлов", phone=OFFICE, email="kirill@example.ru")  # the bare line

    for written in ("8 (495) 123-45-67 доб. 12", "+7 495 1234567 ext 12", "84951234567#12"):
        assert services.find_person(phone=written).lead_ids == {lead.pk}, written
    page = admin_client.get("/privacy/erase/", {"phone": "8 (495) 123-45-67 доб. 12"}).content.decode()
    assert f"#{lead.pk} Белоусова Зинаида" in page
    assert "holds +74951234567 ext. 12, the contact searched for" in page
    assert "Орлов" not in page  # the line without the extension is someone else's

    done = admin_client.post("/privacy/erase/", {"phone": "8 (495) 123-45-67 доб. 12", "confirm": "erase"})
    assert done.status_code == 200
    lead.refresh_from_db()
    assert lead.erased_at is not None and lead.other_contacts == [] and lead.phone == ""
    assert services.tombstones_for(phones=[(OFFICE, "12")]) and services.tombstones_for(emails=["zina@example.ru"])
    assert not services.tombstones_for(phones=[(OFFICE, "")])


def test_an_email_a_request_also_gave_finds_the_person_in_any_spelling(partner, admin_client):
    _row, key = partner
    assert submit(key, name="Огурцов Пётр", phone="+79161112233",
                  email="ogurcov@example.com; Petr.Ogurcov+work@gmail.com").status_code == 201
    lead = Lead.objects.get(email="ogurcov@example.com")
    assert lead.other_contacts == []  # the second address is only under "Also gave"

    for written in ("petr.ogurcov+work@gmail.com", "PetrOgurcov@gmail.com", "petr.ogurcov@googlemail.com"):
        person = services.find_person(email=written)
        assert person.lead_ids == {lead.pk}, written
        assert "ogurcov@example.com" in person.emails and ("+79161112233", "") in person.phones
    page = admin_client.get("/privacy/erase/", {"email": "PetrOgurcov@gmail.com"}).content.decode()
    assert f"#{lead.pk} Огурцов Пётр" in page


def test_a_phone_only_on_a_client_contacts_other_contacts_finds_the_client(partner, alice, admin_client):
    _row, key = partner
    assert submit(key, name="Сидорова Анна", phone="+79161112233, +7 (812) 555-44-33",
                  email="anna@example.ru").status_code == 201
    lead = Lead.objects.get(email="anna@example.ru")
    leads.claim_lead(lead=lead, by=alice)
    client = leads.convert_lead(lead=Lead.objects.get(pk=lead.pk), by=alice)
    assert client.contact.other_contacts == ["+78125554433"]  # "Also gave", carried to the client
    clients.add_other_contact(client=client, contact=client.contact, value="anna.sidorova@corp.example", by=alice)

    for phone, email in (("8 812 555 44 33", ""), ("", "Anna.Sidorova@corp.example")):
        person = services.find_person(phone=phone, email=email)
        assert person.client_ids == {client.pk} and person.lead_ids == {lead.pk}
    page = admin_client.get("/privacy/erase/", {"email": "anna.sidorova@corp.example"}).content.decode()
    assert f"Client #{client.pk}" in page and "anna.sidorova@corp.example, the contact searched for" in page


@pytest.fixture
def stages(transactional_db: None) -> None:
    """A transactional test's flush empties the rows migrations put in (stages): put them back."""
    import importlib

    from django.apps import apps

    importlib.import_module("leadflow.leads.migrations.0002_default_stages").add_defaults(apps, None)


def test_the_migration_keys_the_other_contacts_stored_before_they_had_keys(migrate_to, stages, make_lead, alice):
    """Old leads' other contacts, client contacts' other contacts carried over by clients.0007 and requests' "Also
    gave" from before they were keyed: find_person reads only the keys, so the migration registers them."""
    lead = make_lead(first_name="Зинаида", last_name="Белоусова", phone="+79161112233", email="zina@example.ru")
    Lead.objects.filter(pk=lead.pk).update(other_contacts=["+74951234567 ext. 12"])
    converted = make_lead(first_name="Анна", last_name="Сидорова", phone="+79162223344", email="anna@example.ru",
                          owner=alice)
    client = leads.convert_lead(lead=converted, by=alice)
    type(client.contact).objects.filter(pk=client.contact_id).update(other_contacts=["anna@corp.example"])
    request = converted.requests.get()
    type(request).objects.filter(pk=request.pk).update(facts={**request.facts, "other_phones": ["+78125554433"]})
    IdentityKey.objects.filter(value__in=[OFFICE, "anna@corp.example", "+78125554433"]).delete()  # as stored then
    assert not services.find_person(phone="+7 495 123-45-67 доб. 12").lead_ids

    migrate_to(("matching", "0002_key_kinds"))
    migrate_to()

    assert services.find_person(phone="+7 495 123-45-67 доб. 12").lead_ids == {lead.pk}
    assert services.find_person(email="anna@corp.example").client_ids == {client.pk}
    assert services.find_person(phone="8 812 555-44-33").client_ids == {client.pk}


@pytest.fixture
def office_line(make_lead, alice, bob):
    """Two people who both gave their company's office line (and its info@ address) as an extra contact."""
    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone="+79161112233", email="zina@example.ru",
                     owner=alice)
    kirill = make_lead(first_name="Кирилл", last_name="Орлов", phone="+79035550000", email="kirill@example.ru",
                       owner=bob)
    for lead, by in ((zina, alice), (kirill, bob)):
        leads.add_other_contact(lead=lead, contact="8 (495) 123-45-67", by=by)
        leads.add_other_contact(lead=lead, contact="info@firm.example", by=by)
    integration = Integration.objects.create(name="PBX", secret="s")
    call = Call.objects.create(integration=integration, provider_call_id="c1", caller=OFFICE, caller_raw="84951234567")
    return {"zina": zina, "kirill": kirill, "call": call}


def test_a_shared_office_line_does_not_pull_in_another_persons_card(office_line, partner, admin_client):
    zina, kirill = office_line["zina"], office_line["kirill"]
    person = services.find_person(email="zina@example.ru")
    assert person.lead_ids == {zina.pk}
    assert set(person.left_out) == {("lead", kirill.pk)}
    assert {services.value_text(v) for v in person.shared} == {OFFICE, "info@firm.example"}
    assert (OFFICE, "") not in person.phones and "info@firm.example" not in person.emails

    page = admin_client.get("/privacy/erase/", {"email": "zina@example.ru"}).content.decode()
    assert f"#{zina.pk} Белоусова Зинаида" in page and "named" not in page
    shared = page[page.index('data-testid="shared"'):]
    assert f"Lead #{kirill.pk}" in shared and "Орлов Кирилл" in shared and "left out" in shared
    assert f"shares {sorted(person.shared)[0][1]} with Lead #{zina.pk}" in shared
    assert f'name="include" value="lead:{kirill.pk}"' in shared
    russian = admin_client.get("/privacy/erase/", {"email": "zina@example.ru"},
                               headers={"Accept-Language": "ru"}).content.decode()
    assert f"общий контакт {sorted(person.shared)[0][1]} с карточкой «Лид №{zina.pk}»" in russian
    assert "не удаляется" in russian and "Показать снова с отмеченными карточками" in russian

    done = admin_client.post("/privacy/erase/", {"email": "zina@example.ru", "confirm": "erase"})
    assert done.status_code == 200
    kirill.refresh_from_db()
    assert kirill.erased_at is None and kirill.other_contacts == [OFFICE, "info@firm.example"]
    assert IdentityKey.objects.filter(card_type="lead", card_id=kirill.pk, value=OFFICE).exists()
    office_line["call"].refresh_from_db()
    assert office_line["call"].caller == OFFICE  # a call from the line may be anyone's there
    assert not services.tombstones_for(phones=[(OFFICE, "")], emails=["info@firm.example"])
    assert ErasureLog.objects.get().lead_ids == [zina.pk]
    # A colleague giving the office line still comes in.
    _row, key = partner
    response = submit(key, name="Смирнов Олег", phone="+7 495 123-45-67", email="info@firm.example")
    assert response.status_code == 201, response.content


def test_the_admin_takes_in_a_card_sharing_a_contact_and_it_is_erased_too(
        office_line, admin_user, admin_client, api_as):
    zina, kirill = office_line["zina"], office_line["kirill"]
    page = admin_client.get("/privacy/erase/", {"email": "zina@example.ru", "include": f"lead:{kirill.pk}"})
    page = page.content.decode()
    assert f"#{kirill.pk} Орлов Кирилл" in page and "taken in by you" in page
    assert f'<input type="hidden" name="include" value="lead:{kirill.pk}">' in page
    bad = admin_client.get("/privacy/erase/", {"email": "zina@example.ru", "include": "kirill"})
    assert bad.status_code == 422 and "include" in bad.content.decode()
    assert api_as(admin_user).post("/api/privacy/erase", data={"email": "zina@example.ru", "confirm": True,
                                                               "include": ["lead:x"]},
                                   content_type="application/json").status_code == 422

    done = admin_client.post("/privacy/erase/", {"email": "zina@example.ru", "include": f"lead:{kirill.pk}",
                                                 "confirm": "erase"})
    assert done.status_code == 200
    assert set(ErasureLog.objects.get().lead_ids) == {zina.pk, kirill.pk}
    assert Lead.objects.filter(erased_at__isnull=False).count() == 2
    assert services.tombstones_for(phones=[(OFFICE, "")])  # no longer anyone else's


def test_the_api_erases_without_the_card_that_only_shares_a_contact_and_says_so(office_line, admin_user, api_as):
    zina, kirill = office_line["zina"], office_line["kirill"]
    response = api_as(admin_user).post("/api/privacy/erase", data={"phone": "8 916 111-22-33", "confirm": True},
                                       content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lead_ids"] == [zina.pk]
    assert {row["card"] for row in body["left_out"]} == {f"lead:{kirill.pk}"}
    assert {row["shares_with"] for row in body["left_out"]} == {f"lead:{zina.pk}"}
    kirill.refresh_from_db()
    assert kirill.erased_at is None


def test_the_same_person_under_a_shared_contact_still_joins_without_asking(make_lead, alice, admin_user):
    """Two cards of one person (the same name) joined by an extra contact: no question, both are erased."""
    first = make_lead(first_name="Зинаида", last_name="Белоусова", phone="+79161112233", email="zina@example.ru")
    second = make_lead(first_name="Зинаида", last_name="Белоусова", phone="+79167778899", email="z.b@work.example")
    leads.add_other_contact(lead=second, contact="zina@example.ru", by=admin_user)
    person = services.find_person(phone="+79161112233")
    assert person.lead_ids == {first.pk, second.pk} and not person.left_out
    assert ("+79167778899", "") in person.phones


def test_a_partner_sending_an_erased_contact_as_the_second_one_is_refused(partner, admin_user):
    _row, key = partner
    assert submit(key, name="Белоусова Зинаида", phone="+79161112233", email="zina@example.ru").status_code == 201
    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)
    for body in ({"email": "new@example.ru; zina@example.ru"}, {"phone": "+79990001122, 8 916 111-22-33"}):
        response = submit(key, name="Белоусова Зинаида", **body)
        assert response.status_code == 422, body
        assert "erased" in response.json()["error"]["fields"]["__all__"][0]
    assert not Lead.objects.filter(erased_at__isnull=True).exists()
    assert "zina@example.ru" not in json.dumps([s.payload for s in Submission.objects.all()])
    assert Tombstone.objects.filter(lifted_at__isnull=True).count() == 2


def test_the_trackers_browsers_of_the_person_are_forgotten_and_later_visits_stay_anonymous(partner, web_form,
                                                                                             admin_user):
    """The tracker remembered whose browser it was (warming.Visitor): after the erasure every later page view of
    that browser joined the erased card again, with its address, and warmed it up until sales was told to call."""
    from leadflow.events.models import OutboxEvent
    from leadflow.events.services import deliver_pending
    from leadflow.warming.models import BehaviourEvent, TrackingSite, Visitor

    site = TrackingSite.objects.create(name="Shop", allowed_origins="https://shop.example", form=web_form)

    def visit(visitor_id: str, url: str) -> None:
        response = HttpClient(headers={"Origin": "https://shop.example"}).post(
            f"/t/{site.public_key}/events", content_type="text/plain;charset=UTF-8",
            data=json.dumps({"visitor_id": visitor_id, "events": [{"kind": "page_view", "url": url}]}))
        assert response.status_code == 202

    _row, key = partner
    visit("zina-browser-2", "https://shop.example/?email=zina@example.ru")  # anonymous, before the repeat request
    zina = {"name": "Белоусова Зинаида", "email": "zina@example.ru"}
    assert submit(key, **zina, visitor_id="zina-browser-1").status_code == 201
    deliver_pending()  # the tracker learns whose browser it is
    assert submit(key, **zina, visitor_id="zina-browser-2").status_code == 200
    visit("zina-browser-1", "https://shop.example/pricing")
    lead = Lead.objects.get(email="zina@example.ru")
    assert Visitor.objects.filter(lead=lead).exists() and lead.behaviour_events.count() == 1

    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)

    assert not Visitor.objects.exists()
    rows = json.dumps([list(BehaviourEvent.objects.values("visitor_id", "url")),
                       list(OutboxEvent.objects.values_list("payload", flat=True))])
    assert "zina-browser" not in rows and "zina@example.ru" not in rows
    visit("zina-browser-1", "https://shop.example/pricing")
    deliver_pending()
    assert BehaviourEvent.objects.filter(lead=lead).count() == 1  # only the one from before, kept for the counts
    assert BehaviourEvent.objects.filter(visitor_id="zina-browser-1").get().lead_id is None


def test_the_callback_task_and_notification_of_a_call_from_the_number_before_any_card_are_erased(
        sales, head, partner, admin_user):
    """A missed call from a number no card had gives the head "Call back the unknown number +7916..." (a task and
    a notification on no card): the number stayed in both after the person was erased, and the task stayed open."""
    from leadflow.leads.models import Notification, Task
    from leadflow.telephony.models import Provider

    integration = Integration.objects.create(name="Asterisk", provider=Provider.GENERIC, secret="pbx-secret",
                                             team=sales)
    answer = HttpClient().post(f"/api/telephony/{integration.pk}/events", content_type="application/json",
                               data=json.dumps({"event": "missed", "call_id": "c-1", "caller": "+79161112233"}),
                               headers={"Authorization": "Bearer pbx-secret"})
    assert answer.status_code == 200, answer.content
    callback = Task.objects.get(kind="callback", lead__isnull=True)
    assert "8 (916) 111-22-33" in callback.title and Notification.objects.filter(kind="call.unknown").exists()
    _row, key = partner
    assert submit(key, name="Белоусова Зинаида", phone="8 916 111-22-33", email="zina@example.ru").status_code == 201

    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)

    callback.refresh_from_db()
    assert "9161112233" not in re.sub(r"\D", "", callback.title)
    assert callback.completed_at is not None and callback.is_cancelled
    assert not any("9161112233" in json.dumps([n.text, n.text_params]) for n in Notification.objects.all())


def test_a_delivery_failure_report_about_the_persons_address_is_erased_and_others_stay(partner, admin_user):
    """A bounce comes from the mail server, on no card, yet carries the person's address and the failed message
    (with their name): it stayed in the inbox after the erasure."""
    from leadflow.inbox.models import IncomingEmail
    from leadflow.inbox.services import take_email
    from leadflow.inbox.tests.messages import bounce

    _row, key = partner
    assert submit(key, name="Белоусова Зинаида", email="zina@example.ru").status_code == 201
    about_zina = bounce().replace(b"nobody@example.org", "Зинаида <Zina@Example.ru>".encode())
    theirs = take_email(raw=about_zina, via="smtp", envelope_from="", envelope_to=["sales@example.com"])
    other = take_email(raw=bounce(), via="smtp", envelope_from="", envelope_to=["sales@example.com"])
    assert IncomingEmail.objects.get(pk=theirs.pk).kind == "bounce"

    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)

    assert bytes(IncomingEmail.objects.get(pk=theirs.pk).raw) == b""
    assert b"nobody@example.org" in bytes(IncomingEmail.objects.get(pk=other.pk).raw)


def test_a_manager_typing_an_erased_persons_contact_into_a_card_is_refused_naming_the_field(
        partner, make_lead, alice, admin_user, api_as):
    """Partners, imports and e-mail were refused an erased person's contacts, but a manager could type them into
    another card (its e-mail, or one of its other contacts) and bring the person back."""
    from leadflow.core.errors import InvalidInput

    _row, key = partner
    assert submit(key, name="Белоусова Зинаида", phone="+79161112233", email="zina@example.ru").status_code == 201
    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)
    lead = make_lead(owner=alice)

    answer = api_as(alice).patch(f"/api/leads/{lead.pk}", data={"email": "Zina@Example.ru"},
                                 content_type="application/json")
    assert answer.status_code == 422 and list(answer.json()["error"]["fields"]) == ["email"]
    assert "erased" in answer.json()["error"]["fields"]["email"][0]
    with pytest.raises(InvalidInput) as refused:
        leads.add_other_contact(lead=lead, contact="8 (916) 111-22-33", by=alice)
    assert list(refused.value.fields) == ["contact"]
    client = leads.convert_lead(lead=Lead.objects.get(pk=lead.pk), by=alice)
    with pytest.raises(InvalidInput):
        clients.add_other_contact(client=client, contact=client.contact, value="zina@example.ru", by=alice)
    with pytest.raises(InvalidInput):
        clients.change_contact_email(client=client, contact=client.contact, email="zina@example.ru", by=alice)
    lead.refresh_from_db()
    client.contact.refresh_from_db()
    assert "zina@example.ru" not in (lead.email, *lead.other_contacts, client.contact.email,
                                     *client.contact.other_contacts)
    leads.add_other_contact(lead=lead, contact="8 (916) 111-22-34", by=alice)  # anyone else's still goes in


def test_a_partners_retry_key_built_from_the_address_is_erased_and_a_retry_does_not_bring_the_lead_back(
        partner, admin_client):
    """Partners often build the Idempotency-Key from their own record ("crm-zina@example.ru-1"): it is personal
    data too. It is kept as a digest, so a retry with it is a new submission, refused by the tombstone, not the
    erased lead answered back."""
    key = "crm-zina@example.ru-1"
    phone_key = "call-8 (916) 555-44-33"
    first = HttpClient().post("/api/submissions", data=json.dumps({"consent": True, "name": "Зинаида Петрова",
                                                                   "email": "zina@example.ru"}),
                              content_type="application/json",
                              headers={"X-Api-Key": partner[1], "Idempotency-Key": key})
    second = HttpClient().post("/api/submissions", data=json.dumps({"consent": True, "name": "Зинаида Петрова",
                                                                    "phone": "+79165554433",
                                                                    "email": "zina@example.ru"}),
                               content_type="application/json",
                               headers={"X-Api-Key": partner[1], "Idempotency-Key": phone_key})
    assert first.status_code == 201 and second.status_code in (200, 201)
    other = submit(partner[1], name="Орлов Кирилл", email="kirill@example.com")
    Submission.objects.filter(pk=other.json()["submission_id"]).update(idempotency_key="crm-kirill-7")

    done = admin_client.post("/privacy/erase/", {"email": "zina@example.ru", "confirm": "erase"})
    assert done.status_code == 200

    keys = set(Submission.objects.values_list("idempotency_key", flat=True))
    assert not any("zina" in k or "555-44-33" in k for k in keys) and "crm-kirill-7" in keys
    assert sum(k.startswith("erased:") for k in keys) == 2
    retried = HttpClient().post("/api/submissions", data=json.dumps({"consent": True, "name": "Зинаида Петрова",
                                                                     "email": "zina@example.ru"}),
                                content_type="application/json",
                                headers={"X-Api-Key": partner[1], "Idempotency-Key": key})
    assert retried.status_code == 422 and retried.json().get("lead_id") is None
