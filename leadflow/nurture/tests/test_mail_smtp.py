"""Marketing mail through a real SMTP server: parts, headers, unsubscribe, throttle, bounces, consent."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.test import Client as HttpClient

from leadflow.inbox.services import take_email
from leadflow.nurture import mail, services
from leadflow.nurture.models import (
    EnrollmentState,
    MailMessage,
    MailTemplate,
    MessageStatus,
    Sequence,
    Step,
    Suppression,
)
from leadflow.nurture.tests.conftest import REFUSING_DOMAIN, later, tick
from leadflow.privacy.models import Consent, Purpose
from leadflow.privacy.services import has_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def news(db: None) -> Sequence:
    """A manual sequence: a letter, a day's wait, a second letter."""
    for name, subject in (("News 1", "Hello {{ first_name }}"), ("News 2", "Still there, {{ first_name }}?")):
        MailTemplate.objects.create(
            name=name, language="en", subject=subject,
            html_body='<p>Dear {{ name }}, see <a href="https://shop.example/offer?a=1&amp;b=2">the offer</a>.</p>',
        )
    sequence = Sequence.objects.create(name="News", trigger="manual", is_active=True)
    Step.objects.create(sequence=sequence, position=1, kind="send", template_name="News 1")
    Step.objects.create(sequence=sequence, position=2, kind="wait", wait_minutes=24 * 60)
    Step.objects.create(sequence=sequence, position=3, kind="send", template_name="News 2")
    return sequence


def only(messages: list[EmailMessage]) -> EmailMessage:
    assert len(messages) == 1, messages
    return messages[0]


def test_a_step_sends_multipart_text_and_html_with_unsubscribe_headers(smtp_server, news, make_lead, consenting,
                                                                        admin_user):
    lead = consenting(make_lead(first_name="Anna", last_name="Smith", email="anna@client.example"))
    services.enroll_by_hand(sequence=news, lead=lead, by=admin_user)

    assert tick()["sent"] == 1

    received = only(smtp_server.to("anna@client.example"))
    row = MailMessage.objects.get()
    assert received["Subject"] == "Hello Anna" and received["From"] == "news@shop.example"
    assert received["Message-ID"] == row.message_id and row.status == MessageStatus.SENT
    assert received.get_content_type() == "multipart/alternative"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Dear Smith Anna, see the offer." in text
    unsubscribe = mail.unsubscribe_url(row)
    assert unsubscribe in text and unsubscribe.replace("&", "&amp;") in html
    assert str(received["List-Unsubscribe"]).strip() == f"<{unsubscribe}>"  # (a long header may be folded)
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The link goes through the click redirect, which leads to exactly the URL that was in the message.
    assert "https://shop.example/offer" not in html and row.links == ["https://shop.example/offer?a=1&b=2"]
    tracked = html.split('href="')[1].split('"')[0].replace("https://crm.shop.example", "")
    response = HttpClient().get(tracked)
    assert response.status_code == 302 and response["Location"] == "https://shop.example/offer?a=1&b=2"
    assert lead.behaviour_events.filter(kind="email_clicked").count() == 1


def test_a_name_with_markup_is_escaped_in_the_html_part(smtp_server, news, make_lead, consenting, admin_user):
    lead = consenting(make_lead(first_name='<script>alert("x")</script>', last_name="<b>Evil</b>",
                                email="evil@client.example"))
    services.enroll_by_hand(sequence=news, lead=lead, by=admin_user)
    tick()

    received = only(smtp_server.to("evil@client.example"))
    html = received.get_body(("html",)).get_content()
    assert "<script>" not in html and "<b>Evil</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html and "&lt;b&gt;Evil&lt;/b&gt;" in html


def test_without_marketing_consent_nothing_is_sent_and_the_log_says_why(smtp_server, news, make_lead, admin_user):
    lead = make_lead(email="quiet@client.example")
    services.enroll_by_hand(sequence=news, lead=lead, by=admin_user)

    tick()

    assert smtp_server.received == []
    row = MailMessage.objects.get()
    assert (row.status, row.error) == (MessageStatus.SUPPRESSED, "no marketing consent")


def test_one_click_unsubscribe_withdraws_consent_suppresses_and_stops_the_sequence(smtp_server, news, make_lead,
                                                                                    consenting, admin_user):
    lead = consenting(make_lead(email="anna@client.example"))
    enrollment = services.enroll_by_hand(sequence=news, lead=lead, by=admin_user)
    tick()
    url = str(only(smtp_server.to("anna@client.example"))["List-Unsubscribe"]).strip().strip("<>").replace(
        "https://crm.shop.example", "")

    page = HttpClient().get(url)  # a link scanner or the person opening the link: a page, nothing changes yet
    assert page.status_code == 200 and has_consent(purpose=Purpose.MARKETING, lead=lead)

    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, with no CSRF token and no session.
    response = HttpClient(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert not has_consent(purpose=Purpose.MARKETING, lead=lead)
    assert Consent.objects.filter(given=False, channel="unsubscribe", email="anna@client.example").count() == 1
    assert Suppression.objects.get().email == "anna@client.example"
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.stop_reason) == (EnrollmentState.STOPPED, "unsubscribed")
    tick(later(days=2))
    assert len(smtp_server.received) == 1 and MailMessage.objects.count() == 1


def test_a_forged_unsubscribe_token_is_404(db):
    assert HttpClient().post("/m/u/12:forged/").status_code == 404


def test_the_throttle_sends_per_domain_per_minute_and_keeps_the_rest_for_later_ticks(smtp_server, settings, news,
                                                                                     make_lead, consenting,
                                                                                     admin_user):
    settings.LEADFLOW_MAIL_PER_DOMAIN_PER_MINUTE = 2
    for n in range(5):
        lead = consenting(make_lead(email=f"p{n}@busy.example"))
        services.enroll_by_hand(sequence=news, lead=lead, by=admin_user)
    services.enroll_by_hand(sequence=news, lead=consenting(make_lead(email="x@other.example")), by=admin_user)

    assert tick()["sent"] == 3  # two to busy.example, one to other.example
    assert tick()["sent"] == 0  # the same minute: busy.example waits
    assert MailMessage.objects.filter(status=MessageStatus.QUEUED).count() == 3
    assert mail.send_queued(now=later(seconds=61)) == 2
    assert mail.send_queued(now=later(seconds=122)) == 1

    busy = [r for r in smtp_server.received if r.recipients[0].endswith("@busy.example")]
    assert sorted(r.recipients[0] for r in busy) == [f"p{n}@busy.example" for n in range(5)]
    assert MailMessage.objects.filter(status=MessageStatus.SENT).count() == 6


def test_a_mailbox_refused_by_the_server_is_a_bounce_and_is_suppressed(smtp_server, news, make_lead, consenting,
                                                                       admin_user):
    lead = consenting(make_lead(email=f"nobody@{REFUSING_DOMAIN}"))
    enrollment = services.enroll_by_hand(sequence=news, lead=lead, by=admin_user)

    tick()

    row = MailMessage.objects.get()
    assert row.status == MessageStatus.BOUNCED and "550" in row.error
    assert Suppression.objects.get().email == f"nobody@{REFUSING_DOMAIN}"
    enrollment.refresh_from_db()
    assert (enrollment.state, enrollment.stop_reason) == (EnrollmentState.STOPPED, "bounced")


def dsn(*, original_message_id: str, recipient: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.client.example\r\nTo: news@shop.example\r\nSubject: Undelivered Mail Returned\r\n"
        "Message-ID: <dsn-1@mx.client.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mailbox does not exist.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.client.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: news@shop.example\r\nTo: {recipient}\r\nMessage-ID: {original_message_id}\r\n"
        "--b--\r\n"
    ).encode()


def test_a_delivery_failure_report_that_comes_back_suppresses_the_address(smtp_server, news, make_lead, consenting,
                                                                         admin_user):
    lead = consenting(make_lead(email="left@client.example"))
    enrollment = services.enroll_by_hand(sequence=news, lead=lead, by=admin_user)
    tick()
    sent = MailMessage.objects.get()

    take_email(raw=dsn(original_message_id=sent.message_id, recipient="left@client.example"), via="smtp",
               envelope_from="<>")
    tick(later(days=2))  # the bounce event is delivered; the second letter would be due now

    sent.refresh_from_db()
    enrollment.refresh_from_db()
    assert sent.status == MessageStatus.BOUNCED
    assert Suppression.objects.get().email == "left@client.example"
    assert (enrollment.state, enrollment.stop_reason) == (EnrollmentState.STOPPED, "bounced")
    assert len(smtp_server.received) == 1


def test_a_suppressed_address_gets_nothing_on_any_card(smtp_server, news, make_lead, consenting, admin_user):
    mail.suppress(email="Twice@Client.example", reason="manual")
    lead = consenting(make_lead(email="twice@client.example"))
    services.enroll_by_hand(sequence=news, lead=lead, by=admin_user)

    tick()

    assert smtp_server.received == []
    assert MailMessage.objects.get().status == MessageStatus.SUPPRESSED
