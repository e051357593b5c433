"""A person's data exported from every room and erased everywhere; tombstones keep them from coming back
through imports and partners; counts stay; only admins erase."""

from __future__ import annotations

import csv
import io
import json
import time
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.test import Client as HttpClient
from django.utils import timezone, translation

from leadflow.clients.models import Client, Company, Contact, Deal
from leadflow.imports.models import ImportJob
from leadflow.imports.services import ErrorFile
from leadflow.inbox.models import Attachment, IncomingEmail
from leadflow.intake import pipeline, webform_rules
from leadflow.intake.models import Form, Submission
from leadflow.leads import services as leads
from leadflow.leads.models import Activity, FieldChange, Lead, Notification
from leadflow.partners.models import Postback
from leadflow.privacy import services
from leadflow.privacy.models import Consent, ErasureLog, Tombstone
from leadflow.telephony.models import Call, CallEvent, Integration
from leadflow.warming.models import BehaviourEvent

pytestmark = pytest.mark.django_db

EMAIL = "zina.belousova@example.ru"
PHONE = "+79161112233"
SURNAME = "Белоусова"
# Every way the person could still be found in a table after erasure.
TRACES = (EMAIL, PHONE, "9161112233", SURNAME, "Зинаида", "Belousova")
PERSON = {"name": "Белоусова Зинаида", "phone": "8 916 111-22-33", "email": EMAIL, "company": "ИП Белоусова",
          "message": "Перезвоните Зинаиде после обеда", "utm_source": "google", "utm_campaign": "spring",
          "utm_content": "ad-for-zina.belousova@example.ru", "click_id": "clk-77"}


@pytest.fixture
def person_everywhere(partner, alice, head, settings, tmp_path) -> dict[str, Any]:
    """The person in every room: a partner's lead (journal, request, consents, keys, task), a client with
    a sole proprietor's company and a deal, an e-mail with an attachment, a call, a postback, an import
    error file, field history, a behaviour event, a notification; plus another person who must stay."""
    settings.MEDIA_ROOT = str(tmp_path)
    row, key = partner
    response = HttpClient().post("/api/submissions", data=json.dumps({**PERSON, "consent": True}),
                                 content_type="application/json", headers={"X-Api-Key": key},
                                 REMOTE_ADDR="198.51.100.4")
    assert response.status_code == 201
    lead = Lead.objects.get(email=EMAIL)
    other = HttpClient().post("/api/submissions", data=json.dumps({"name": "Орлов Кирилл", "phone": "+79035550000",
                                                                   "email": "kirill@example.com", "consent": True}),
                              content_type="application/json", headers={"X-Api-Key": key})
    assert other.status_code == 201
    leads.claim_lead(lead=lead, by=alice)
    leads.log_activity(lead=lead, kind="call", subject="Звонок Зинаиде", body=f"Говорили с {SURNAME}", by=alice)
    leads.notify(user=head, kind="test", lead=lead, template="New lead: %(name)s", name="Белоусова Зинаида")
    FieldChange.objects.create(lead=lead, field="email", old_value="zina@old.example.ru", new_value=EMAIL)
    company = Company.objects.create(name="Белоусова Зинаида", legal_form="ИП", inn="500100732259",
                                     legal_address="Москва, ул. Зинаиды, 1")
    contact = Contact.objects.create(full_name="Белоусова Зинаида", last_name=SURNAME, first_name="Зинаида",
                                     phone=PHONE, email=EMAIL, company=company)
    client = Client.objects.create(name="Белоусова Зинаида", company=company, contact=contact, owner=alice,
                                   team=alice.team, lead=lead)
    Deal.objects.create(client=client, amount=Decimal("120000.00"), closed_at=timezone.now(),
                        note="Скидка для Зинаиды")
    email = IncomingEmail.objects.create(
        key="msg-1", raw=f"From: Zina Belousova <{EMAIL}>\r\nSubject: hi\r\n\r\nCall {PHONE}".encode(),
        via="smtp", envelope_from=EMAIL, from_name="Zina Belousova", from_address=EMAIL, subject="Прайс",
        text=f"Звоните {PHONE}", phones=[PHONE], lead=lead)
    attachment = Attachment.objects.create(email=email, filename="card.txt", size=10,
                                           file=ContentFile(b"Belousova business card", name="card.txt"))
    integration = Integration.objects.create(name="PBX", secret="s")
    call = Call.objects.create(integration=integration, provider_call_id="c1", caller=PHONE, caller_raw="89161112233",
                               recording_url="https://pbx.example.com/rec/89161112233.mp3", lead=lead)
    CallEvent.objects.create(integration=integration, event_key="e1", kind="incoming",
                             payload={"caller": "89161112233"}, call=call)
    submission = Submission.objects.get(lead=lead)
    Postback.objects.create(partner=row, submission=submission, lead=lead, status="accepted",
                            url="https://cpa.example.com/pb?click=clk-77&status=accepted",
                            last_error=f"500: unknown lead {EMAIL}")
    job = ImportJob.objects.create(kind="leads", original_name="expo.csv", file_format="csv", encoding="utf-8",
                                   delimiter=";", headers=["ФИО", "Телефон", "E-mail"],
                                   report=[{"row": 2, "status": "invalid", "detail": f"email: {EMAIL} bounced"}],
                                   created_by=head)
    job.file.save("expo.csv", ContentFile(
        f"ФИО;Телефон;E-mail\nБелоусова Зинаида;8 (916) 111-22-33;{EMAIL}\nОрлов Кирилл;+79035550000;k@x.ru\n"
        .encode()), save=False)
    job.error_file.save("expo-errors.csv", ContentFile(
        f"\ufeffФИО;Телефон;E-mail;error\nБелоусова Зинаида;8 (916) 111-22-33;{EMAIL};bad\nОрлов;1;k@x.ru;bad\n"
        .encode()), save=False)
    job.save()
    Submission.objects.create(channel="import", status="invalid", payload={
        "name": "Белоусова Зинаида", "email": EMAIL, "import_job": job.pk, "import_row": 2})
    BehaviourEvent.objects.create(kind="page_view", lead=lead, visitor_id="vis-zina",
                                  url=f"https://shop.example.com/?email={EMAIL}", properties={"name": SURNAME})
    return {"lead": lead, "client": client, "job": job, "attachment_name": attachment.file.name,
            "other": Lead.objects.get(email="kirill@example.com")}


def _all_rows_text() -> str:
    """Every row of every Leadflow table, as text."""
    parts = []
    for model in apps.get_models():
        if not model.__module__.startswith("leadflow."):
            continue
        for row in model.objects.all().values():
            parts.append(f"{model.__name__}: {row!r}")
            for value in row.values():
                if isinstance(value, bytes | memoryview):
                    parts.append(bytes(value).decode("utf-8", "replace"))
    return "\n".join(parts)


def test_the_export_has_the_person_from_every_room(person_everywhere, admin_user):
    person = services.find_person(email=EMAIL)
    assert person.lead_ids == {person_everywhere["lead"].pk}
    assert person.client_ids == {person_everywhere["client"].pk}
    response = HttpClient()
    response.force_login(admin_user)
    answer = response.get(f"/privacy/export/?lead={person_everywhere['lead'].pk}")
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment;")
    rooms = json.loads(answer.content)["rooms"]
    assert set(services.exporters) <= set(rooms)
    assert rooms["leads"]["leads"][0]["email"] == EMAIL
    assert rooms["clients"]["contacts"][0]["phone"] == PHONE
    assert rooms["clients"]["sole_proprietor_companies"][0]["inn"] == "500100732259"
    assert rooms["clients"]["deals"][0]["amount"] == "120000.00"
    assert any(r["message"] == PERSON["message"] for r in rooms["requests"])
    assert any(s["payload"].get("email") == EMAIL for s in rooms["submissions"])
    assert any(a["body"] == f"Говорили с {SURNAME}" for a in rooms["activities"]["activities"])
    assert any("Белоусова" in n["text"] for n in rooms["notifications"])
    assert rooms["inbox"][0]["from_address"] == EMAIL and rooms["inbox"][0]["attachments"][0]["filename"] == "card.txt"
    assert rooms["telephony"][0]["caller"] == PHONE
    assert rooms["postbacks"][0]["status"] == "accepted"
    assert rooms["imports"][0]["report"][0]["row"] == 2
    assert any(h["new_value"] == EMAIL for h in rooms["history"])
    assert any(k["value"] == PHONE for k in rooms["matching"])
    assert rooms["behaviour"][0]["visitor_id"] == "vis-zina"
    assert rooms["consents"][0]["purpose"] == "processing" and rooms["consents"][0]["ip"] == "198.51.100.4"


def test_erasure_leaves_no_trace_of_the_person_and_keeps_the_counts(person_everywhere, admin_user,
                                                                     django_capture_on_commit_callbacks):
    lead, other, job = person_everywhere["lead"], person_everywhere["other"], person_everywhere["job"]
    counts_before = (Lead.objects.count(), Submission.objects.count(), Client.objects.count(), Call.objects.count(),
                     Activity.objects.count(), Postback.objects.count(), Notification.objects.count())
    state, stage, created, source = lead.state, lead.stage_id, lead.created_at, lead.source_id
    assert any(trace in _all_rows_text() for trace in TRACES)

    client = HttpClient()
    client.force_login(admin_user)
    found = client.get("/privacy/erase/", {"email": EMAIL})
    assert found.status_code == 200 and f"#{lead.pk}" in found.content.decode()
    unconfirmed = client.post("/privacy/erase/", {"email": EMAIL, "confirm": "yes"})
    assert unconfirmed.status_code == 422 and not ErasureLog.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):  # files go once the erasure is committed
        done = client.post("/privacy/erase/", {"email": EMAIL, "confirm": "erase", "reference": "ticket 42"})
    assert done.status_code == 200

    text = _all_rows_text()
    for trace in TRACES:
        assert trace.casefold() not in text.casefold(), trace
    assert "Орлов Кирилл" in text and "kirill@example.com" in text  # the other person stays
    job.refresh_from_db()
    for stored in (job.file, job.error_file):
        content = stored.open("rb").read().decode("utf-8-sig")
        assert EMAIL not in content and SURNAME not in content and "Орлов" in content
    assert not Attachment.objects.exists()
    from django.core.files.storage import default_storage

    assert not default_storage.exists(person_everywhere["attachment_name"])

    assert counts_before == (Lead.objects.count(), Submission.objects.count(), Client.objects.count(),
                             Call.objects.count(), Activity.objects.count(), Postback.objects.count(),
                             Notification.objects.count())
    lead.refresh_from_db()
    assert (lead.state, lead.stage_id, lead.created_at, lead.source_id) == (state, stage, created, source)
    assert lead.erased_at is not None and lead.utm_campaign == "spring"
    assert Deal.objects.get().amount == Decimal("120000.00")
    submission = Submission.objects.get(lead=lead)
    assert submission.status == "created" and submission.partner_id and submission.payload["click_id"] == "clk-77"
    other.refresh_from_db()
    assert other.email == "kirill@example.com" and other.erased_at is None

    log = ErasureLog.objects.get()
    assert log.by == admin_user and log.reference == "ticket 42"
    assert log.lead_ids == [lead.pk] and log.client_ids == [person_everywhere["client"].pk]
    assert log.counts["leads"] >= 1 and log.counts["submissions"] == 2 and log.counts["inbox"] == 2
    assert set(log.counts) >= set(services.erasers)
    assert Tombstone.objects.filter(erasure=log).count() == log.tombstones == 2  # one e-mail, one phone


@pytest.mark.parametrize(("language", "delimiter", "bom"), [("en", ",", b""), ("ru", ";", b"\xef\xbb\xbf")])
def test_an_import_error_file_in_its_readers_dialect_loses_the_persons_rows_and_keeps_its_dialect(
        person_everywhere, admin_user, language, delimiter, bom):
    # the import writes its rejected rows for the importer's spreadsheet: `,` for an English one, `;` for a Russian
    job = person_everywhere["job"]
    with translation.override(language):
        rejected = ErrorFile(job)
        rejected.add(["Белоусова Зинаида", "8 (916) 111-22-33", EMAIL], "bad")
        rejected.add(["Орлов Кирилл", "1", "k@x.ru"], "bad, very")
        rejected.save("errors")
    job.save()

    services.erase_person(person=services.find_person(email=EMAIL), by=admin_user)

    job.refresh_from_db()
    raw = job.error_file.open("rb").read()
    assert raw.startswith(bom) and not raw[len(bom):].startswith(b"\xef\xbb\xbf")  # one BOM or none, as written
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=delimiter))
    assert rows[1:] == [["Орлов Кирилл", "1", "k@x.ru", "bad, very"]]


@pytest.fixture
def erased(person_everywhere, admin_user):
    services.erase_person(person=services.find_person(email=EMAIL), by=admin_user)


def test_a_reimport_of_an_erased_person_is_refused_and_not_kept(erased, head):
    outcome = pipeline.receive(pipeline.Inbound(channel="import", submitted_by=head, payload={
        "name": "Белоусова Зинаида", "phone": "+7 (916) 111-22-33", "consent": True, "import_row": 5}))
    assert outcome.status == "invalid" and outcome.reason == "erased"
    assert "erased" in outcome.errors["__all__"][0]
    assert outcome.submission.payload == {"consent": True, "import_row": 5, "erased": True}
    assert not Lead.objects.filter(erased_at__isnull=True, phone=PHONE).exists()
    preview = pipeline.preview(pipeline.Inbound(channel="import", submitted_by=head, payload={
        "name": "Зинаида", "email": "Zina.Belousova@example.ru"}))
    assert preview.status == "invalid" and preview.reason == "erased"


def test_a_partner_resubmitting_an_erased_person_gets_invalid_not_a_lead(erased, partner):
    _row, key = partner
    response = HttpClient().post("/api/submissions", data=json.dumps({**PERSON, "consent": True}),
                                 content_type="application/json", headers={"X-Api-Key": key})
    assert response.status_code == 422
    assert "erased" in response.json()["error"]["fields"]["__all__"][0]
    submission = Submission.objects.get(pk=response.json()["submission_id"])
    assert submission.status == "invalid" and submission.errors["reason"] == "erased"
    assert EMAIL not in json.dumps(submission.payload, ensure_ascii=False)
    assert Lead.objects.filter(erased_at__isnull=True).count() == 1  # only the other person


def test_the_person_coming_back_through_a_web_form_with_consent_is_a_new_person(erased, sales):
    form = Form.objects.create(name="Site", slug="site", team=sales, consent_text="I agree.",
                               consent_text_version="v9")
    body = {"_ts": webform_rules.issue_token(form, now=time.time() - 30), "name": "Зинаида Белоусова",
            "phone": PHONE, "consent": "on"}
    assert HttpClient().post("/f/site", data=body).status_code == 200
    lead = Lead.objects.get(phone=PHONE, erased_at__isnull=True)
    assert lead.consent_given
    lifted = Tombstone.objects.get(kind="phone")
    assert lifted.lifted_at is not None and lifted.lifted_by_submission == Submission.objects.get(lead=lead).pk
    assert Consent.objects.filter(lead=lead, purpose="processing", text_version="v9").exists()


def test_only_an_admin_erases_and_a_manager_exports_nothing(person_everywhere, alice, bob, head, api_as):
    lead = person_everywhere["lead"]
    as_bob = HttpClient()
    as_bob.force_login(bob)
    assert as_bob.get(f"/privacy/export/?lead={lead.pk}").status_code == 404
    assert as_bob.post("/privacy/withdraw/", {"lead": lead.pk, "purpose": "processing"}).status_code == 404
    assert as_bob.get("/privacy/erase/", {"email": EMAIL}).status_code == 403
    as_alice = HttpClient()
    as_alice.force_login(alice)
    assert as_alice.get(f"/privacy/export/?lead={lead.pk}").status_code == 404  # a manager: no export
    as_head = HttpClient()
    as_head.force_login(head)
    assert as_head.post("/privacy/erase/", {"email": EMAIL, "confirm": "erase"}).status_code == 403
    assert api_as(head).post("/api/privacy/erase", data={"email": EMAIL, "confirm": True},
                             content_type="application/json").status_code == 403
    assert api_as(bob).get(f"/api/privacy/export?lead={lead.pk}").status_code == 404
    # The head of the person's team may export them (every card of the person is in the team).
    assert as_head.get(f"/privacy/export/?lead={lead.pk}").status_code == 200
    assert not ErasureLog.objects.exists()
    lead.refresh_from_db()
    assert lead.email == EMAIL


def test_a_head_cannot_export_a_person_with_cards_in_another_team(person_everywhere, head, carol, make_lead,
                                                                  other_team):
    make_lead(team=other_team, email=EMAIL, phone="+79160000001", first_name="Зинаида", last_name=SURNAME)
    as_head = HttpClient()
    as_head.force_login(head)
    assert as_head.get(f"/privacy/export/?lead={person_everywhere['lead'].pk}").status_code == 403


def test_the_api_erases_for_an_admin(person_everywhere, admin_user, api_as):
    response = api_as(admin_user).post("/api/privacy/erase", data={"phone": "8 916 111 22 33", "confirm": True},
                                       content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["lead_ids"] == [person_everywhere["lead"].pk]
    bad = api_as(admin_user).post("/api/privacy/erase", data={"email": "not an address", "confirm": True},
                                  content_type="application/json")
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["email"]


def test_an_email_from_an_erased_person_is_not_a_lead_and_not_kept(erased):
    from leadflow.inbox.services import take_email

    raw = (f"From: Zina Belousova <{EMAIL}>\r\nTo: sales@example.com\r\nSubject: Again\r\n"
           f"Message-ID: <again@example.ru>\r\n\r\nPlease call me: {PHONE}\r\n").encode()
    email = take_email(raw=raw, via="smtp", envelope_from=EMAIL, envelope_to=["sales@example.com"])
    email.refresh_from_db()
    assert email.submission.status == "invalid" and email.submission.errors["reason"] == "erased"
    assert bytes(email.raw) == b"" and email.from_address == "" and email.text == ""
    assert Lead.objects.filter(erased_at__isnull=True).count() == 1  # only the other person
    assert EMAIL not in _all_rows_text()


def test_a_public_form_never_tells_that_someone_was_erased(erased, sales):
    form = Form.objects.create(name="Site", slug="site", team=sales, consent_text="I agree.", consent_text_version="v9")
    body = {"_ts": webform_rules.issue_token(form, now=time.time() - 30), "name": "Зинаида", "email": EMAIL}
    response = HttpClient().post("/f/site", data=body)
    assert response.status_code == 422
    page = response.content.decode()
    assert "erased" not in page and 'id="lf-consent-error"' in page
    submission = Submission.objects.filter(channel="form").get()
    assert submission.errors["reason"] == "erased" and EMAIL not in json.dumps(submission.payload)
    assert Tombstone.objects.filter(lifted_at__isnull=True).count() == 2


def test_the_erase_page_names_the_field_of_each_problem_by_its_label(admin_user, make_lead):
    """"confirm: Для подтверждения введите «erase»." and "email: ...": the fields' codes, not the labels the admin
    reads next to the inputs."""
    make_lead(first_name="Зинаида", last_name="Белоусова", email=EMAIL, phone=PHONE)
    client = HttpClient()
    client.force_login(admin_user)
    unconfirmed = client.post("/privacy/erase/", {"email": EMAIL, "confirm": "да"}, headers={"Accept-Language": "ru"})
    page = unconfirmed.content.decode()
    assert unconfirmed.status_code == 422 and "confirm:" not in page
    assert "Для подтверждения введите «erase»: Для подтверждения введите «erase»." not in page
    assert "Подтверждение: " in page
    bad = client.get("/privacy/erase/", {"email": "zina@@example.ru"}, headers={"Accept-Language": "ru"})
    assert bad.status_code == 422 and "email:" not in bad.content.decode()
    assert "E-mail: " in bad.content.decode()


def test_the_erase_page_finds_a_person_by_post_so_their_contact_never_stands_in_a_url(person_everywhere, admin_user):
    """An access log or the browser's history keeps every URL: the page's forms post the searched e-mail or phone,
    and finding someone by POST (no confirmation field) only shows them."""
    lead = person_everywhere["lead"]
    client = HttpClient()
    client.force_login(admin_user)
    empty = client.get("/privacy/erase/").content.decode()
    assert 'method="get"' not in empty and '<form method="post">' in empty

    found = client.post("/privacy/erase/", {"email": EMAIL})
    page = found.content.decode()
    assert found.status_code == 200 and f"#{lead.pk}" in page and 'name="confirm"' in page
    assert 'method="get"' not in page
    assert not ErasureLog.objects.exists()
    lead.refresh_from_db()
    assert lead.email == EMAIL


def test_the_erase_page_lists_the_persons_phones_as_people_write_them(admin_user, make_lead):
    """The admin reads the phones to be erased as the cards show them, not as stored (E.164)."""
    make_lead(first_name="Зинаида", last_name="Белоусова", email=EMAIL, phone=PHONE)
    client = HttpClient()
    client.force_login(admin_user)
    page = client.post("/privacy/erase/", {"email": EMAIL}, headers={"Accept-Language": "ru"}).content.decode()
    found = page.split('data-testid="found"')[1]
    assert "8 (916) 111-22-33" in found and PHONE not in found
