"""Reading e-mails: charsets, bodies, contacts in the signature, attachments, automatic mail."""

from __future__ import annotations

import base64

import pytest

from leadflow.inbox import parsing
from leadflow.inbox.tests.messages import BODY, bounce, build


@pytest.mark.parametrize(
    ("charset", "cte"),
    [("utf-8", "base64"), ("utf-8", "quoted-printable"), ("windows-1251", "base64"), ("windows-1251", "8bit"),
     ("koi8-r", "quoted-printable"), ("koi8-r", "base64")],
)
def test_sender_subject_text_phone_and_company_are_read_in_any_charset(charset, cte):
    raw = build(body=BODY, charset=charset, cte=cte)

    parsed = parsing.parse(raw)

    assert (parsed.from_name, parsed.from_address) == ("Иван Петров", "ivan.petrov@romashka.ru")
    assert parsed.subject == "Вопрос о поставке"
    assert parsed.text.startswith("Здравствуйте!\n\nИнтересует поставка 200 кв. м ламината")
    assert parsed.phones == ["+79123456789"]
    assert parsed.company == "ООО «Ромашка»"
    assert parsed.kind == parsing.MessageKind.PERSON


def test_html_only_body_becomes_text_without_markup_or_scripts():
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>Добрый день!</p>"
        "<p>Нужен счёт на 5&nbsp;лицензий.<br>Анна Смирнова<br>Acme Trading Ltd<br>тел. +44 20 7946 0958</p>"
        "<script>alert(1)</script></body></html>"
    )
    parsed = parsing.parse(build(body=html, html=True, sender=("", "anna@acme.co.uk")))

    assert parsed.is_html_only
    assert parsed.text == (
        "Добрый день!\n\nНужен счёт на 5 лицензий.\nАнна Смирнова\nAcme Trading Ltd\nтел. +44 20 7946 0958")
    assert parsed.phones == ["+442079460958"]
    assert parsed.company == "Acme Trading Ltd"


def test_a_mobile_is_preferred_to_the_office_line_and_the_extension_is_kept():
    body = "Звоните: офис +7 495 123-45-67 доб. 204, мобильный 8 916 765-43-21.\n"

    parsed = parsing.parse(build(body=body))

    assert parsed.phones == ["+79167654321", "+74951234567 ext. 204"]


def test_name_from_the_signature_when_the_from_header_has_none():
    body = "Добрый день, пришлите КП.\n\nС уважением,\nМария Кузнецова\nАО \"Вектор\"\n"

    parsed = parsing.parse(build(body=body, sender=("", "m.kuznetsova@vector.ru")))

    assert parsed.from_name == ""
    assert parsed.contact_name == "Мария Кузнецова"
    assert parsed.company == "АО «Вектор»"


def test_reply_to_of_a_site_mailer_names_the_visitor():
    raw = build(body="Заявка с сайта", sender=("Сайт", "noreply@site.ru"),
                headers={"Reply-To": "Olga Ivanova <olga@example.org>"})

    parsed = parsing.parse(raw)

    assert (parsed.contact_name, parsed.contact_address) == ("Olga Ivanova", "olga@example.org")


def test_attachments_are_kept_with_their_names_and_bytes():
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 4
    raw = build(body="Реквизиты во вложении", attachments=(("Реквизиты ООО.pdf", "application/pdf", pdf),
                                                           ("photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0jpeg")))

    parsed = parsing.parse(raw)

    assert [(a.filename, a.content_type, a.content) for a in parsed.attachments] == [
        ("Реквизиты ООО.pdf", "application/pdf", pdf), ("photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0jpeg")]
    assert parsed.text == "Реквизиты во вложении"


def test_quoted_text_of_a_reply_is_not_read_as_the_senders_contacts():
    body = ("Да, давайте созвонимся в четверг.\n\nOn Mon, 23 Nov 2026 at 10:00, Sales <sales@example.com> wrote:\n"
            "> Наш телефон +7 495 111-22-33\n")

    parsed = parsing.parse(build(body=body, in_reply_to="<a@b>", references="<root@b> <a@b>"))

    assert parsed.phones == []
    assert parsed.thread_ids == ["<a@b>", "<root@b>"]


@pytest.mark.parametrize(
    ("headers", "subject", "kind", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: Вопрос", "auto_reply", "Auto-Submitted: auto-replied"),
        ({"X-Autoreply": "yes"}, "Re: Вопрос", "auto_reply", "X-Autoreply header"),
        ({"Precedence": "auto_reply"}, "Re: Вопрос", "auto_reply", "Precedence: auto_reply"),
        ({}, "Автоответ: Вопрос о поставке", "auto_reply", "subject of an automatic reply"),
        ({}, "Automatic reply: Question", "auto_reply", "subject of an automatic reply"),
        ({}, "Out of Office: Question", "auto_reply", "subject of an automatic reply"),
        ({"List-Id": "Новости <news.example.com>"}, "Скидки недели", "list", "List-Id header"),
        ({"List-Unsubscribe": "<mailto:unsub@example.com>"}, "Скидки", "list", "List-Unsubscribe header"),
        ({"Precedence": "bulk"}, "Скидки", "list", "Precedence: bulk"),
        ({"Auto-Submitted": "no"}, "Вопрос", "person", ""),
    ],
)
def test_automatic_and_list_mail_is_recognised(headers, subject, kind, reason):
    parsed = parsing.parse(build(body=BODY, subject=subject, headers=headers, charset="windows-1251"))

    assert (parsed.kind, parsed.kind_reason) == (kind, reason)


def test_a_delivery_status_notification_is_a_bounce():
    parsed = parsing.parse(bounce())

    assert (parsed.kind, parsed.kind_reason) == ("bounce", "multipart/report; report-type=delivery-status")


def test_mail_from_the_mailer_daemon_is_a_bounce_even_without_a_report():
    raw = build(body="Delivery failed", subject="Failure notice", sender=("", "MAILER-DAEMON@mx.example.net"))

    assert parsing.parse(raw).kind == "bounce"


def test_unknown_charset_and_broken_bytes_still_give_text():
    raw = (b"From: x@example.org\r\nSubject: test\r\nMessage-ID: <u@x>\r\n"
           b"Content-Type: text/plain; charset=x-unknown-charset\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           b"\xcf\xf0\xe8\xe2\xe5\xf2 +7 912 000-11-22\r\n")

    parsed = parsing.parse(raw)

    assert parsed.text == "Привет +7 912 000-11-22"  # not UTF-8: read as windows-1251, the likely Russian one
    assert parsed.phones == ["+79120001122"]


def test_raw_8bit_headers_in_windows_1251_or_utf8_are_read():
    for charset in ("windows-1251", "utf-8"):
        raw = ("From: Иван Петров <ivan@romashka.ru>\r\nSubject: Заявка на расчёт\r\nMessage-ID: <8bit@x>\r\n"
               f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
               "Перезвоните мне: 8 912 345-67-89\r\n").encode(charset)

        parsed = parsing.parse(raw)

        assert (parsed.from_name, parsed.subject, parsed.phones) == (
            "Иван Петров", "Заявка на расчёт", ["+79123456789"]), charset


def test_a_comma_inside_an_encoded_name_does_not_split_the_address():
    raw = build(body="Текст", sender=("Петров, Иван", "ivan@romashka.ru"), charset="koi8-r")

    parsed = parsing.parse(raw)

    assert (parsed.from_name, parsed.from_address) == ("Петров, Иван", "ivan@romashka.ru")


def test_attachment_names_encoded_the_outlook_way_are_decoded():
    raw = build(body="Во вложении", attachments=(("placeholder.pdf", "application/pdf", b"%PDF"),))
    encoded = '"=?windows-1251?B?' + base64.b64encode("Счёт №5.pdf".encode("cp1251")).decode() + '?="'
    raw = raw.replace(b'"placeholder.pdf"', encoded.encode("ascii"))

    assert [a.filename for a in parsing.parse(raw).attachments] == ["Счёт №5.pdf"]


def test_control_characters_never_reach_the_database():
    raw = (b"From: Ivan\x00 Petrov <ivan@example.org>\r\nSubject: Hello\x00 there\x07\r\nMessage-ID: <n@x>\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\nText\x00 with a NUL\r\nand\ttab\r\n")

    parsed = parsing.parse(raw)

    assert (parsed.from_name, parsed.subject) == ("Ivan Petrov", "Hello there")
    assert parsed.text == "Text with a NUL\nand\ttab"
