"""The IMAP poller against a real dovecot: messages put in by APPEND in the charsets people's mail uses."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from imap_tools import MailBoxUnencrypted

from leadflow.inbox.imap import poll_mailbox, poll_mailboxes
from leadflow.inbox.models import AfterTaking, EmailStatus, IncomingEmail, Mailbox, Security
from leadflow.inbox.tests.messages import BODY, LONG_BODY, assert_long_letter_kept, bounce, build
from leadflow.intake.models import SubmissionStatus
from leadflow.leads.models import Lead

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

HTML = (
    "<html><body><p>Добрый день!</p><p>Нужен счёт на 5 лицензий.</p><p>Анна Смирнова<br>Acme Trading Ltd<br>"
    "+44 20 7946 0958</p></body></html>"
)
PEOPLE = {
    "<cp1251@mail.test>": build(body=BODY, charset="windows-1251", cte="base64", message_id="<cp1251@mail.test>"),
    "<koi8@mail.test>": build(
        body=BODY.replace("Иван Петров", "Пётр Сидоров").replace("912) 345-67-89", "916) 111-22-33"),
        sender=("Пётр Сидоров", "p.sidorov@vector.ru"), charset="koi8-r", cte="quoted-printable",
        message_id="<koi8@mail.test>",
    ),
    "<html@mail.test>": build(body=HTML, html=True, sender=("Анна Смирнова", "anna@acme.co.uk"), charset="utf-8",
                              cte="quoted-printable", message_id="<html@mail.test>",
                              attachments=(("Реквизиты.pdf", "application/pdf", b"%PDF-1.4 requisites"),)),
}
AUTOMATIC = {
    "<auto@mail.test>": build(body="Я в отпуске до понедельника.", subject="Автоответ: Ваша заявка",
                              sender=("Олег", "oleg@client.ru"), message_id="<auto@mail.test>"),
    "<list@mail.test>": build(body="Скидки недели! Звоните +7 495 000-00-00", subject="Рассылка",
                              headers={"List-Id": "<news.shop.ru>", "List-Unsubscribe": "<mailto:u@shop.ru>"},
                              sender=("Магазин", "news@shop.ru"), message_id="<list@mail.test>"),
    "bounce": bounce(),
}


def make_mailbox(server, **overrides) -> Mailbox:
    fields = {"name": "Sales", "host": server.host, "port": server.port, "security": Security.NONE,
              "username": server.username, "password": server.password, **overrides}
    return Mailbox.objects.create(**fields)


def append(server, *messages: bytes, folder: str = "INBOX", seen: bool = False) -> None:
    with MailBoxUnencrypted(server.host, server.port).login(server.username, server.password) as box:
        for raw in messages:
            box.append(raw, folder, flag_set=["\\Seen"] if seen else [])


def server_state(server, folder: str = "INBOX") -> list[tuple[str, bool]]:
    with MailBoxUnencrypted(server.host, server.port).login(server.username, server.password,
                                                            initial_folder=folder) as box:
        return sorted((m.headers.get("message-id", ("",))[0], "\\Seen" in m.flags)
                      for m in box.fetch(mark_seen=False, headers_only=True))


def test_poller_takes_unread_mail_in_every_charset_and_marks_it_read(imap_server, sales):
    append(imap_server, *PEOPLE.values(), *AUTOMATIC.values())
    append(imap_server, build(body=BODY, message_id="<read-before@mail.test>"), seen=True)
    mailbox = make_mailbox(imap_server)

    taken = poll_mailbox(mailbox=mailbox)

    assert taken == 6
    leads = {lead.email: lead for lead in Lead.objects.all()}
    assert set(leads) == {"ivan.petrov@romashka.ru", "p.sidorov@vector.ru", "anna@acme.co.uk"}
    assert (leads["ivan.petrov@romashka.ru"].full_name, leads["ivan.petrov@romashka.ru"].phone) == (
        "Петров Иван", "+79123456789")
    assert (leads["p.sidorov@vector.ru"].full_name, leads["p.sidorov@vector.ru"].phone) == (
        "Сидоров Пётр", "+79161112233")
    assert leads["p.sidorov@vector.ru"].message.startswith("Вопрос о поставке\n\nЗдравствуйте!")
    anna = leads["anna@acme.co.uk"]
    assert (anna.phone, anna.company_name, anna.legal_form) == ("+442079460958", "Acme Trading", "Ltd")
    assert "Нужен счёт на 5 лицензий." in anna.message and "<p>" not in anna.message
    for message_id, raw in PEOPLE.items():
        email = IncomingEmail.objects.get(message_id=message_id)
        assert bytes(email.raw) == raw and email.mailbox == mailbox and email.via == "imap"
    html = IncomingEmail.objects.get(message_id="<html@mail.test>")
    assert [(a.filename, a.file.read()) for a in html.attachments.all()] == [("Реквизиты.pdf", b"%PDF-1.4 requisites")]
    ignored = IncomingEmail.objects.filter(status=EmailStatus.IGNORED)
    assert sorted(ignored.values_list("kind", flat=True)) == ["auto_reply", "bounce", "list"]
    assert all(seen for _, seen in server_state(imap_server))
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""

    assert poll_mailbox(mailbox=mailbox) == 0  # nothing is taken twice
    assert IncomingEmail.objects.count() == 6 and Lead.objects.count() == 3


def test_a_letter_longer_than_a_request_is_cut_after_a_word_and_kept_whole(imap_server, sales):
    append(imap_server, build(body=LONG_BODY, charset="windows-1251", cte="base64"))

    assert poll_mailbox(mailbox=make_mailbox(imap_server)) == 1

    assert_long_letter_kept(IncomingEmail.objects.get())


def test_a_reply_in_the_thread_found_by_polling_attaches_to_the_card(imap_server, sales):
    append(imap_server, PEOPLE["<cp1251@mail.test>"])
    mailbox = make_mailbox(imap_server)
    poll_mailbox(mailbox=mailbox)
    lead = Lead.objects.get()
    reply = build(body="Пересылаю коллеге, он ответит.\n\n> Интересует поставка", subject="Re: Вопрос о поставке",
                  sender=("Секретарь", "office@romashka.ru"), charset="windows-1251", message_id="<reply@mail.test>",
                  in_reply_to="<manager-answer@example.com>",
                  references="<cp1251@mail.test> <manager-answer@example.com>")
    append(imap_server, reply)

    poll_mailbox(mailbox=mailbox)

    email = IncomingEmail.objects.get(message_id="<reply@mail.test>")
    assert email.submission.status == SubmissionStatus.ATTACHED and email.lead == lead
    assert Lead.objects.count() == 1


def test_messages_can_be_moved_to_a_folder_after_taking(imap_server, sales):
    with MailBoxUnencrypted(imap_server.host, imap_server.port).login(imap_server.username,
                                                                     imap_server.password) as box:
        box.folder.create("Leadflow")
    append(imap_server, PEOPLE["<koi8@mail.test>"])
    mailbox = make_mailbox(imap_server, after_taking=AfterTaking.MOVE, move_to="Leadflow")

    assert poll_mailbox(mailbox=mailbox) == 1

    assert server_state(imap_server) == []
    assert server_state(imap_server, "Leadflow") == [("<koi8@mail.test>", False)]
    assert Lead.objects.get().email == "p.sidorov@vector.ru"


def test_a_wrong_password_is_kept_on_the_mailbox_and_other_mailboxes_still_run(imap_server, sales):
    append(imap_server, PEOPLE["<cp1251@mail.test>"])
    make_mailbox(imap_server, name="Broken", password="wrong")
    make_mailbox(imap_server, name="Sales")

    assert poll_mailboxes() == 1

    broken = Mailbox.objects.get(name="Broken")
    assert "Authentication failed" in broken.last_error and broken.last_polled_at is not None
    assert Lead.objects.count() == 1


def test_a_password_no_key_opens_is_skipped_with_a_clear_error_and_other_mailboxes_still_run(imap_server, sales,
                                                                                             caplog, capsys):
    append(imap_server, PEOPLE["<cp1251@mail.test>"])
    with override_settings(SECRET_KEY="the secret key of a data directory that was lost"):
        make_mailbox(imap_server, name="Restored from a backup")
    make_mailbox(imap_server, name="Sales")

    assert poll_mailboxes() == 1

    skipped = Mailbox.objects.get(name="Restored from a backup")
    assert skipped.last_error.startswith("The password of mailbox “Restored from a backup")
    assert "LEADFLOW_ENCRYPTION_KEYS" in skipped.last_error and "enter the password again in the admin" in (
        skipped.last_error)
    assert skipped.last_polled_at is not None and Lead.objects.count() == 1
    assert any(r.levelname == "ERROR" and "skipped" in r.getMessage() and r.exc_info is None for r in caplog.records)
    with pytest.raises(CommandError, match="1 mailbox"):
        call_command("pollmail")
    assert "cannot be decrypted with the configured keys" in capsys.readouterr().err


def test_the_stored_password_is_a_token_and_the_poller_logs_in_with_it(imap_server, sales):
    append(imap_server, PEOPLE["<koi8@mail.test>"])
    mailbox = make_mailbox(imap_server)
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM inbox_mailbox WHERE id = %s", [mailbox.pk])
        stored = cursor.fetchone()[0]

    taken = poll_mailbox(mailbox=Mailbox.objects.get(pk=mailbox.pk))

    assert imap_server.password not in stored and stored.startswith("gAAAAA") and taken == 1


def test_pollmail_command_reports_each_mailbox(imap_server, sales, capsys):
    append(imap_server, PEOPLE["<html@mail.test>"], AUTOMATIC["<auto@mail.test>"])
    make_mailbox(imap_server)

    call_command("pollmail")

    assert "Sales (sales@example.com@127.0.0.1): 2 message(s) taken" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No active mailbox named 'Other'"):
        call_command("pollmail", "--mailbox", "Other")


def test_the_worker_polls_the_mailboxes_on_its_interval(imap_server, sales, settings):
    from leadflow.inbox import imap
    from leadflow.worker import run_scheduled_once

    settings.LEADFLOW_MAIL_POLL_INTERVAL = 3600
    imap.POLL.reset()
    make_mailbox(imap_server)
    append(imap_server, PEOPLE["<cp1251@mail.test>"])

    first = run_scheduled_once()
    append(imap_server, PEOPLE["<koi8@mail.test>"])
    within_interval = run_scheduled_once()

    assert (first["mail_taken"], within_interval["mail_taken"]) == (1, 0)
    assert Lead.objects.count() == 1


def test_leads_from_a_mailbox_go_to_its_team(imap_server, sales, other_team):
    append(imap_server, PEOPLE["<cp1251@mail.test>"])
    mailbox = make_mailbox(imap_server, team=other_team)

    assert poll_mailbox(mailbox=mailbox) == 1

    lead = Lead.objects.get(email="ivan.petrov@romashka.ru")
    assert lead.team == other_team  # not the default team (sales)
    assert lead.tasks.get().due_at is not None
