"""Marketing mail: queue a rendered message (or log why it is not sent), send the queue through Django's
e-mail backend with a per-domain throttle, unsubscribe links, bounces and suppression."""

from __future__ import annotations

import html as html_module
import logging
import re
import secrets
import smtplib
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from leadflow.nurture.models import (
    NO_CONSENT,
    NOT_SUBSCRIBED,
    MailMessage,
    MessageStatus,
    Suppression,
    SuppressionReason,
)
from leadflow.nurture.rendering import Rendered

log = logging.getLogger(__name__)

SALT_UNSUBSCRIBE = "nurture.unsubscribe"
SALT_CLICK = "nurture.click"
SALT_OPEN = "nurture.open"
SALT_SURVEY = "nurture.survey"
MAX_ATTEMPTS = 5
CLAIM_FOR = timedelta(minutes=5)


def base_url() -> str:
    return settings.LEADFLOW_BASE_URL.rstrip("/")


def sign(value: Any, salt: str) -> str:
    """A token for a link in a message: no timestamp, so a message's links are the same whenever they are built
    (the footer when queued, the List-Unsubscribe header when sent) and an unsubscribe link never expires."""
    return signing.Signer(salt=salt).sign_object(value, compress=True)


def unsign(token: str, salt: str) -> Any:
    """The signed value, or None for a token this site did not give out."""
    try:
        return signing.Signer(salt=salt).unsign_object(token)
    except signing.BadSignature:
        return None


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email=email.strip().lower()).exists()


def suppress(*, email: str, reason: str, message: MailMessage | None = None) -> bool:
    """Add an address to the suppression list; True when it was not on it yet."""
    email = email.strip().lower()
    if not email:
        return False
    try:
        with transaction.atomic():
            Suppression.objects.create(email=email, reason=reason, message=message)
    except IntegrityError:
        return False
    return True


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def new_message_id() -> str:
    domain = domain_of(settings.DEFAULT_FROM_EMAIL) or "leadflow.local"
    return f"<nurture.{secrets.token_hex(12)}@{domain}>"


HREF = re.compile(r"""href=(["'])(https?://[^"']+)\1""", re.IGNORECASE)


def _footer(message: MailMessage) -> tuple[str, str]:
    url = unsubscribe_url(message)
    text = "\n\n-- \n" + _("To stop receiving these e-mails, unsubscribe: %(url)s") % {"url": url}
    html = (f'<p style="font-size:12px;color:#666">{html_module.escape(_("To stop receiving these e-mails,"))} '
            f'<a href="{html_module.escape(url)}">{html_module.escape(_("unsubscribe"))}</a>.</p>')
    return text, html


def unsubscribe_url(message: MailMessage) -> str:
    return base_url() + reverse("nurture_unsubscribe", args=[sign(message.pk, SALT_UNSUBSCRIBE)])


def _track_links(message: MailMessage, html: str) -> str:
    """Links of the message go through /m/c/<token>/<n>/, which redirects only to the n-th URL of this message."""
    links: list[str] = []
    token = sign(message.pk, SALT_CLICK)

    def replace(match: re.Match[str]) -> str:
        url = html_module.unescape(match.group(2))
        links.append(url)
        tracked = base_url() + reverse("nurture_click", args=[token, len(links) - 1])
        return f'href="{html_module.escape(tracked)}"'

    html = HREF.sub(replace, html)
    message.links = links
    return html


def queue_message(
    *, rendered: Rendered, to_email: str, lead: Any = None, client: Any = None, enrollment: Any = None,
    template: Any = None, language: str = "",
) -> MailMessage:
    """Log the message and queue it, or log it as suppressed (no consent, unsubscribed, bounced)."""
    from leadflow.privacy.models import Purpose
    from leadflow.privacy.services import has_consent

    to_email = to_email.strip()
    message = MailMessage(
        enrollment=enrollment, template=template, lead=lead, client=client, to_email=to_email,
        domain=domain_of(to_email), subject=rendered.subject, message_id=new_message_id(),
    )
    if is_suppressed(to_email):
        message.status, message.error = MessageStatus.SUPPRESSED, NOT_SUBSCRIBED
    elif not has_consent(purpose=Purpose.MARKETING, lead=lead, client=client, email=to_email):
        message.status, message.error = MessageStatus.SUPPRESSED, NO_CONSENT
    message.save()
    if message.status == MessageStatus.QUEUED:
        with translation.override(language or settings.LANGUAGE_CODE):
            text_footer, html_footer = _footer(message)
        pixel = base_url() + reverse("nurture_open", args=[sign(message.pk, SALT_OPEN)])
        html_footer += f'<img src="{html_module.escape(pixel)}" width="1" height="1" alt="">'
        message.html_body = _track_links(message, rendered.html) + html_footer
        message.text_body = rendered.text + text_footer
        message.save(update_fields=["html_body", "text_body", "links"])
    return message


def _build(message: MailMessage) -> EmailMultiAlternatives:
    url = unsubscribe_url(message)
    mail = EmailMultiAlternatives(
        subject=message.subject, body=message.text_body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={
            "Message-ID": message.message_id,
            # RFC 8058: a mail client may unsubscribe with one POST, without opening a page.
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Precedence": "bulk",
        },
    )
    mail.attach_alternative(message.html_body, "text/html")
    return mail


def _sent_last_minute(domain: str, now: datetime) -> int:
    return MailMessage.objects.filter(domain=domain, sent_at__gt=now - timedelta(minutes=1)).count()


def send_queued(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send what is queued, oldest first, at most LEADFLOW_MAIL_PER_DOMAIN_PER_MINUTE per recipient domain;
    the rest waits for the next tick (never dropped). Each row is claimed with a conditional UPDATE."""
    now = now or timezone.now()
    per_domain = int(settings.LEADFLOW_MAIL_PER_DOMAIN_PER_MINUTE)
    queued = list(
        MailMessage.objects.filter(status=MessageStatus.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by("created_at", "id").values_list("pk", "domain")[:limit]
    )
    budget: dict[str, int] = {}
    sent = 0
    connection = None
    try:
        for pk, domain in queued:
            if domain not in budget:
                budget[domain] = max(0, per_domain - _sent_last_minute(domain, now))
            if budget[domain] <= 0:
                continue
            claimed = MailMessage.objects.filter(pk=pk, status=MessageStatus.QUEUED).filter(
                Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
            ).update(status=MessageStatus.SENDING, claimed_until=now + CLAIM_FOR)
            if not claimed:
                continue
            message = MailMessage.objects.get(pk=pk)
            if is_suppressed(message.to_email):  # unsubscribed or bounced since it was queued
                _finish(message, status=MessageStatus.SUPPRESSED, error="address suppressed before sending")
                continue
            if connection is None:
                connection = get_connection()
                connection.open()
            budget[domain] -= 1
            sent += _send_one(message, connection, now)
    finally:
        if connection is not None:
            connection.close()
    return sent


def _send_one(message: MailMessage, connection: Any, now: datetime) -> int:
    try:
        connection.send_messages([_build(message)])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            _finish(message, status=MessageStatus.BOUNCED, error=repr(error)[:2000])
            suppress(email=message.to_email, reason=SuppressionReason.BOUNCED, message=message)
            _stop_for_address(message.to_email, reason="bounced")
            return 0
        _retry(message, error, now)
        return 0
    except (smtplib.SMTPException, OSError) as error:
        log.warning("marketing e-mail %s not sent: %r", message.pk, error)
        _retry(message, error, now)
        return 0
    _finish(message, status=MessageStatus.SENT, sent_at=timezone.now())
    _log_on_card(message)
    return 1


def _retry(message: MailMessage, error: Exception, now: datetime) -> None:
    attempts = message.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _finish(message, status=MessageStatus.FAILED, error=repr(error)[:2000], attempts=attempts)
        return
    _finish(message, status=MessageStatus.QUEUED, error=repr(error)[:2000], attempts=attempts,
            not_before=now + timedelta(minutes=2 ** attempts))


def _finish(message: MailMessage, **fields: Any) -> None:
    fields.setdefault("claimed_until", None)
    for name, value in fields.items():
        setattr(message, name, value)
    message.save(update_fields=list(fields))


def _log_on_card(message: MailMessage) -> None:
    """The sent message shows on the card's timeline."""
    from leadflow.leads.models import Activity, ActivityKind

    Activity.objects.create(lead=message.lead, client=message.client, kind=ActivityKind.EMAIL,
                            subject=message.subject[:255], body=message.text_body[:5000], occurred_at=message.sent_at)


def _stop_for_address(email: str, *, reason: str) -> int:
    from leadflow.nurture.services import stop_enrollments_for_address

    return stop_enrollments_for_address(email=email, reason=reason)


# ---------------------------------------------------------------- unsubscribe and bounces


@transaction.atomic
def unsubscribe(*, message: MailMessage, ip: str | None = None) -> None:
    """Withdraw the address's marketing consent, suppress it and stop its sequences."""
    from leadflow.privacy.models import Purpose
    from leadflow.privacy.services import record_consent

    record_consent(purpose=Purpose.MARKETING, given=False, email=message.to_email, lead=message.lead,
                   client=message.client, channel="unsubscribe", ip=ip)
    suppress(email=message.to_email, reason=SuppressionReason.UNSUBSCRIBED, message=message)
    _stop_for_address(message.to_email, reason="unsubscribed")


DSN_RECIPIENT = re.compile(r"^(?:Final|Original)-Recipient:\s*(?:rfc822;)?\s*(\S+)", re.IGNORECASE | re.MULTILINE)
OUR_MESSAGE_ID = re.compile(r"<nurture\.[0-9a-f]{24}@[^<>\s]+>")


def handle_bounce(raw: bytes) -> MailMessage | None:
    """A delivery failure of one of our messages: mark it bounced, suppress the address, stop its sequences.

    The DSN names our Message-ID (in the returned headers) or at least the failed recipient."""
    text = raw.decode("utf-8", errors="replace")
    message = None
    for message_id in OUR_MESSAGE_ID.findall(text):
        message = MailMessage.objects.filter(message_id=message_id).first()
        if message is not None:
            break
    if message is None:
        for address in DSN_RECIPIENT.findall(text):
            address = parseaddr(address.strip("<>"))[1].lower()
            message = (MailMessage.objects.filter(to_email__iexact=address, status=MessageStatus.SENT)
                       .order_by("-sent_at").first())
            if message is not None:
                break
    if message is None:
        return None
    MailMessage.objects.filter(pk=message.pk).update(status=MessageStatus.BOUNCED, error="delivery failure report")
    suppress(email=message.to_email, reason=SuppressionReason.BOUNCED, message=message)
    _stop_for_address(message.to_email, reason="bounced")
    return message


def cards_of_sent(message_ids: list[str]) -> dict[str, dict[str, int]]:
    """The card each of these Message-IDs of ours was sent to (the inbox finds the card of a reply by it)."""
    found: dict[str, dict[str, int]] = {}
    for message_id, lead_id, client_id in MailMessage.objects.filter(message_id__in=message_ids).values_list(
            "message_id", "lead_id", "client_id"):
        if client_id:
            found[message_id] = {"client": client_id}
        elif lead_id:
            found[message_id] = {"lead": lead_id}
    return found
