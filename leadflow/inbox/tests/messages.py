"""Raw e-mails as real mail clients write them: headers encoded in the body's charset (RFC 2047), bodies in
windows-1251, KOI8-R, UTF-8, as quoted-printable or base64, HTML-only, with attachments."""

from __future__ import annotations

from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from leadflow.inbox.models import IncomingEmail
from leadflow.leads.models import Request


def header(value: str, charset: str) -> str:
    """A header value the way the sending client encodes it (ASCII stays as it is)."""
    if value.isascii():
        return value
    return Header(value, charset).encode()


def address(name: str, email: str, charset: str) -> str:
    return f"{header(name, charset)} <{email}>" if name else email


def build(
    *,
    body: str,
    subject: str = "Вопрос о поставке",
    sender: tuple[str, str] = ("Иван Петров", "ivan.petrov@romashka.ru"),
    to: str = "sales@example.com",
    charset: str = "utf-8",
    cte: str = "base64",
    html: bool = False,
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    part = EmailMessage()
    part.set_content(body, subtype="html" if html else "plain", charset=charset, cte=cte)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        part.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    lines = [
        f"From: {address(*sender, charset)}",
        f"To: {to}",
        f"Subject: {header(subject, charset)}",
        f"Date: {format_datetime(datetime.now(UTC))}",
        f"Message-ID: {message_id or make_msgid(domain='mail.example.net')}",
    ]
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {references}")
    lines += [f"{name}: {header(value, charset)}" for name, value in (headers or {}).items()]
    mime = part.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return ("\r\n".join(lines) + "\r\n").encode("ascii") + mime


BODY = (
    "Здравствуйте!\n\nИнтересует поставка 200 кв. м ламината для офиса, пришлите прайс.\n\n"
    "С уважением,\nИван Петров\nООО \"Ромашка\"\nмоб. +7 (912) 345-67-89\n"
)


def bounce(*, original_id: str = "<original@leadflow.test>") -> bytes:
    """A delivery status notification (RFC 3464) as a mail server sends it back."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: sales@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.example.net')}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"\r\n'
        "\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mx.example.net. I'm sorry to have to inform you that your message\r\n"
        "could not be delivered. Call us: +7 912 345-67-89\r\n\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n\r\n"
        "Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--BOUNDARY\r\n"
        "Content-Type: message/rfc822\r\n\r\n"
        f"Message-ID: {original_id}\r\nFrom: sales@example.com\r\nTo: nobody@example.org\r\n"
        "Subject: Your request\r\n\r\nThank you for your request.\r\n\r\n"
        "--BOUNDARY--\r\n"
    ).encode("ascii")


# A letter of 23,000 characters: over the request's 10,000, its signature at the very end.
LONG_BODY = "Добрый день! " + "Очень длинное письмо. " * 1000 + "\nС уважением,\nИван Петров\n+7 912 345-67-89"


def assert_long_letter_kept(email: IncomingEmail) -> None:
    """LONG_BODY taken: the lead's text is its beginning cut after a word, the whole on the request as given."""
    assert email.submission.status == "created" and email.lead.phone == "+79123456789"
    message = email.lead.message
    assert len(message) <= 10_000 and message.endswith("письмо.…")  # after a word, saying it goes on
    kept = email.lead.requests.get().facts["unreadable"]
    assert [(item["field"], item["code"]) for item in kept] == [("message", "too_long")]
    assert kept[0]["value"].count("Очень длинное письмо.") == 1000
    assert kept[0]["value"].endswith("Иван Петров\n+7 912 345-67-89")
    assert email.text.count("Очень длинное письмо.") == 1000  # the message's own column has it all
    assert Request.objects.count() == 1
