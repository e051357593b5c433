"""Taking in e-mail: store the raw message first, then read it and hand it to the intake pipeline.

The e-mail channel is asynchronous (ARCHITECTURE.md): the sender gets "250 accepted" once the raw
bytes are committed; what became of the message is read from its Submission.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from leadflow.events.services import record_event
from leadflow.inbox import parsing
from leadflow.inbox.models import Attachment, EmailKind, EmailStatus, IncomingEmail, Mailbox
from leadflow.intake import pipeline
from leadflow.intake.models import SubmissionStatus
from leadflow.leads.models import Channel

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)
NULL_SENDER = "<>"  # the envelope sender of MAIL FROM:<>, as stored
FIELD_LIMIT = 255  # IncomingEmail.from_name and .company


def email_key(raw: bytes) -> str:
    """Message-ID when the message has one, else the SHA-256 of its bytes."""
    header_end = raw.find(b"\r\n\r\n")
    if header_end < 0:
        header_end = raw.find(b"\n\n")
    head = raw if header_end < 0 else raw[:header_end]
    try:
        message_id = parsing.parse_message_id(head)
    except Exception:  # headers too broken to read: the bytes still identify the message
        message_id = ""
    return f"id:{message_id}"[:300] if message_id else f"sha256:{hashlib.sha256(raw).hexdigest()}"


def store_email(
    *, raw: bytes, via: str, mailbox: Mailbox | None = None, envelope_from: str = "",
    envelope_to: Iterable[str] = (), peer: str = "",
) -> tuple[IncomingEmail, bool]:
    """Commit the raw bytes in a transaction of their own, with the mailboxes their head names (privacy.MessageAddress,
    so an erasure finds the letters copying a person by a lookup); (email, is_new). Nothing else is parsed yet. A
    message whose sender was erased keeps its key as a keyed hash (privacy.rooms.blank_emails): looked up too, so a
    redelivery of it is still the same row."""
    from leadflow.privacy.rooms import erased_key, index_message

    key = email_key(raw)
    existing = IncomingEmail.objects.filter(key__in=sorted({key, erased_key(key)})).order_by("pk").first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            email = IncomingEmail.objects.create(
                key=key, raw=raw, size=len(raw), via=via, mailbox=mailbox, envelope_from=envelope_from[:320],
                envelope_to=list(envelope_to), peer=peer[:100],
            )
            # The mailboxes its head names, for an erasure to find the letters copying a person by a lookup.
            index_message(email.pk, raw, new=True)
    except IntegrityError:
        # The same message arrived twice at once (an SMTP retry racing the IMAP poller): the first one stays.
        return IncomingEmail.objects.get(key=key), False
    return email, True


def take_email(
    *, raw: bytes, via: str, mailbox: Mailbox | None = None, envelope_from: str = "",
    envelope_to: Iterable[str] = (), peer: str = "",
) -> IncomingEmail:
    """Store a message, then process it; a message taken before is not processed again."""
    email, is_new = store_email(
        raw=raw, via=via, mailbox=mailbox, envelope_from=envelope_from, envelope_to=envelope_to, peer=peer
    )
    # A message stored long ago and never processed was left by a crash: taking it again finishes it. A recent
    # one is being processed right now by whoever stored it (an SMTP retry racing the poller).
    if is_new or _claim_stale(email):
        _process_guarded(email)
    return email


def _claim_stale(email: IncomingEmail) -> bool:
    """Claim a message a crash left unprocessed; a conditional UPDATE, so two workers never both take it."""
    if email.status != EmailStatus.STORED or email.received_at >= timezone.now() - STALE_AFTER:
        return False
    return IncomingEmail.objects.filter(pk=email.pk, status=EmailStatus.STORED, processed_at__isnull=True).update(
        processed_at=timezone.now()
    ) == 1


def _process_guarded(email: IncomingEmail) -> None:
    try:
        process_email(email=email)
    except Exception as error:
        # The raw message is committed: the sender is not asked to retry, a person replays it from the admin.
        log.exception("e-mail %s was stored but its processing failed", email.pk)
        IncomingEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )


def finish_stale_emails(*, limit: int = 100) -> int:
    """The worker's sweep: process messages a crash left stored but unprocessed (the SMTP sender's retry
    finds them already stored and is answered 250, so nothing else would)."""
    cutoff = timezone.now() - STALE_AFTER
    finished = 0
    stale = IncomingEmail.objects.filter(status=EmailStatus.STORED, received_at__lt=cutoff, processed_at__isnull=True)
    for email in stale.order_by("pk")[:limit]:
        if _claim_stale(email):
            _process_guarded(email)
            finished += 1
    return finished


def retry_failed_emails(*, now: datetime | None = None, limit: int = 100) -> int:
    """The worker's sweep: messages whose lead failed in the pipeline (a database that was busy or down) are taken
    again on the pipeline's pauses, as a web form's or a partner's would be (pipeline.retry_due), so the message's
    own state follows. A message whose reading failed waits for a person's "Process again". The number tried."""
    now = now or timezone.now()
    failed = IncomingEmail.objects.filter(
        status=EmailStatus.FAILED, submission__status=SubmissionStatus.FAILED,
        submission__attempts__lte=len(pipeline.RETRY_PAUSES),
    ).select_related("submission").order_by("pk")
    tried = 0
    for email in failed[:limit]:
        submission = email.submission
        if submission.processed_at and submission.processed_at + pipeline.RETRY_PAUSES[submission.attempts - 1] > now:
            continue
        _process_guarded(email)
        tried += 1
    return tried


def process_email(*, email: IncomingEmail) -> IncomingEmail:
    """Parse a stored message, keep its attachments, and hand a message written by a person to the pipeline."""
    try:
        parsed = parsing.parse(bytes(email.raw), region=settings.LEADFLOW_DEFAULT_REGION)
    except Exception as error:
        log.exception("e-mail %s could not be parsed", email.pk)
        _set(email, status=EmailStatus.UNREADABLE, error=f"{type(error).__name__}: {error}"[:2000])
        return email
    if email.envelope_from == NULL_SENDER and parsed.kind == parsing.MessageKind.PERSON:
        # MAIL FROM:<> is how servers send what must never be answered: bounces and automatic notices.
        parsed.kind, parsed.kind_reason = parsing.MessageKind.AUTO_REPLY, "null envelope sender (MAIL FROM:<>)"
    try:
        _keep_parsed(email, parsed)
    except Exception as error:
        log.exception("e-mail %s: reading its parts failed", email.pk)
        _set(email, status=EmailStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000])
        return email
    if email.kind != EmailKind.PERSON:
        _set(email, status=EmailStatus.IGNORED, processed_at=timezone.now())
        if email.kind == EmailKind.BOUNCE:  # the room that sent the failed message suppresses the address
            record_event("email.bounced", incoming_email_id=email.pk)
        return email

    inbound = pipeline.Inbound(
        channel=Channel.EMAIL, payload=_payload(email, parsed), received_at=email.received_at,
        idempotency_key=f"email:{email.pk}",
    )
    outcome = pipeline.receive(inbound)  # taken again after a failure: receive processes it again
    failed = outcome.status == SubmissionStatus.FAILED
    _set(
        email, submission=outcome.submission, lead=outcome.lead, client=outcome.client,
        status=EmailStatus.FAILED if failed else EmailStatus.SUBMITTED, processed_at=timezone.now(),
        **({"error": outcome.reason} if failed else {}),
    )
    if outcome.reason == pipeline.ERASED_REASON:
        # The sender's data was erased at their request and they may not be re-added this way: the
        # message is not kept either, only that one came (privacy.rooms).
        from leadflow.privacy.rooms import blank_emails

        blank_emails([email.pk])
        email.refresh_from_db()
    return email


def _set(email: IncomingEmail, **fields: object) -> None:
    for name, value in fields.items():
        setattr(email, name, value)
    email.save(update_fields=list(fields))


def _keep_parsed(email: IncomingEmail, parsed: parsing.ParsedEmail) -> None:
    with transaction.atomic():
        for earlier in email.attachments.all():  # a re-run after a fix replaces what the last one kept
            earlier.file.delete(save=False)
            earlier.delete()
        for item in parsed.attachments:
            attachment = Attachment(
                email=email, filename=item.filename[:255], content_type=item.content_type[:255], size=len(item.content)
            )
            attachment.file.save(item.filename or "attachment", ContentFile(item.content), save=False)
            attachment.save()
        # The message's own columns have the beginning of a long name or company; the whole goes to the pipeline
        # (_payload), which cuts it alike and keeps it as given on the card, and the raw message has it too.
        _set(
            email, message_id=parsed.message_id, in_reply_to=parsed.in_reply_to, references=parsed.references,
            from_name=pipeline.cut_to(parsed.from_name, FIELD_LIMIT), from_address=parsed.from_address,
            subject=parsed.subject, text=parsed.text, phones=parsed.phones,
            company=pipeline.cut_to(parsed.company, FIELD_LIMIT), kind=parsed.kind,
            kind_reason=parsed.kind_reason[:255],
            error="; ".join(parsed.problems)[:2000],
        )


# Rooms that send mail say which card each of their Message-IDs went to, so an answer to it finds that card
# even from another address: message ids -> {message id: {"lead"|"client": id}} (nurture registers one).
SentLookup = Callable[[list[str]], dict[str, dict[str, int]]]
sent_message_lookups: list[SentLookup] = []


def thread_card(parsed: parsing.ParsedEmail) -> dict[str, int] | None:
    """The card of the nearest earlier message of this conversation (In-Reply-To, then References): one that
    came in and was attached to a card, or one Leadflow sent to a card."""
    if not parsed.thread_ids:
        return None
    from leadflow.privacy.services import erased_message_id

    earlier: dict[str, dict[str, int]] = {}
    for lookup in sent_message_lookups:
        earlier.update(lookup(parsed.thread_ids))
    # A Message-ID that named an erased person is kept as its keyed hash (privacy.rooms): looked up in that form
    # too, in the same read, so a reply to another person's message that was in their thread still finds its card.
    hashed = {erased_message_id(message_id): message_id for message_id in parsed.thread_ids}
    for row in (IncomingEmail.objects.filter(message_id__in=sorted({*parsed.thread_ids, *hashed}))
                .exclude(lead__isnull=True, client__isnull=True).only("message_id", "lead_id", "client_id")):
        earlier[hashed.get(row.message_id, row.message_id)] = (
            {"client": row.client_id} if row.client_id else {"lead": row.lead_id})
    for message_id in parsed.thread_ids:
        if message_id in earlier:
            return earlier[message_id]
    return None


# A notification's other fields the card has (its form asked "Город", "Что вас интересует?", "Опт или розница?").
NOTIFIED_FIELDS = ("city", "product_interest", "deal_type", "company_size", "position")


def _payload(email: IncomingEmail, parsed: parsing.ParsedEmail) -> dict[str, object]:
    """What the pipeline reads (name, e-mail, phone, company, message) plus the e-mail's own facts.

    Each text whole, however long: the pipeline cuts one over its field after a word and keeps it as given with a
    warning (pipeline._keep_long_text), as it does for a form's comment; a cut here would be silent."""
    text = parsing.own_text(parsed.text) if parsed.thread_ids else parsed.text
    message = "\n\n".join(part for part in (parsed.subject, text) if part)
    form = parsed.form_fields if parsed.is_form_notification else {}
    payload: dict[str, object] = {
        "name": parsed.contact_name,
        # No From header at all: the envelope sender is the only address there is.
        # (nor for a form's notification: its envelope is the site's robot too)
        "email": parsed.contact_address or (email.envelope_from if "@" in email.envelope_from
                                            and not parsed.is_form_notification
                                            and not parsing.robot_address(email.envelope_from) else ""),
        # Every number of the signature (a mobile, an office line with its extension): the first (a mobile first) is
        # the card's, the others its further contacts; the pipeline reads a field of several numbers so.
        # a form's notification: the number the visitor typed, not the site's own in its footer
        "phone": parsed.contact_phone,
        "company": form.get("company") or ("" if parsed.robot else parsed.company),
        **{name: form[name] for name in NOTIFIED_FIELDS if form.get(name)},
        "message": message,
        "subject": parsed.subject,
        "message_id": parsed.message_id,
        "incoming_email_id": email.pk,
        "attachments": [item.filename for item in parsed.attachments],
    }
    card = thread_card(parsed)
    if card is not None:
        payload["thread_card"] = card
    team_id = _team_of(email)
    if team_id is not None:
        payload["team_id"] = team_id  # written by this adapter, never by the sender (pipeline.THREAD_CHANNELS)
    return payload


def _team_of(email: IncomingEmail) -> int | None:
    """The team of the mailbox the message came from: polled over IMAP, or addressed to over SMTP."""
    if email.mailbox_id:
        return email.mailbox.team_id
    recipients = [str(r).strip().lower() for r in email.envelope_to or [] if "@" in str(r)]
    if not recipients:
        return None
    for mailbox in Mailbox.objects.filter(team__isnull=False, username__contains="@").order_by("pk"):
        if mailbox.username.strip().lower() in recipients:
            return mailbox.team_id
    return None
