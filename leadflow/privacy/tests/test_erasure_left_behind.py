"""What an erasure left behind: a contact the admin kept on a colleague's card (taken off when the person asks
again), another person's letter copying or quoting the person (kept, the person taken out of it), and mail from
another spelling of an address that is on no card."""

from __future__ import annotations

import email
import email.policy
import importlib
import json

import pytest

from leadflow.inbox.models import Attachment, IncomingEmail
from leadflow.inbox.services import take_email
from leadflow.inbox.tests.messages import bounce, build
from leadflow.leads import services as leads
from leadflow.leads.models import Lead
from leadflow.privacy import services
from leadflow.privacy.models import ErasureLog

pytestmark = pytest.mark.django_db

MOBILE = "+79161112233"


def key() -> str:
    """The keyed hash the erasure log keeps of the mobile next to its mask."""
    return services.contact_key(("phone", MOBILE, ""))



@pytest.fixture
def colleague(make_lead, alice, bob):
    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone=MOBILE, email="zina@example.ru", owner=alice)
    kirill = make_lead(first_name="Кирилл", last_name="Орлов", phone="+79035550000", email="kirill@firm.example",
                       owner=bob)
    leads.add_other_contact(lead=kirill, contact="8 (916) 111-22-33", by=bob)
    leads.add_other_contact(lead=kirill, contact="+7 812 555-44-33", by=bob)
    return {"zina": zina, "kirill": kirill}


def test_a_contact_kept_on_a_colleagues_card_is_taken_off_when_the_person_asks_again(
        colleague, admin_user, admin_client):
    kirill = colleague["kirill"]
    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)  # nothing ticked
    first = ErasureLog.objects.get()
    kirill.refresh_from_db()
    assert MOBILE in kirill.other_contacts and not services.tombstones_for(phones=[(MOBILE, "")])

    # Zina asks again: the mobile is all that is left of her. Kirill's card, which lists it, is not taken for her.
    page = admin_client.post("/privacy/erase/", {"phone": "8 916 111-22-33"}).content.decode()
    found = page[page.index('data-testid="found"'):page.index('data-testid="shared"')]
    assert f"Lead #{kirill.pk}" not in found
    shared = page[page.index('data-testid="shared"'):]
    assert f"still lists {MOBILE}, which erasure #{first.pk} left on it" in shared
    assert f'name="strip" value="lead:{kirill.pk}"' in shared and "Nothing found." in page  # nothing until ticked
    russian = admin_client.post("/privacy/erase/", {"phone": "8 916 111-22-33"},
                                headers={"Accept-Language": "ru"}).content.decode()
    assert f"всё ещё указан {MOBILE}: его оставило удаление №{first.pk}" in russian

    done = admin_client.post("/privacy/erase/", {"phone": "8 916 111-22-33", "strip": f"lead:{kirill.pk}",
                                                 "confirm": "erase"})

    assert done.status_code == 200
    kirill.refresh_from_db()
    assert kirill.erased_at is None and kirill.full_name == "Орлов Кирилл" and kirill.phone == "+79035550000"
    assert kirill.other_contacts == ["+78125554433"]
    assert services.tombstones_for(phones=[(MOBILE, "")])  # no longer anyone's: kept as a hash now
    second = ErasureLog.objects.exclude(pk=first.pk).get()
    assert second.lead_ids == [] and second.left_out == [
        {"card": f"lead:{kirill.pk}", "contact": "+7916*****33", "key": key(), "removed": True}]
    first.refresh_from_db()
    assert first.left_out == [{"card": f"lead:{kirill.pk}", "contact": "+7916*****33", "key": key(), "removed": True,
                               "removed_by_erasure": second.pk}]
    log_page = admin_client.get(f"/admin/privacy/erasurelog/{first.pk}/change/").content.decode()
    assert f"taken off later, by erasure #{second.pk}" in log_page and "9161112233" not in log_page
    # No card holds the mobile any more: a third search lists none.
    again = admin_client.post("/privacy/erase/", {"phone": "8 916 111-22-33"}).content.decode()
    assert 'data-testid="found-card"' not in again and 'data-testid="shared"' not in again


def test_another_number_with_the_same_mask_on_the_card_is_not_taken_for_the_one_kept(colleague, make_lead, bob,
                                                                                     admin_user, admin_client):
    """Kirill's card also lists Boris's mobile, +79165554433: masked like Zina's ("+7916*****33"). Erasing Boris
    must not take Kirill's card for one an erasure left Zina's mobile on, nor mark that erasure's row taken off."""
    kirill = colleague["kirill"]
    boris = make_lead(first_name="Борис", last_name="Ганин", phone="+79165554433", email="boris@ganin.example",
                      owner=bob)
    leads.add_other_contact(lead=kirill, contact="8 916 555-44-33", by=bob)
    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)  # nothing ticked
    first = ErasureLog.objects.get()
    assert [row["contact"] for row in first.left_out] == ["+7916*****33"]
    assert "9161112233" not in json.dumps(first.left_out)  # the keyed hash, never the number

    person = services.find_person(lead=boris)
    assert person.left_out[("lead", kirill.pk)].kept_by is None
    page = admin_client.get("/privacy/erase/", {"lead": boris.pk}).content.decode()
    assert "which erasure" not in page and f"shares +79165554433 with Lead #{boris.pk}" in page

    services.erase_person(person=services.find_person(lead=boris, strip=[f"lead:{kirill.pk}"]), by=admin_user)
    kirill.refresh_from_db()
    assert kirill.other_contacts == [MOBILE, "+78125554433"]  # Zina's mobile stays; only Boris's left
    first.refresh_from_db()
    assert first.left_out == [{"card": f"lead:{kirill.pk}", "contact": "+7916*****33", "key": key(),
                               "removed": False}]
    # Zina asking again still finds the card her first erasure left her mobile on.
    assert services.find_person(phone=MOBILE).left_out[("lead", kirill.pk)].kept_by == first.pk


def test_erasures_logged_before_the_keys_are_told_apart_by_the_migration_where_the_card_allows(colleague, admin_user):
    """privacy.0005: a row logged with only the mask gets the keyed hash of the one contact the card holds with
    that mask; where the card holds two, the row stays as it was and is still matched by its mask."""
    from django.apps import apps

    migration = importlib.import_module("leadflow.privacy.migrations.0005_erasure_log_keys_and_redacted")
    kirill = colleague["kirill"]
    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)
    first = ErasureLog.objects.get()
    legacy = [{"card": f"lead:{kirill.pk}", "contact": "+7916*****33", "removed": False}]
    ErasureLog.objects.filter(pk=first.pk).update(left_out=legacy)

    migration.forwards(apps, None)
    first.refresh_from_db()
    assert first.left_out == [{**legacy[0], "key": key()}]

    leads.add_other_contact(lead=kirill, contact="8 916 555-44-33", by=admin_user)  # a second "+7916*****33"
    ErasureLog.objects.filter(pk=first.pk).update(left_out=legacy)
    migration.forwards(apps, None)
    first.refresh_from_db()
    assert first.left_out == legacy
    assert services.find_person(phone=MOBILE).left_out[("lead", kirill.pk)].kept_by == first.pk


def test_a_colleagues_letter_copying_the_person_keeps_his_request_and_loses_her(make_lead, alice, bob, admin_user,
                                                                                settings, tmp_path,
                                                                                django_capture_on_commit_callbacks):
    """Kirill writes to sales with Zina in Cc and in Reply-To, her earlier message quoted, her card attached."""
    settings.MEDIA_ROOT = str(tmp_path)
    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone=MOBILE, email="zina@example.ru", owner=alice)
    kirill = make_lead(first_name="Кирилл", last_name="Орлов", phone="+79035550000", email="kirill@firm.example",
                       owner=bob)
    raw = build(body=("Добрый день! Нужен ламинат, 200 м², доставка в Тверь. Кирилл Орлов, +7 903 555-00-00\n\n"
                      "14 нояб. 2026 г., Белоусова Зинаида <Zina@Example.ru> написал(а):\n"
                      "> Кирилл, позвони в салон, мой мобильный 8 (916) 111-22-33\n"),
                sender=("Кирилл Орлов", "kirill@firm.example"), cte="quoted-printable",
                headers={"Cc": "Зинаида Белоусова <zina@example.ru>, Ольга Смирнова <olga@firm.example>",
                         "Reply-To": "kirill@firm.example, zina@example.ru"},
                attachments=(("zina.vcf", "text/vcard", b"BEGIN:VCARD\r\nTEL:+79161112233\r\nEND:VCARD\r\n"),
                             ("price.txt", "text/plain", "Ламинат 33 класс".encode())))
    with django_capture_on_commit_callbacks(execute=True):
        letter = take_email(raw=raw, via="smtp", envelope_from="kirill@firm.example",
                            envelope_to=["sales@example.com", "zina@example.ru"])
    letter.refresh_from_db()
    assert letter.lead_id == kirill.pk and Attachment.objects.filter(email=letter).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.erase_person(person=services.find_person(lead=zina), by=admin_user)

    letter.refresh_from_db()
    assert (letter.from_address, letter.from_name, letter.lead_id) == ("kirill@firm.example", "Кирилл Орлов",
                                                                       kirill.pk)
    assert letter.envelope_to == ["sales@example.com"]
    assert "Нужен ламинат, 200 м²" in letter.text and "+7 903 555-00-00" in letter.text
    assert "Белоусова" not in letter.text, letter.text
    assert "111-22-33" not in letter.text and "zina@" not in letter.text.lower()
    assert "[erased] <[erased]> написал(а)" in letter.text
    message = email.message_from_bytes(bytes(letter.raw), policy=email.policy.default)
    assert [a.addr_spec for a in message["Cc"].addresses] == ["olga@firm.example"]
    assert [a.addr_spec for a in message["Reply-To"].addresses] == ["kirill@firm.example"]
    body = message.get_body(("plain",)).get_content()
    assert "Нужен ламинат, 200 м²" in body and "Зинаида" not in body and "111-22-33" not in body
    assert "9161112233" not in bytes(letter.raw).decode("ascii", "replace").replace("-", "")
    # Her vCard goes; Kirill's price list stays.
    assert list(Attachment.objects.filter(email=letter).values_list("filename", flat=True)) == ["price.txt"]
    assert b"zina.vcf" not in bytes(letter.raw) and b"price.txt" in bytes(letter.raw)
    # His request on his card is his, her part gone.
    request = kirill.requests.get(message__contains="ламинат")
    assert "Нужен ламинат" in request.message and "Белоусова" not in request.message
    assert "111-22-33" not in request.message


def test_mail_from_another_spelling_of_an_address_on_no_card_is_found(admin_user):
    """The address Zina gave is on no card (her card was made from a phone call); her automatic reply and a
    delivery failure report name other spellings of it, and a colleague's letter copies it."""
    auto = take_email(raw=build(body="Я в отпуске.", sender=("Зинаида", "Zina.Belousova+away@GoogleMail.com"),
                                headers={"Auto-Submitted": "auto-replied"}),
                      via="smtp", envelope_to=["sales@example.com"])
    report = take_email(raw=bounce().replace(b"nobody@example.org", b"ZINABELOUSOVA@gmail.com"), via="smtp",
                        envelope_from="", envelope_to=["sales@example.com"])
    copied = take_email(raw=build(body="Пересылаю прайс.", sender=("Кирилл Орлов", "kirill@firm.example"),
                                  headers={"Auto-Submitted": "auto-replied",
                                           "Cc": "Zina <zina.belousova+x@gmail.com>, olga@firm.example"}),
                        via="smtp", envelope_to=["sales@example.com"])
    other = take_email(raw=build(body="Я в отпуске.", sender=("Зина", "zinabelousova1@gmail.com"),
                                 headers={"Auto-Submitted": "auto-replied"}), via="smtp",
                       envelope_to=["sales@example.com"])
    person = services.find_person(email="zina.belousova@gmail.com")
    assert {row["id"] for row in services.export_person(person=person)["rooms"]["inbox"]} == {auto.pk, report.pk}

    services.erase_person(person=person, by=admin_user)

    assert bytes(IncomingEmail.objects.get(pk=auto.pk).raw) == b""
    assert bytes(IncomingEmail.objects.get(pk=report.pk).raw) == b""
    kept = bytes(IncomingEmail.objects.get(pk=copied.pk).raw)
    copy = email.message_from_bytes(kept, policy=email.policy.default)
    assert copy["From"].addresses[0].addr_spec == "kirill@firm.example"
    assert [a.addr_spec for a in copy["Cc"].addresses] == ["olga@firm.example"]
    assert b"zina" not in kept.lower() and "Пересылаю прайс." in IncomingEmail.objects.get(pk=copied.pk).text
    assert IncomingEmail.objects.get(pk=other.pk).from_address == "zinabelousova1@gmail.com"
    assert not Lead.objects.exists()
    assert json.dumps(services.export_person(person=services.find_person(email="zina.belousova@gmail.com"))
                      ["rooms"]["inbox"]) == "[]"


def test_the_command_names_the_card_an_earlier_erasure_left_the_contact_on_and_takes_it_off(colleague, admin_user):
    from io import StringIO

    from django.core.management import call_command

    kirill = colleague["kirill"]
    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)
    first = ErasureLog.objects.get()
    out, err = StringIO(), StringIO()
    call_command("privacy", "erase", "--phone", "8 916 111-22-33", "--as", admin_user.username, "--yes",
                 "--strip", f"lead:{kirill.pk}", stdout=out, stderr=err)
    assert f"Left out lead:{kirill.pk}: still lists {MOBILE}, which erasure #{first.pk} left on it" in err.getvalue()
    kirill.refresh_from_db()
    assert kirill.other_contacts == ["+78125554433"] and kirill.erased_at is None
    first.refresh_from_db()
    assert first.left_out[0]["removed"] is True


def test_letters_copying_the_person_are_found_by_the_index_written_at_receipt(make_lead, alice, bob, admin_user):
    """Each stored message's head mailboxes are indexed when it arrives (a Message-ID built from an address counts):
    erasure looks them up instead of reading every message, and the index loses the person with the letter."""
    from leadflow.privacy.models import MessageAddress

    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone=MOBILE, email="zina@example.ru", owner=alice)
    make_lead(first_name="Кирилл", last_name="Орлов", phone="+79035550000", email="kirill@firm.example", owner=bob)
    copied = take_email(raw=build(body="Нужен ламинат, 200 м².", sender=("Кирилл Орлов", "kirill@firm.example"),
                                  headers={"Cc": "Zina B. <Zina+Shop@EXAMPLE.ru>"}), via="smtp")
    named_in_id = take_email(raw=build(body="Счёт на оплату", sender=("Ольга", "olga@firm.example"),
                                       message_id="<1234.zina@example.ru>"), via="smtp")
    unrelated = take_email(raw=build(body="Прайс", sender=("Ольга", "olga@firm.example"),
                                     headers={"Cc": "xzina@example.ru, zina@example.ru.firm.example"}), via="smtp")
    indexed = set(MessageAddress.objects.filter(mailbox="zina@example.ru").values_list("email_id", flat=True))
    assert indexed == {copied.pk, named_in_id.pk}
    assert MessageAddress.objects.filter(email=unrelated, mailbox="olga@firm.example").exists()

    services.erase_person(person=services.find_person(lead=zina), by=admin_user)

    copied.refresh_from_db()
    assert b"zina" not in bytes(copied.raw).lower() and "ламинат" in copied.text
    assert not MessageAddress.objects.filter(mailbox="zina@example.ru").exists()
    assert MessageAddress.objects.filter(email=copied, mailbox="kirill@firm.example").exists()
    unrelated.refresh_from_db()
    assert b"xzina@example.ru" in bytes(unrelated.raw)


def test_a_letter_stored_before_the_index_is_still_found_by_reading_its_head(make_lead, alice, bob, admin_user):
    from leadflow.privacy.models import MessageAddress

    zina = make_lead(first_name="Зинаида", last_name="Белоусова", phone=MOBILE, email="zina@example.ru", owner=alice)
    letter = take_email(raw=build(body="Нужен ламинат.", sender=("Кирилл Орлов", "kirill@firm.example"),
                                  headers={"Reply-To": "Zina@Example.RU"}), via="smtp")
    MessageAddress.objects.filter(email=letter).delete()  # as a message stored before privacy.0005 had it

    services.erase_person(person=services.find_person(lead=zina), by=admin_user)

    letter.refresh_from_db()
    assert b"zina" not in bytes(letter.raw).lower() and "ламинат" in letter.text
    assert MessageAddress.objects.filter(email=letter, mailbox="kirill@firm.example").exists()


def test_the_migration_indexes_the_mail_stored_before_it(make_lead, alice, bob):
    """privacy.0005 reads each stored message's head from the database (SQLite's BLOB, PostgreSQL's bytea) and writes
    the mailboxes it names, so an erasure after the upgrade finds the letters copying the person by the index."""
    from django.apps import apps

    from leadflow.privacy.models import MessageAddress

    copied = take_email(raw=build(body="Нужен ламинат, 200 м².", sender=("Кирилл Орлов", "kirill@firm.example"),
                                  headers={"Cc": "Zina B. <Zina+Shop@EXAMPLE.ru>"}), via="smtp")
    other = take_email(raw=build(body="Прайс", sender=("Ольга", "olga@firm.example")), via="smtp")
    MessageAddress.objects.all().delete()  # as the mail stored before privacy.0005

    migration = importlib.import_module("leadflow.privacy.migrations.0005_erasure_log_keys_and_redacted")
    migration.index_stored_mail(apps, None)

    assert set(MessageAddress.objects.filter(mailbox="zina@example.ru").values_list("email_id", flat=True)) == {
        copied.pk}
    assert MessageAddress.objects.filter(email=other, mailbox="olga@firm.example").exists()
    migration.index_stored_mail(apps, None)  # run again (a migration retried after a failure): nothing doubled
    assert MessageAddress.objects.filter(email=copied, mailbox="zina@example.ru").count() == 1


def test_a_contact_kept_on_a_colleagues_card_stays_kept_after_the_key_of_the_hashes_changes(colleague, admin_user,
                                                                                           settings):
    """The log's keyed hashes are made with LEADFLOW_ERASURE_KEY, else the secret key; an administrator may set or
    change either later. Zina asking again by her mobile must still not have Kirill's card, which her first erasure
    left the mobile on, taken for hers and erased: the row made with the old key is matched by its mask."""
    kirill = colleague["kirill"]
    services.erase_person(person=services.find_person(email="zina@example.ru"), by=admin_user)  # nothing ticked
    first = ErasureLog.objects.get()
    settings.LEADFLOW_ERASURE_KEY = "a key set after the first erasure"

    person = services.find_person(phone=MOBILE)

    assert ("lead", kirill.pk) not in person.joins
    assert person.left_out[("lead", kirill.pk)].kept_by == first.pk
    with pytest.raises(services.NothingFound):  # nothing of hers is left but the mobile on Kirill's card
        services.erase_person(person=person, by=admin_user)
    kirill.refresh_from_db()
    assert kirill.erased_at is None and kirill.full_name == "Орлов Кирилл" and MOBILE in kirill.other_contacts

    # Taken off Kirill's card when ticked, the old key's row is marked so by its mask.
    services.erase_person(person=services.find_person(phone=MOBILE, strip=[f"lead:{kirill.pk}"]), by=admin_user)
    first.refresh_from_db()
    assert first.left_out[0]["removed"] is True
