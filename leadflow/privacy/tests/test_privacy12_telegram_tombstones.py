"""An erased person's Telegram accounts are tombstoned like their e-mails and phones (privacy12): a person known
only by "@ivan_petrov" does not come back as an interest from the next import or a partner's resend, one found by
their e-mail whose request also gave an account does not come back by that account, and only they, through a web
form with a fresh consent, lift it. Intake asks about all the contacts in its one tombstone statement."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from leadflow.intake import pipeline
from leadflow.intake.models import Form, Submission
from leadflow.leads.models import Interest, Lead
from leadflow.privacy import services
from leadflow.privacy.models import ErasureLog, Tombstone

pytestmark = pytest.mark.django_db


def post(headers: dict[str, str], **body: Any) -> Any:
    return HttpClient().post("/api/submissions", data=json.dumps({"consent": True, **body}),
                             content_type="application/json", headers=headers)


@pytest.fixture
def erased_by_telegram(partner, admin_user) -> None:
    assert post({"X-Api-Key": partner[1]}, name="Иван Петров", phone="t.me/ivan_petrov").status_code in (200, 201,
                                                                                                         202)
    assert Interest.objects.count() == 1
    services.erase_person(person=services.find_person(telegram="@ivan_petrov"), by=admin_user)


def test_a_partner_resending_a_telegram_only_person_is_refused_not_a_new_interest(erased_by_telegram, partner):
    response = post({"X-Api-Key": partner[1]}, name="Иван Петров", phone="@Ivan_Petrov")

    assert response.status_code == 422
    assert Submission.objects.get(pk=response.json()["submission_id"]).errors["reason"] == "erased"
    assert Interest.objects.count() == 1  # the erased one only
    assert Tombstone.objects.get().kind == "telegram"
    assert ErasureLog.objects.get().tombstones == 1


def test_an_import_giving_the_account_in_a_telegram_column_is_refused(erased_by_telegram, head):
    outcome = pipeline.receive(pipeline.Inbound(channel="import", submitted_by=head, payload={
        "name": "Иван Петров", "telegram": "https://t.me/IVAN_PETROV/", "consent": True, "import_row": 3}))

    assert outcome.status == "invalid" and outcome.reason == "erased"
    assert "ivan_petrov" not in json.dumps(outcome.submission.payload).lower()
    preview = pipeline.preview(pipeline.Inbound(channel="import", submitted_by=head, payload={
        "name": "Иван Петров", "telegram": "ivan_petrov"}))
    assert preview.status == "invalid" and preview.reason == "erased"
    assert Interest.objects.count() == 1


def test_another_account_is_not_refused(erased_by_telegram, partner):
    assert post({"X-Api-Key": partner[1]}, name="Пётр Иванов", phone="@ivan_petrov2").status_code in (200, 201, 202)
    assert Interest.objects.count() == 2


def test_a_person_found_by_email_is_tombstoned_by_the_account_their_request_gave(web_form: Form, partner,
                                                                                 admin_user):
    post({"X-Form-Key": web_form.public_key}, name="Иван Петров", email="ivan.petrov@mail.ru",
         telegram="@ivan_petrov")
    assert Lead.objects.count() == 1

    log = services.erase_person(person=services.find_person(email="ivan.petrov@mail.ru"), by=admin_user)

    assert sorted(Tombstone.objects.values_list("kind", flat=True)) == ["email", "telegram"]
    assert log.tombstones == 2
    response = post({"X-Api-Key": partner[1]}, name="Иван", phone="t.me/ivan_petrov")
    assert response.status_code == 422
    assert not Interest.objects.exists() and Lead.objects.filter(erased_at__isnull=True).count() == 0


def test_the_person_coming_back_through_a_web_form_lifts_the_account_s_tombstone(erased_by_telegram,
                                                                                 web_form: Form, partner):
    response = post({"X-Form-Key": web_form.public_key}, name="Иван Петров", telegram="@ivan_petrov")

    assert response.status_code in (200, 201, 202), response.content
    tombstone = Tombstone.objects.get()
    assert tombstone.lifted_at is not None
    assert tombstone.lifted_by_submission == response.json()["submission_id"]
    assert Interest.objects.count() == 2
    # lifted: the partner's resend is taken again (the person is a new person now)
    assert post({"X-Api-Key": partner[1]}, name="Иван Петров", phone="@ivan_petrov").status_code in (200, 201, 202)


def test_intake_asks_about_e_mails_phones_and_accounts_in_one_statement(erased_by_telegram, partner):
    table = Tombstone._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        response = post({"X-Api-Key": partner[1]}, name="Олег Сидоров", email="oleg@example.ru",
                        phone="+7 916 555-44-33", telegram="@oleg_sidorov")
    assert response.status_code in (200, 201, 202), response.content
    assert len([q for q in queries if table in q["sql"]]) == 1


def test_the_erase_page_lists_the_accounts_that_will_be_kept_as_hashes(web_form: Form, admin_client):
    post({"X-Form-Key": web_form.public_key}, name="Иван Петров", email="ivan.petrov@mail.ru",
         telegram="@Ivan_Petrov")

    page = admin_client.post("/privacy/erase/", {"email": "ivan.petrov@mail.ru"}).content.decode()

    assert "Telegram: t.me/ivan_petrov" in page
    assert "e-mails, phones and Telegram accounts are kept only as keyed hashes" in page


# ---------------------------------------------------------------- the account quoted in other people's texts


@pytest.fixture
def quoted(web_form: Form, partner, alice) -> dict[str, Any]:
    """Иван gave his e-mail and Telegram account on the site; a colleague's request and a note on the colleague's
    card quote the account (with another person's look-alike accounts next to it)."""
    from leadflow.leads import services as leads

    post({"X-Form-Key": web_form.public_key}, name="Иван Петров", email="ivan.petrov@mail.ru",
         telegram="@ivan_petrov")
    said = "Я от Ивана, по вопросам пишите @Ivan_Petrov или https://t.me/ivan_petrov/, не @ivan_petrov2."
    assert post({"X-Api-Key": partner[1]}, name="Кирилл Орлов", email="kirill@firm.example",
                message=said).status_code in (200, 201, 202)
    colleague = Lead.objects.get(email="kirill@firm.example")
    note = leads.log_activity(lead=colleague, kind="note", by=alice,
                              body="Связь через t.me/IVAN_PETROV. Магазин: @ivan_petrov_shop, "
                                   "почта ivan_petrov@firm.example")
    return {"colleague": colleague, "note": note}


def test_a_colleague_s_request_and_note_quoting_the_account_lose_only_it(quoted, admin_user):
    from leadflow.leads.models import Request

    log = services.erase_person(person=services.find_person(email="ivan.petrov@mail.ru"), by=admin_user)

    request = Request.objects.get(lead=quoted["colleague"])
    assert request.message == "Я от Ивана, по вопросам пишите [erased] или [erased], не @ivan_petrov2."
    quoted["note"].refresh_from_db()
    assert quoted["note"].body == ("Связь через [erased]. Магазин: @ivan_petrov_shop, "
                                   "почта ivan_petrov@firm.example")
    rows = {row["row"] for row in log.redacted}
    assert f"request:{request.pk}" in rows and f"activity:{quoted['note'].pk}" in rows
    # the colleague's journal row keeps their request, without the account
    journal = Submission.objects.get(lead=quoted["colleague"])
    assert "ivan_petrov" not in json.dumps(journal.payload).replace("ivan_petrov2", "").lower()
    assert journal.payload["email"] == "kirill@firm.example"


def test_a_person_without_an_account_leaves_look_alike_handles_alone(partner, admin_user, alice, make_lead):
    from leadflow.leads import services as leads

    person = make_lead(first_name="Иван", last_name="Петров", email="ivan.petrov@mail.ru", owner=alice)
    colleague = make_lead(first_name="Кирилл", last_name="Орлов", email="kirill@firm.example", owner=alice)
    note = leads.log_activity(lead=colleague, kind="note", by=alice, body="Пишите @ivan_petrov")

    services.erase_person(person=services.find_person(lead=person), by=admin_user)

    note.refresh_from_db()
    assert note.body == "Пишите @ivan_petrov"  # not this person's account: nothing says it is


def test_a_colleague_s_letter_quoting_the_account_keeps_the_rest(quoted, admin_user, sales):
    from email import message_from_bytes

    from leadflow.inbox.models import IncomingEmail
    from leadflow.inbox.services import take_email

    raw = (b"From: Kirill Orlov <kirill@firm.example>\r\nTo: sales@example.com\r\nSubject: Contact\r\n"
           b"Message-ID: <kirill-1@firm.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"Ivan asks to write to him: @ivan_petrov (not @ivan_petrov2).\r\n")
    email = take_email(raw=raw, via="smtp", envelope_from="kirill@firm.example", envelope_to=["sales@example.com"])

    log = services.erase_person(person=services.find_person(email="ivan.petrov@mail.ru"), by=admin_user)

    email = IncomingEmail.objects.get(pk=email.pk)
    assert email.text.strip() == "Ivan asks to write to him: [erased] (not @ivan_petrov2)."
    assert email.from_address == "kirill@firm.example"
    body = message_from_bytes(bytes(email.raw)).get_payload(decode=True).decode()
    assert body.strip() == "Ivan asks to write to him: [erased] (not @ivan_petrov2)."
    assert f"email:{email.pk}" in {row["row"] for row in log.redacted}
