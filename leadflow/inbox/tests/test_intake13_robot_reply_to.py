"""A person's letter whose Reply-To is a robot's (a site's mail system sets noreply@ on everything it sends, a
bounce handler's mailer-daemon@): the robot's address never becomes the lead's e-mail nor its name. The lead gets the
best address of the person in the letter: From when it is theirs, the one in their signature, the shared mailbox
they wrote from (webmaster@, forms@, notify@), or none. Raw letters taken through the inbox as it takes mail (SMTP's
take_email, and the IMAP poller against a real dovecot)."""

from __future__ import annotations

import pytest

from leadflow.inbox import parsing, services
from leadflow.inbox.imap import poll_mailbox
from leadflow.inbox.models import IncomingEmail
from leadflow.inbox.tests.messages import address, build
from leadflow.inbox.tests.test_imap import append, make_mailbox
from leadflow.intake.models import SubmissionStatus
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db

SHARED = ["webmaster@romashka.ru", "forms@romashka.ru", "notify@romashka.ru"]
ROBOT_REPLY_TO = ["noreply@romashka.ru", "no-reply@romashka.ru", "donotreply@romashka.ru", "do-not-reply@romashka.ru",
                  "MAILER-DAEMON@romashka.ru", "postmaster@romashka.ru", "site-noreply@romashka.ru"]

LETTER = ("Здравствуйте!\n\nХотим заказать у вас 20 коробок ламината, пришлите счёт.\n\n"
          "С уважением,\nИван Петров\nТел.: +7 (912) 345-67-89\n")
SIGNED = LETTER + "ivan.petrov@romashka.ru\n"


def take(raw: bytes, envelope_from: str) -> IncomingEmail:
    email = services.take_email(raw=raw, via="smtp", envelope_from=envelope_from, envelope_to=["sales@example.com"])
    email.refresh_from_db()
    return email


def robot_reply_to(robot: str) -> dict[str, str]:
    return {"Reply-To": address("Сайт Ромашка (не отвечайте)", robot, "utf-8")}


def assert_no_card_with(robot: str) -> None:
    assert not Lead.objects.filter(email__iexact=robot).exists()
    assert not Interest.objects.filter(email__iexact=robot).exists()
    assert not Lead.objects.filter(full_name__icontains="Сайт").exists()


@pytest.mark.parametrize("robot", ROBOT_REPLY_TO)
@pytest.mark.parametrize("mailbox", SHARED)
def test_a_letter_from_a_shared_mailbox_with_a_robot_reply_to_is_the_writers_from_that_mailbox(sales, mailbox, robot):
    email = take(build(body=LETTER, sender=("Иван Петров", mailbox), headers=robot_reply_to(robot)), mailbox)

    assert email.submission.status == SubmissionStatus.CREATED, email.submission.errors
    lead = email.lead
    assert (lead.email, lead.last_name, lead.first_name, lead.phone) == (mailbox, "Петров", "Иван", "+79123456789")
    assert_no_card_with(robot)


@pytest.mark.parametrize("robot", ["noreply@romashka.ru", "mailer-daemon@mx.romashka.ru"])
@pytest.mark.parametrize("mailbox", SHARED)
def test_the_address_in_the_writers_signature_is_better_than_the_shared_mailbox(sales, mailbox, robot):
    email = take(build(body=SIGNED, sender=("Иван Петров", mailbox), headers=robot_reply_to(robot)), mailbox)

    assert (email.lead.email, email.lead.full_name) == ("ivan.petrov@romashka.ru", "Петров Иван")
    assert_no_card_with(robot)


def test_a_labelled_address_in_the_signature_counts_as_the_signatures(sales):
    # above the closing line, and one labelled line only (two would read as a form's notification from forms@)
    body = LETTER.replace("пришлите счёт.", "пришлите счёт.\nE-mail: Ivan.Petrov@Romashka.ru").replace(
        "Тел.: +7 (912) 345-67-89", "")

    email = take(build(body=body, sender=("Иван Петров", "forms@romashka.ru"),
                       headers=robot_reply_to("no-reply@romashka.ru")), "forms@romashka.ru")

    assert email.lead.email == "ivan.petrov@romashka.ru"


def test_a_persons_own_from_wins_over_a_robot_reply_to(sales):
    email = take(build(body=SIGNED, sender=("Иван Петров", "i.petrov@gmail.com"),
                       headers=robot_reply_to("noreply@romashka.ru")), "i.petrov@gmail.com")

    assert (email.lead.email, email.lead.full_name) == ("i.petrov@gmail.com", "Петров Иван")


def test_a_colleagues_address_in_the_middle_of_the_letter_is_not_the_writers(sales):
    body = ("Здравствуйте!\n\nПередаю контакт коллеги: petr.sidorov@gmail.com, он отвечает за закупки.\n\n"
            "С уважением,\nОльга Смирнова\n+7 916 111-22-33\n")

    email = take(build(body=body, sender=("Ольга Смирнова", "webmaster@romashka.ru"),
                       headers=robot_reply_to("noreply@romashka.ru")), "webmaster@romashka.ru")

    assert (email.lead.email, email.lead.last_name) == ("webmaster@romashka.ru", "Смирнова")
    assert not Lead.objects.filter(email="petr.sidorov@gmail.com").exists()


def test_with_no_from_and_a_robot_reply_to_the_address_the_person_wrote_is_theirs(sales):
    raw = build(body="Добрый день! Пришлите прайс на ivan.petrov@yandex.ru, я пишу на sales@example.com.\n"
                     "Иван Петров, +7 912 345-67-89\n", headers=robot_reply_to("noreply@romashka.ru"))
    raw = raw.replace(b"From: ", b"X-Old-From: ", 1)

    email = take(raw, "")

    card = email.lead or Interest.objects.get()
    assert card.email == "ivan.petrov@yandex.ru"  # the recipient's mailbox, sales@, is not the person's
    assert_no_card_with("noreply@romashka.ru")


def test_with_no_human_address_at_all_the_card_has_none(sales):
    raw = build(body="Добрый день! Перезвоните мне.\nИван Петров, +7 912 345-67-89\n",
                headers=robot_reply_to("noreply@romashka.ru"))
    raw = raw.replace(b"From: ", b"X-Old-From: ", 1)

    email = take(raw, "noreply@romashka.ru")

    card = email.lead or Interest.objects.get()
    assert (card.email, card.phone) == ("", "+79123456789")
    assert_no_card_with("noreply@romashka.ru")


def test_a_human_reply_to_still_wins_as_before(sales):
    email = take(build(body=LETTER, sender=("Иван Петров", "webmaster@romashka.ru"),
                       headers={"Reply-To": address("Иван Петров", "ivan@romashka.ru", "utf-8")}),
                 "webmaster@romashka.ru")

    assert email.lead.email == "ivan@romashka.ru"


@pytest.mark.parametrize(("address_", "robot"), [
    ("mailer-daemon@mx.example.net", True), ("postmaster@example.net", True), ("MAILER-DAEMON@example.net", True),
    ("do-not-reply@example.net", True), ("ivan.mailer@example.net", False), ("postman.pat@example.net", False),
])
def test_a_mail_servers_daemon_is_a_robot(address_, robot):
    assert parsing.robot_address(address_, shared=False) is robot


@pytest.mark.imap
def test_the_imap_poller_never_gives_a_lead_the_robot_reply_to(imap_server, sales):
    append(imap_server, build(body=LETTER, sender=("Иван Петров", "notify@romashka.ru"),
                              headers=robot_reply_to("noreply@romashka.ru"), charset="windows-1251"),
           build(body=SIGNED.replace("Иван Петров", "Анна Смирнова").replace("ivan.petrov", "anna")
                 .replace("345-67-89", "111-22-33"), sender=("Анна Смирнова", "webmaster@romashka.ru"),
                 headers=robot_reply_to("donotreply@romashka.ru"), charset="koi8-r", cte="quoted-printable"))

    assert poll_mailbox(mailbox=make_mailbox(imap_server)) == 2

    assert sorted(Lead.objects.values_list("full_name", "email")) == [
        ("Петров Иван", "notify@romashka.ru"), ("Смирнова Анна", "anna@romashka.ru")]
    assert_no_card_with("noreply@romashka.ru")
    assert_no_card_with("donotreply@romashka.ru")
