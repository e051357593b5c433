"""The one road in: every channel hands an Inbound to `receive` (ARCHITECTURE.md "One road in").

1 journal  2 normalise  3 validate  4 classify  5 match  6 attach or create  7 route  8 first task
9 events (the last three inside leads.services.create_lead / attach_request, in the same transaction).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from leadflow.accounts.models import Role, Team, User
from leadflow.clients.models import Client
from leadflow.core import rows
from leadflow.core.errors import InvalidInput
from leadflow.core.inputs import storable
from leadflow.core.memo import Memo
from leadflow.intake import builders, webform_rules
from leadflow.intake.models import Form, Partner, Submission, SubmissionStatus
from leadflow.leads import services as leads
from leadflow.leads.models import TEST_ENTRY_REASON, Channel, Lead, LeadState
from leadflow.marketing.models import Campaign, Source
from leadflow.matching import normalize
from leadflow.matching import services as matching
from leadflow.matching.models import CardType
from leadflow.partners import terms as partner_terms
from leadflow.partners.routing import dealer_team_for
from leadflow.privacy import services as privacy
from leadflow.privacy.models import Purpose

log = logging.getLogger(__name__)

TEXT_LIMITS = {
    "name": 255, "first_name": 120, "last_name": 120, "middle_name": 120, "company": 255, "position": 160,
    "city": 120, "product_interest": 120, "message": 10_000, "consent_text_version": 60,
    "utm_source": 120, "utm_medium": 120, "utm_campaign": 160, "utm_content": 160, "utm_term": 160,
    "referrer": 1000, "landing_page": 1000, "phone": 255, "email": 254, "deal_type": 20, "visitor_id": 64,
}
MULTILINE = {"message"}  # the only text field whose line breaks are kept
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
TOUCH_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "referrer", "landing_page")
VISITOR_ID = re.compile(r"^[A-Za-z0-9._:-]+$")
NOT_A_NAME = {
    "anonymous", "anon", "guest", "test", "user", "client", "customer", "unknown", "noname", "none", "-",
    "аноним", "гость", "тест", "клиент", "пользователь", "неизвестно", "нет", "без имени",
    # a form's own label or placeholder sent back as the value, and "anonymously" as an answer
    "анонимно", "anonymously", "name", "your name", "full name", "имя", "ваше имя", "фио", "ваше фио",
}
# A name made only of these words is someone trying the form ("Test Test", "тест тестович", "asdf qwerty"):
# an interest, kept in the journal and the interests, never a lead in the pool or in the figures.
TEST_NAME_WORDS = {
    "test", "testing", "tester", "testov", "testovich", "asdf", "qwerty", "qwe", "asd", "zxc", "aaa", "xxx",
    "тест", "тестов", "тестова", "тестович", "тестовна", "тестовый", "тестовая", "тестовое", "проверка", "заявка",
    "йцукен", "ффф",
}
URL = re.compile(r"https?://|www\.", re.IGNORECASE)
# A submission still "received" this long after it arrived was left by a process that stopped while working on it
# (a restart, a kill, a power cut): nobody is on it any more. No request takes this long.
STALE_AFTER = timedelta(minutes=2)
# The pauses before each new attempt at a submission whose processing failed (a database that was busy or down, a
# bug fixed in the meantime); when the last attempt fails too, the admins are told.
RETRY_PAUSES = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
                timedelta(hours=4))
# The channels the worker's sweep finishes. The inbox, imports and calls finish what they journaled themselves
# (the message's, the import job's and the call's own state follow the submission there).
SWEPT_CHANNELS = (Channel.FORM, Channel.PARTNER, Channel.API, Channel.MANUAL)
FAILED_REASON = "processing failed; it is tried again, or replay it from the journal"


@dataclass
class Inbound:
    """What arrived on a channel, before anything is decided about it."""

    channel: str
    payload: dict[str, Any]
    received_at: datetime = field(default_factory=timezone.now)
    remote_addr: str | None = None
    form: Form | None = None
    partner: Partner | None = None
    submitted_by: User | None = None
    idempotency_key: str = ""


@dataclass
class Outcome:
    """What became of a submission; channels answer their sender from it."""

    submission: Submission
    status: str
    lead: Lead | None = None
    client: Client | None = None
    interest_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    reason: str = ""
    replayed: bool = False
    # What was taken as typed but looks like a slip: [{"field": "email", "code": "email_typo", "suggestion": ...}]
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def is_new_lead(self) -> bool:
        return self.status == SubmissionStatus.CREATED


def _sender(inbound: Inbound) -> str:
    if inbound.partner:
        return f"partner:{inbound.partner.pk}"
    if inbound.form:
        return f"form:{inbound.form.pk}"
    if inbound.submitted_by:
        return f"user:{inbound.submitted_by.pk}"
    return inbound.channel


def journal(inbound: Inbound) -> tuple[Submission, bool]:
    """Store the raw payload in its own committed transaction; (submission, is_new)."""
    sender = _sender(inbound)
    if inbound.idempotency_key:
        existing = Submission.objects.filter(sender=sender, idempotency_key=inbound.idempotency_key).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            submission = rows.create(
                Submission, channel=inbound.channel, payload=storable(inbound.payload), received_at=inbound.received_at,
                remote_addr=inbound.remote_addr, form=inbound.form, partner=inbound.partner,
                submitted_by=inbound.submitted_by, sender=sender, idempotency_key=inbound.idempotency_key,
            )
    except IntegrityError:
        # Two retries raced: the first one's row is the submission.
        return Submission.objects.get(sender=sender, idempotency_key=inbound.idempotency_key), False
    return submission, True


def outcome_of(submission: Submission, *, replayed: bool = False) -> Outcome:
    return Outcome(
        submission=submission, status=submission.status, lead=submission.lead, client=submission.client,
        interest_id=submission.interest_id, errors=submission.errors.get("fields", {}),
        reason=submission.errors.get("reason", ""), replayed=replayed,
        warnings=submission.errors.get("warnings", []),
    )


def receive(inbound: Inbound) -> Outcome:
    """Journal, then process; a failure after the journal leaves the submission replayable."""
    submission, is_new = journal(inbound)
    if not is_new:
        return again(submission)
    return process(submission)


def again(submission: Submission, *, now: datetime | None = None) -> Outcome:
    """The answer to a submission sent again (the same Idempotency-Key, a double click): its outcome, after
    processing it now if it failed or was left unfinished. A sender told "failed, it will be replayed" who
    retries must not be answered that failure for ever."""
    if unfinished(submission, now=now or timezone.now()):
        return replace(process(submission), replayed=True)
    return outcome_of(submission, replayed=True)


def unfinished(submission: Submission, *, now: datetime) -> bool:
    """Failed, or received and left by a process that stopped (one that is recent is being processed now)."""
    return submission.status == SubmissionStatus.FAILED or (
        submission.status == SubmissionStatus.RECEIVED and submission.received_at < now - STALE_AFTER)


class _TakenElsewhere(Exception):
    """Another process finished this submission while this one worked on it: this one's work is rolled back."""


def process(submission: Submission) -> Outcome:
    """Run steps 2-9 on a journaled submission (also used to replay a failed or invalid one).

    Processed once whoever else tries (the worker's sweep, a sender's retry, an admin's replay): the outcome is
    written only while the row still has the status this run started from, in the transaction that did the work,
    so a second run's lead, request and events are rolled back with it."""
    started_from = submission.status
    submission._started_from = started_from  # type: ignore[attr-defined]  # read by _finish
    try:
        with transaction.atomic():
            outcome = _process(submission)
    except _TakenElsewhere:
        submission.refresh_from_db()
        return outcome_of(submission, replayed=True)
    except Exception:
        log.exception("submission %s failed", submission.pk)
        failed = Submission.objects.filter(pk=submission.pk, status=started_from).update(
            status=SubmissionStatus.FAILED, errors={"reason": FAILED_REASON}, processed_at=timezone.now(),
            attempts=F("attempts") + 1,
        )
        submission.refresh_from_db()
        if failed and submission.channel in SWEPT_CHANNELS and submission.attempts == len(RETRY_PAUSES) + 1:
            _tell_admins_given_up(submission)
        return outcome_of(submission, replayed=not failed)
    return outcome


def retry_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """The worker's sweep: process again the submissions that failed, after their pause, and those a stopped
    process left received. A web form's visitor or a partner told "received, it will be processed" is not
    asked to send again. The number of submissions tried."""
    now = now or timezone.now()
    waiting = Submission.objects.filter(
        Q(status=SubmissionStatus.RECEIVED) | Q(status=SubmissionStatus.FAILED, attempts__lte=len(RETRY_PAUSES)),
        channel__in=SWEPT_CHANNELS, received_at__lt=now - STALE_AFTER,
    ).select_related("form", "partner", "submitted_by").order_by("received_at")
    tried = 0
    for submission in waiting[:limit]:
        if submission.status == SubmissionStatus.FAILED and (
                submission.processed_at and submission.processed_at + RETRY_PAUSES[submission.attempts - 1] > now):
            continue
        process(submission)
        tried += 1
    return tried


def _tell_admins_given_up(submission: Submission) -> None:
    """Each active admin is told once, when the last attempt failed: the submission waits for a person."""
    with transaction.atomic():
        for admin in User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True):
            leads.notify(
                user=admin, kind="submission.failed",
                template=gettext_noop("Submission no. %(id)s (%(channel)s) could not be processed after %(attempts)s "
                                      "attempts. It is kept in the journal: replay it there once the cause is fixed."),
                id=submission.pk, attempts=submission.attempts,
                channel=Channel(submission.channel).label if submission.channel in Channel.values
                else submission.channel,
            )


# ------------------------------------------------------------------ steps


@dataclass
class Parsed:
    person: leads.PersonFacts
    name_given: str
    phone_type: str
    message: str
    touch: leads.Touch
    consent: leads.Consent
    honeypot: bool
    statements: list[privacy.Statement] = field(default_factory=list)
    first_touch: leads.Touch | None = None
    spam_reason: str = ""
    other_phone_types: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[dict[str, str]]:
        """Slips the sender may want to correct, one per address of the field; the submission is taken as typed."""
        suggestions = [self.person.email_suggestion, *map(normalize.email_suggestion, self.person.other_emails)]
        # (an address kept as given that does not read at all has its suggestion on its "unreadable" warning)
        kept_whole = self.unreadable_field("email") and not self.person.email
        typos = [{"field": "email", "code": "email_typo", "suggestion": suggestion}
                 for suggestion in suggestions if suggestion and not kept_whole]
        return [*typos, *self.person.unreadable]

    def unreadable_field(self, name: str) -> bool:
        return any(item["field"] == name for item in self.person.unreadable)


def _text(payload: dict[str, Any], name: str, errors: dict[str, list[str]],
          too_long: dict[str, str] | None = None) -> str:
    """The field's text, on one line unless MULTILINE; a text over its limit is refused (and handed in `too_long`,
    which _keep_long_text may cut and keep)."""
    value = payload.get(name)
    if isinstance(value, list) and all(_is_scalar(item) for item in value):
        # Forms written in PHP send every field as a list ({"name": ["Иван"]}, from name="name[]"): one value is the
        # field's, several are all of it (a phone field reads several numbers, a text keeps them as given).
        value = (" " if name in NAME_FIELDS else ", ").join(str(item).strip() for item in value if item is not None)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.setdefault(name, []).append(_("Must be text."))
        return ""
    # NUL and lone surrogates cannot be stored (PostgreSQL text, UTF-8): dropped, as a form would drop them
    text = str(value).replace("\x00", "").encode("utf-8", "ignore").decode("utf-8").strip()
    if name not in MULTILINE:
        # A name, company or tag is one line: a line break (or any control character) in it is a space, so it
        # cannot reach an e-mail header, a CSV row or a log line as a second line.
        text = " ".join(CONTROL.sub(" ", normalize.invisible_removed(text)).split())  # and zero-width ones
    if name.startswith("utm_"):
        text = _decoded_tag(text)
    limit = TEXT_LIMITS.get(name, 255)
    if len(text) > limit:
        errors.setdefault(name, []).append(_("Too long: %(length)d characters, at most %(limit)d.") % {
            "length": len(text), "limit": limit})
        if too_long is not None:
            too_long[name] = text
        return ""
    return text


NAME_FIELDS = ("name", "first_name", "last_name", "middle_name")
_URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _is_scalar(value: Any) -> bool:
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def _decoded_tag(text: str) -> str:
    """A UTM tag as the campaign names it: a site's script or an ad platform often sends it still URL-encoded, once or
    twice ("%D0%B2%D0%B5%D1%81%D0%BD%D0%B0", "%25D0%25B2..." for "весна"), and the campaign's report and its costs
    found no such campaign. Decoded while it holds escapes that decode to UTF-8 (at most twice, as links nest them);
    anything else, "50%OFF" too, stays as sent. The journal keeps the value as sent."""
    for _round in range(2):
        if not _URL_ESCAPE.search(text):
            break
        try:
            decoded = unquote(text, errors="strict")
        except UnicodeDecodeError:
            break
        text = " ".join(CONTROL.sub(" ", normalize.invisible_removed(decoded)).split())
    return text


# A messenger link given as the contact. WhatsApp's and Viber's carry the phone number itself ("wa.me/79123456789"),
# read as the number; Telegram's a user name ("t.me/ivan_petrov", "@ivan_petrov"), no phone: the request keeps it for
# the manager to write to, and the person is a lead by another contact, or an interest without one.
_NUMBER_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?(?:wa\.me/|api\.whatsapp\.com/send/?\?phone=|whatsapp://send/?\?phone=|"
    r"viber://(?:chat|add)\?number=|t\.me/(?=\+?\d{10,15}\b))(?:%2B|\+)?(?=\d)", re.IGNORECASE)
MESSENGER_FIELDS = ("telegram", "tg", "телеграм", "телеграмм")


def _messenger_accounts(text: dict[str, str], payload: dict[str, Any], *, required: set[str]) -> list[str]:
    """The phone field's messenger links read: a number link as its number, a Telegram account taken out of the field
    into the request's messengers (and a "telegram" field's too). A form that requires a phone keeps its error for a
    Telegram name: the visitor is asked for the number."""
    text["phone"] = _NUMBER_LINK.sub("+", text["phone"]) if _NUMBER_LINK.search(text["phone"]) else text["phone"]
    accounts = []
    for name in MESSENGER_FIELDS:
        value = payload.get(name)
        if isinstance(value, str):
            accounts += normalize.telegram_accounts(value, bare=True)
    if "phone" not in required and normalize.TELEGRAM.search(text["phone"]):
        accounts += normalize.telegram_accounts(text["phone"])
        text["phone"] = " ".join(normalize.TELEGRAM.sub(" ", text["phone"]).split()).strip(" ,;/|")
    return list(dict.fromkeys(accounts))


# What a number in a comment is when the words just before it name it: an order, an invoice, a contract, a
# company's INN or OGRN, an article, a tracking or request number ("заказ № 89123456789", "ИНН: 7707083893",
# "Order #4951234567"). Such a number is not the person's phone even when it reads as one.
_NOT_A_PHONE_LABEL = re.compile(
    r"(?:№|#|(?<!\w)(?:(?:заказ|сч[её]т|артикул|договор|контракт|трек|накладн|паспорт|полис|order|invoice|contract|"
    r"ticket|tracking|article)\w*|номер\w*\s+(?:заявк|обращени|тикет)\w*|(?:инн|огрн|огрнип|кпп|бик|окпо|снилс|арт|"
    r"inn|sku|id)(?!\w))\.?)(?:\s*(?:№|#|no\.?|номер\w*|number|:|-))*\s*$", re.IGNORECASE)


def _take_from_message(text: dict[str, str], region: str) -> None:
    """A number typed into the comment when the phone field was left empty ("перезвоните 8 912 345-67-89") is the
    person's phone: without it the request has no contact and waits among the interests. Only with neither a phone nor
    an e-mail given, and not a number the words before it name as something else (_NOT_A_PHONE_LABEL: an order's, an
    INN); the comment keeps its text."""
    if text["phone"] or text["email"] or not text["message"]:
        return
    message = normalize.mark_extensions(text["message"])
    found = [phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
             for match in phonenumbers.PhoneNumberMatcher(message, region, leniency=phonenumbers.Leniency.VALID)
             if not _NOT_A_PHONE_LABEL.search(message[max(0, match.start - 40) : match.start])]
    if found:
        text["phone"] = ", ".join(dict.fromkeys(found))


# What a person writes in their own words: over its field's length on a channel nobody waits on, it is cut to fit and
# kept whole as given (_keep_long_text). A contact, a tag or an address is not: cut, it would be another one.
LONG_TEXT_KEPT = ("name", "first_name", "last_name", "middle_name", "company", "position", "city", "product_interest",
                  "message")


def cut_to(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending in "…" so whoever reads it sees it goes on: cut after the last
    whole word when one ends in the last half (a 300-character company name keeps its words), else mid-word."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if not text[limit - 1].isspace():
        space = max(head.rfind(" "), head.rfind("\n"))
        head = head[:space] if space >= limit // 2 else head
    return head.rstrip(" \n\t,;:-–—") + "…"


def _keep_long_text(errors: dict[str, list[str]], text: dict[str, str], too_long: dict[str, str], *,
                    channel: str) -> list[dict[str, str]]:
    """A name, company, comment or city over its field's length does not cost the person where nobody waits to
    shorten it (ASYNCHRONOUS channels and web forms): the field gets its beginning (cut_to), and the whole text is kept
    as given with a warning, for the card to show (the journal has the payload as sent).

    The API (partners, managers, scripts) keeps its per-field 422 naming the field and its length: its sender reads
    the answer and sends the field again."""
    if channel not in ASYNCHRONOUS and channel != "form":
        return []
    kept = []
    for name in LONG_TEXT_KEPT:
        if name in too_long and errors.get(name) and len(errors[name]) == 1:
            limit = TEXT_LIMITS[name]
            text[name] = cut_to(too_long[name], limit)
            errors.pop(name)
            kept.append({"field": name, "code": "too_long", "value": too_long[name], "limit": str(limit),
                         "problem": _("longer than %(limit)d characters: the field has its beginning") % {
                             "limit": limit}})
    return kept


def _parse(submission: Submission) -> tuple[Parsed, dict[str, list[str]]]:
    """Normalise and validate; every problem is reported against the field that has it."""
    payload = submission.payload if isinstance(submission.payload, dict) else {}
    answers: list[dict[str, str]] = []
    if submission.channel in BUILT_ELSEWHERE:
        # "Phone", "your-tel", "fields[name]" as the fields they mean; a quiz's answers as the fields they name
        answers = builders.answers(payload)
        payload = builders.canonical(payload, own_click=submission.channel != Channel.PARTNER)
    errors: dict[str, list[str]] = {}
    too_long: dict[str, str] = {}
    text = {name: _text(payload, name, errors, too_long) for name in TEXT_LIMITS}
    cut = _keep_long_text(errors, text, too_long, channel=submission.channel)
    utm = payload.get("utm") if isinstance(payload.get("utm"), dict) else {}
    for part in ("source", "medium", "campaign", "content", "term"):
        if not text[f"utm_{part}"] and utm.get(part):
            text[f"utm_{part}"] = _text({f"utm_{part}": utm.get(part)}, f"utm_{part}", errors)

    region = _phone_region(payload.get("region"), text, errors)
    for contact_field in ("phone", "email"):
        # "-", "нет", "n/a" typed into a contact field the person would rather leave empty is an empty field (the
        # journal keeps what was typed); the submission stands on its other contacts, or follows the usual rules.
        if normalize.is_placeholder(text[contact_field]):
            text[contact_field] = ""
    _take_from_name(text, region)
    required = _required_fields(submission)
    _to_their_own_fields(text, region, required=required)
    messengers = _messenger_accounts(text, payload, required=required)
    if submission.channel != Channel.EMAIL:  # (the inbox reads a letter's numbers itself, its footer's apart)
        _take_from_message(text, region)
    # A field may hold several numbers or addresses: the first is the card's, the others are kept as its
    # further contacts (identity keys, so the person is found by any of them; the request's facts).
    # A readable number next to one that is not ("89123456789 / 8912"): the number is read, the rest is kept as
    # given with a warning (normalize.phones_and_rest), as a contact that does not read at all may be.
    rests: list[dict[str, str]] = []
    phones: list[normalize.Phone] = []
    if text["phone"]:
        try:
            phones, rest, problem = normalize.phones_and_rest(text["phone"], region=region)
        except normalize.NormalizationError as error:
            errors.setdefault("phone", []).append(str(error))
        else:
            rests += [{"field": "phone", "code": "unreadable", "value": rest, "problem": problem,
                       "read": normalize.phone_text(phones[0])}] if rest else []
    phone = phones[0] if phones else normalize.Phone(e164="")
    emails: list[str] = []
    if text["email"]:
        try:
            emails, rest, problem = normalize.emails_and_rest(text["email"])
        except normalize.NormalizationError as error:
            errors.setdefault("email", []).append(str(error))
        else:
            rests += [{"field": "email", "code": "unreadable", "value": rest, "problem": problem,
                       "read": emails[0]}] if rest else []
    email = emails[0] if emails else ""

    if text["first_name"] or text["last_name"]:
        name = normalize.person_name_from_parts(first=text["first_name"], last=text["last_name"],
                                                middle=text["middle_name"])
        if text["name"] and not (name.first and name.last and name.middle):
            name = _completed(name, normalize.split_person_name(text["name"]))
    elif normalize.is_firm_name(text["name"]):
        # "Smith & Sons", "Рога & Копыта", "AT&T": a firm without its legal form typed where the person's name belongs
        # is the company, as "ООО Ромашка" is (below), and names no person (the journal keeps the field as typed)
        name = normalize.PersonName()
        if not text["company"]:
            text["company"] = text["name"][: TEXT_LIMITS["company"]]
    else:
        # "Иван, звонить после 18": the name is read, the remark kept as given like a phone's (one warning)
        # "ООО Ромашка, Иван": the person is the name, the company the company (the journal keeps the field as typed)
        person_text, company_in_name = normalize.person_and_company(text["name"])
        if company_in_name and not text["company"]:
            text["company"] = company_in_name[: TEXT_LIMITS["company"]]
        # "Иван и Мария": the card is the first person's (with the surname they share: "Иван и Мария Петровы" is
        # Петров Иван); who else was named is kept for the manager to read
        person_text, other_people = normalize.first_person(person_text or text["name"])
        rests += [{"field": "name", "code": "unreadable", "reason": "other_person", "value": other_people,
                   "problem": _("another person named in the same field")}] if other_people else []
        name_text, name_remark = normalize.name_and_remark(person_text)
        name = normalize.split_person_name(name_text)
        rests += [{"field": "name", "code": "unreadable", "value": name_remark,
                   "problem": _("not part of the name")}] if name_remark and "name" not in too_long else []
    name_given = text["name"] or " ".join(p for p in (text["first_name"], text["last_name"]) if p)
    name, full_name, name_cut = _fitting(name)
    if name_cut and not any(item["field"] in ("name", "first_name", "last_name", "middle_name") for item in cut):
        # a name that fits its field but not the card's parts ("Иванов" and 200 letters without a space)
        cut.append({"field": "name", "code": "too_long", "value": name_given, "limit": str(NAME_PART_LIMIT),
                    "problem": _("longer than %(limit)d characters: the field has its beginning") % {
                        "limit": NAME_PART_LIMIT}})
    named_company = name.is_empty and normalize.looks_like_company(text["name"])
    if not text["company"] and (named_company or normalize.sole_trader_name(text["name"])):
        text["company"] = text["name"][: TEXT_LIMITS["company"]]  # "ООО «Ромашка»", "ИП Иванов И.И." as the name
    company = normalize.split_company(text["company"])

    deal_type = DEAL_TYPES.get(text["deal_type"].lower().strip(" ."), text["deal_type"].lower())
    if deal_type and deal_type not in ("retail", "wholesale"):
        errors.setdefault("deal_type", []).append(_("Must be retail or wholesale."))
        deal_type = ""
    for url_field in ("referrer", "landing_page"):
        if text[url_field] and not re.match(r"^https?://", text[url_field], re.IGNORECASE):
            errors.setdefault(url_field, []).append(_("Must be an http(s) address."))
            text[url_field] = ""
    if text["visitor_id"] and not VISITOR_ID.match(text["visitor_id"]):
        errors.setdefault("visitor_id", []).append(_("Only letters, digits and . _ : - are allowed."))
        text["visitor_id"] = ""

    form = submission.form
    given = _consents_given(payload, errors)
    consent_given = given.get(Purpose.PROCESSING, False)
    statements = _statements(given, payload, form=form, fallback_version=text["consent_text_version"])
    partner = submission.partner
    person = leads.PersonFacts(
        last_name=name.last, first_name=name.first, middle_name=name.middle, full_name=full_name,
        company_name=company.name, legal_form=company.legal_form, position=text["position"],
        phone=phone.e164, phone_ext=phone.extension, email=email, city=text["city"],
        other_phones=[normalize.phone_text(p) for p in phones[1:]], other_emails=emails[1:],
        # for an address that does not read at all ("ivan@gmail"), the one it obviously meant, next to the error
        email_suggestion=normalize.email_suggestion(email) if email else normalize.unreadable_email_suggestion(
            text["email"]) if "email" in errors else "",
        product_interest=text["product_interest"] or (form.product_interest if form else ""), deal_type=deal_type,
        company_size=_company_size(payload.get("company_size"), errors),
        answers=answers, budget=next((item["answer"] for item in answers if item["field"] == "budget"), ""),
        messengers=messengers,
    )
    source = _source_for(text["utm_source"], form=form, partner=partner)
    campaign = _campaign_for(text["utm_campaign"])
    touch = leads.Touch(
        channel=submission.channel, source_id=source.pk if source else None,
        campaign_id=campaign.pk if campaign else None,
        utm={p: text[f"utm_{p}"] for p in ("source", "medium", "campaign", "content", "term")},
        referrer=text["referrer"], landing_page=text["landing_page"], visitor_id=text["visitor_id"],
    )
    first_touch = _first_touch(payload.get("first_touch"), touch, form=form, partner=partner)
    consent = leads.Consent(
        given=consent_given,
        text_version=text["consent_text_version"] or (form.consent_text_version if form else ""),
        channel=f"form:{form.slug}" if form else submission.channel, at=submission.received_at,
    )
    honeypot = bool(payload.get("_hp") or payload.get("website_url"))
    spam_reason = ""
    if form is not None and webform_rules.FORM_TOKEN in payload:
        # Sent by the hosted page or the embed script: the form's own rules apply (required fields,
        # consent, minimum fill time), judged again on every replay from the journal alone.
        for name, problems in webform_rules.required_errors(form, payload).items():
            errors.setdefault(name, []).extend(problems)
        spam_reason = webform_rules.timing_spam_reason(form, payload, received_at=submission.received_at)
    given = {name: text[name] or _as_given(payload.get(name)) for name in CONTACT_FIELDS}
    # A client file's row is a company by its INN (leadflow.imports.clients) whatever its person's contacts say.
    by_inn = submission.channel == "import" and bool(str(payload.get("inn") or "").strip())
    unreadable = _keep_unreadable(errors, given, phones=phones, emails=emails, required=required,
                                  identified=by_inn)
    unreadable += _keep_other_fields(errors, payload, channel=submission.channel, required=required)
    for item in unreadable:
        if item["field"] == "email" and person.email_suggestion:
            item["suggestion"] = person.email_suggestion
    person.unreadable = [*unreadable, *rests, *cut]
    if not errors and not (person.phone or person.email or text["message"] or name_given or company.name):
        errors["__all__"] = [_("The submission is empty: give at least a name and a phone or an e-mail.")]
    parsed = Parsed(person=person, name_given=name_given, phone_type=phone.number_type, message=text["message"],
                    touch=touch, consent=consent, honeypot=honeypot, first_touch=first_touch,
                    spam_reason=spam_reason, statements=statements,
                    other_phone_types=[p.number_type for p in phones[1:]])
    return parsed, errors


CONTACT_FIELDS = ("phone", "email")


def _required_fields(submission: Submission) -> set[str]:
    """The fields whoever sends this submission must give right: the hosted form's required fields, the partner's."""
    required: set[str] = set()
    payload = submission.payload if isinstance(submission.payload, dict) else {}
    if submission.form is not None and webform_rules.FORM_TOKEN in payload:
        required.update(submission.form.required_fields())
    if submission.partner is not None:
        required.update(submission.partner.required_fields or [])
    return required


def _as_given(value: Any) -> str:
    """A field's raw value as a line of text to keep where a manager reads it (a phone field of 300 characters)."""
    if value is None or isinstance(value, dict | list):
        return ""
    text = " ".join(CONTROL.sub(" ", str(value).replace("\x00", "")).split())
    return text[:1000]


def _keep_unreadable(errors: dict[str, list[str]], text: dict[str, str], *, phones: list[normalize.Phone],
                     emails: list[str], required: set[str], identified: bool = False) -> list[dict[str, str]]:
    """A contact that cannot be read does not cost the rest when the other contact still identifies the person.

    "8-912-ЗВОНИТЬ ВЕЧЕРОМ" next to a good e-mail: the submission is taken on the e-mail, and the phone is kept as
    given (on the request, shown on the card) with the problem, for the manager to read. Refused as before: when
    nothing readable identifies the person (`identified`: something else does, a client row's INN), or the field is
    one the form or the partner's terms require."""
    readable = {"phone": bool(phones) and "phone" not in errors, "email": bool(emails) and "email" not in errors}
    kept = []
    for name in CONTACT_FIELDS:
        other = "email" if name == "phone" else "phone"
        if name in errors and name not in required and (readable[other] or identified) and text[name]:
            kept.append({"field": name, "code": "unreadable", "value": text[name],
                         "problem": " ".join(errors.pop(name))})
    return kept


# What people and systems write for a deal type: the same two, in Russian or in other words.
DEAL_TYPES = {
    "опт": "wholesale", "оптом": "wholesale", "оптовый": "wholesale", "оптовая": "wholesale", "оптовые": "wholesale",
    "оптовая закупка": "wholesale", "b2b": "wholesale", "розница": "retail", "в розницу": "retail",
    "розничный": "retail", "розничная": "retail", "розничные": "retail", "b2c": "retail",
}
# Channels nobody waits on to correct a refused field (a mailbox, a file, a call): a refusal there loses the person
# unless someone reads the journal.
ASYNCHRONOUS = {"email", "phone", "import"}
# Channels whose field names the sender chose (a website builder's webhook, a partner's script), read through
# intake.builders; Leadflow's own adapters (the inbox, imports, calls, the hosted page) write its names already.
BUILT_ELSEWHERE = {Channel.FORM, Channel.PARTNER, Channel.API}
# Set by a page's script or the sender's system, never typed by the person: no one can correct them on a form.
TRACKING = ("referrer", "landing_page", "visitor_id", "utm_source", "utm_medium", "utm_campaign", "utm_content",
            "utm_term")
# The person's own answers (or a partner's): a sender who waits is told; an asynchronous channel keeps them as given.
DESCRIPTIVE = ("deal_type", "company_size")


def _keep_other_fields(errors: dict[str, list[str]], payload: dict[str, Any], *, channel: str,
                       required: set[str]) -> list[dict[str, str]]:
    """A field besides the contacts that does not read is kept as given (with a warning) instead of refusing the
    person, where refusing would lose them or ask them for what they cannot correct:

    - on an asynchronous channel (the inbox, a file import, telephony), every such field: nobody is there to fix it;
    - on a web form, the tracking fields (referrer, landing page, visitor id, UTM tags) its script or the address
      sends, not the visitor.

    The API (partners, managers, scripts) still gets its per-field 422: its sender reads the answer and fixes the
    field. A field the form's or the partner's terms require is never loosened."""
    fields = {*TRACKING, *DESCRIPTIVE} if channel in ASYNCHRONOUS else set(TRACKING) if channel == "form" else set()
    kept = []
    for name in (*TRACKING, *DESCRIPTIVE):
        if name in fields and name in errors and name not in required:
            raw = payload.get(name)
            if name.startswith("utm_") and raw is None and isinstance(payload.get("utm"), dict):
                raw = payload["utm"].get(name.removeprefix("utm_"))
            value = _as_given(raw) or str(raw)[:1000]
            kept.append({"field": name, "code": "unreadable", "value": value, "problem": " ".join(errors.pop(name))})
    return kept


NAME_PART_LIMIT = 120  # a surname, a given name, a patronymic on the card (Lead.last_name ...)
FULL_NAME_LIMIT = 255  # the card's full name (Lead.full_name)


def _fitting(name: normalize.PersonName) -> tuple[normalize.PersonName, str, bool]:
    """The name's parts and its full name cut to the card's fields (cut_to), and whether anything was cut: a name
    split from 255 characters may have a part of 200, and three parts of 120 make a full name of 362."""
    parts = (name.last, name.first, name.middle)
    if all(len(part) <= NAME_PART_LIMIT for part in parts) and len(name.full) <= FULL_NAME_LIMIT:
        return name, name.full, False
    name = normalize.PersonName(*(cut_to(part, NAME_PART_LIMIT) for part in parts))
    return name, cut_to(name.full, FULL_NAME_LIMIT), True


def _completed(parts: normalize.PersonName, named: normalize.PersonName) -> normalize.PersonName:
    """The name given in parts, its missing parts taken from the name field: many forms and CRMs send the given name
    as "name" next to a separate "last_name" ({"name": "Иван", "last_name": "Петров"} is Петров Иван)."""
    given = {part.casefold() for part in (parts.last, parts.first, parts.middle) if part}

    def fill(own: str, other: str) -> str:
        return own or (other if other.casefold() not in given else "")

    last, first = fill(parts.last, named.last), fill(parts.first, named.first)
    # a patronymic only from the same person's full name ("Иванов Иван Иванович" next to Иван and Иванов)
    same_person = (last.casefold(), first.casefold()) == (named.last.casefold(), named.first.casefold())
    return normalize.PersonName(last=last, first=first, middle=parts.middle or (named.middle if same_person else ""))


_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")


def _phone_region(raw: Any, text: dict[str, str], errors: dict[str, list[str]]) -> str:
    """The country whose way of writing numbers the phone is read in: "region" when it is a country code (RU, kz).

    Partners also send the person's region there ("Москва", "мск", 77 - Moscow's region number): that is where the
    person is, not how their phone is written, so it fills an empty city instead of making every phone unreadable."""
    if isinstance(raw, str) and _COUNTRY_CODE.match(raw.strip()):
        code = raw.strip().upper()
        return code if code in phonenumbers.SUPPORTED_REGIONS else settings.LEADFLOW_DEFAULT_REGION
    if raw not in (None, "") and not isinstance(raw, bool) and isinstance(raw, str | int) and not text["city"]:
        text["city"] = _text({"city": raw}, "city", errors)
    return settings.LEADFLOW_DEFAULT_REGION


def _take_from_name(text: dict[str, str], region: str) -> None:
    """A phone or e-mail typed into the name field ("Иван +7 912 345-67-89") fills its own field when that is empty.

    Only a contact that reads cleanly is moved; the name field keeps its text either way (and the journal the raw)."""
    typed = text["name"] if not (text["first_name"] or text["last_name"]) else " ".join(
        (text["first_name"], text["last_name"], text["middle_name"]))
    for found in normalize.contacts_in_name(typed):
        field_name = "email" if "@" in found else "phone"
        if text[field_name]:
            continue
        try:
            if field_name == "email":
                normalize.normalize_email(found)
            else:
                normalize.normalize_phones(found, region=region)
        except normalize.NormalizationError:
            continue
        text[field_name] = found


_ADDRESS = re.compile(r"\S+@\S+")


def _to_their_own_fields(text: dict[str, str], region: str, *, required: set[str]) -> None:
    """An address typed into the phone field, or a number into the e-mail field, goes to its own field when that is
    empty: "ivan@mail.ru" as the phone (a form's fields or a file's columns swapped), "89123456789, ivan@mail.ru"
    as the phone, "ivan@mail.ru 89123456789" as the e-mail.

    Only what reads cleanly moves, and only into an empty field (a contact there is not replaced); what is left stays
    in its field and is read as before. A field the form or the partner requires keeps its error: the sender is asked
    for the phone they must give. The journal keeps both fields as sent."""
    if text["phone"] and not text["email"] and "@" in text["phone"] and "phone" not in required:
        addresses = _ADDRESS.findall(text["phone"])
        try:
            normalize.normalize_emails(" ".join(addresses))
        except normalize.NormalizationError:
            addresses = []
        if addresses:
            text["email"] = ", ".join(addresses)
            text["phone"] = _ADDRESS.sub(" ", text["phone"])
            text["phone"] = " ".join(text["phone"].split()).strip(" ,;/|")
    if text["email"] and not text["phone"] and re.search(r"\d", text["email"]) and "email" not in required:
        number = " ".join(_ADDRESS.sub(" ", text["email"]).split()).strip(" ,;/|")
        try:
            phones, rest, _problem = normalize.phones_and_rest(number, region=region)
        except normalize.NormalizationError:
            phones, rest = [], ""
        if phones and not rest:
            text["phone"] = number
            text["email"] = ", ".join(_ADDRESS.findall(text["email"]))


# What a partner's system or a spreadsheet column writes for a consent given: true/yes/1/on, and "да", "+", a tick,
# "1.0" (a number column saved as floats). Anything else (нет, 0, false, empty) is no consent.
TRUTHY = {"1", "1.0", "true", "yes", "on", "y", "да", "д", "+", "✓", "✔", "☑", "согласен", "согласна", "согласны",
          "agree", "agreed"}


def _consents_given(payload: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, bool]:
    """purpose -> given, from `consents` ({"processing": true, "marketing": false, ...}) and the older
    `consent` (= processing); each problem named by its field, e.g. `consents.marketing`."""
    given: dict[str, bool] = {}
    if "consent" in payload and payload["consent"] is not None:
        raw = payload["consent"]
        if isinstance(raw, list) and len(raw) == 1:  # a PHP form's checkbox, ["on"] (_text)
            raw = raw[0]
        if not isinstance(raw, bool | int | str):
            errors.setdefault("consent", []).append(_("Must be true or false."))
        else:
            text_given = not isinstance(raw, bool) and str(raw).strip().lower() in TRUTHY
            given[Purpose.PROCESSING] = raw is True or text_given
    consents = payload.get("consents")
    if consents is None:
        return given
    if not isinstance(consents, dict):
        errors.setdefault("consents", []).append(
            _('Must be an object of purposes, e.g. {"processing": true, "marketing": false}.'))
        return given
    for purpose, value in consents.items():
        name = f"consents.{purpose}"
        if purpose not in Purpose.values:
            errors.setdefault(name, []).append(
                _("Unknown purpose; use %(purposes)s.") % {"purposes": ", ".join(Purpose.values)})
        elif not isinstance(value, bool):
            errors.setdefault(name, []).append(_("Must be true or false."))
        elif purpose == Purpose.PROCESSING and purpose in given and given[purpose] != value:
            errors.setdefault(name, []).append(_("Disagrees with “consent”; send one of them."))
        else:
            given[purpose] = value
    return given


FORM_CONSENT_FIELDS = {
    Purpose.PROCESSING: ("consent_text", "consent_text_version"),
    Purpose.MARKETING: ("marketing_consent_text", "marketing_consent_text_version"),
    Purpose.PARTNERS: ("partners_consent_text", "partners_consent_text_version"),
}


def _statements(given: dict[str, bool], payload: dict[str, Any], *, form: Form | None,
                fallback_version: str) -> list[privacy.Statement]:
    """Each purpose consented to, with the version the sender names (per purpose, or one for all) and, for a
    form, the form's own words when that version is the one the form shows."""
    versions = payload.get("consent_text_versions")
    versions = versions if isinstance(versions, dict) else {}
    found = []
    for purpose in Purpose.values:
        if not given.get(purpose):
            continue
        version = versions.get(purpose) if isinstance(versions.get(purpose), str) else ""
        version = (version or fallback_version).strip()[:60]
        text = ""
        if form is not None:
            text_field, version_field = FORM_CONSENT_FIELDS[purpose]
            form_version = getattr(form, version_field)
            version = version or form_version
            if version == form_version:
                text = getattr(form, text_field)
        found.append(privacy.Statement(purpose=purpose, text_version=version, text=text))
    return found


def consent_channel(submission: Submission) -> str:
    """Where a consent came from: form:<slug>, partner:<name>, or the channel (api, manual, import, e-mail)."""
    if submission.form_id:
        return f"form:{submission.form.slug}"
    if submission.partner_id:
        return f"partner:{submission.partner.name}"[:60]
    return submission.channel


def _record_consents(submission: Submission, parsed: Parsed, *, lead: Lead | None = None,
                     client: Client | None = None, sync_summary: bool = True) -> None:
    """The submission's consents, in the same transaction as its lead or request."""
    if not parsed.statements:
        return
    privacy.record_statements(
        statements=parsed.statements, lead=lead, client=client, email=parsed.person.email,
        phone=parsed.person.phone, ip=submission.remote_addr, channel=consent_channel(submission),
        at=submission.received_at, by=submission.submitted_by, sync_summary=sync_summary,
    )


ERASED_REASON = "erased"


def _erased_person(submission: Submission, parsed: Parsed) -> list[Any]:
    """Tombstones this submission's contacts hit (the person's data was erased on their request): any contact it
    gives, the others too ("Also gave") and its Telegram accounts, or a partner sending the erased person's second
    address, or an import of their old interest known only by "@ivan_petrov", brings them back. One statement."""
    person = parsed.person
    return privacy.tombstones_for(
        emails=([person.email] if person.email else []) + list(person.other_emails),
        phones=([(person.phone, person.phone_ext)] if person.phone else [])
        + [normalize.split_phone_text(text) for text in person.other_phones],
        telegrams=person.messengers)


def _comes_back_by_themselves(submission: Submission, parsed: Parsed) -> bool:
    """Only the person themselves, through a web form with a fresh consent to processing, lifts an erasure;
    an import, a partner, a manager or an e-mail cannot bring them back."""
    return submission.form_id is not None and parsed.consent.given


def _refuse_erased(submission: Submission, errors: dict[str, list[str]]) -> Outcome:
    """Journaled and refused; the journal keeps the row (counts, the partner's bill), not the person.

    A public form never says that someone was erased (anyone may type anyone's address into it): it asks for
    the consent to processing, with which the person comes back by themselves."""
    from leadflow.privacy.rooms import KEPT_PAYLOAD_KEYS

    payload = submission.payload if isinstance(submission.payload, dict) else {}
    submission.payload = {**{k: payload[k] for k in KEPT_PAYLOAD_KEYS if k in payload}, "erased": True}
    submission.remote_addr = None
    message = _("This person's data was erased at their request: Leadflow does not take them from this channel. "
                "They may come back by themselves through a web form.")
    fields = {"__all__": [message]}
    if submission.form_id:
        fields = errors or {"consent": [_("Please agree to the processing of your personal data, or we cannot "
                                          "answer you.")]}
    _finish(submission, SubmissionStatus.INVALID, errors={"reason": ERASED_REASON, "fields": fields},
            payload=submission.payload, remote_addr=None)
    return outcome_of(submission)


# "50-100", "50 – 100 чел.", "100+", "от 100", "more than 100": a partner's or a form's size bracket; its lower bound
# is what is known of the company (warming's fit rules compare with "at least").
_SIZE_BRACKET = re.compile(
    r"^(?:от|более|свыше|больше|over|more\s+than|from|>|≥)?\s*(\d[\d\s.,]*?)\s*"
    r"(?:\+|(?:-|–|—|до|to)\s*\d[\d\s.,]*)?\s*(?:чел\.?|человек|сотрудников|employees|people)?$",
    re.IGNORECASE,
)


def _company_size(raw: Any, errors: dict[str, list[str]]) -> int | None:
    """Employees, as a whole number (warming's fit rules read it); "50", 50, 50.0, "1 000", "50-100" and "100+" do."""
    if raw is None or raw == "":
        return None
    size = -1
    if isinstance(raw, float) and raw.is_integer():
        size = int(raw)
    elif isinstance(raw, int | str) and not isinstance(raw, bool):
        bracket = _SIZE_BRACKET.match(" ".join(str(raw).split()))
        digits = re.sub(r"[\s.,]", "", bracket.group(1)) if bracket else ""
        # "1 000", "1,000", "1.000": thousands grouped; "12.5" is not a number of people
        grouped = bracket and re.fullmatch(r"\d{1,3}(?:[\s.,]\d{3})*|\d+", bracket.group(1).strip())
        size = int(digits) if digits and grouped else -1
    if not 0 <= size <= 10_000_000:
        errors.setdefault("company_size", []).append(_("Give the number of employees, e.g. 50."))
        return None
    return size


_marketing = Memo("marketing.Source", "marketing.Campaign")


def _campaign_for(utm_campaign: str) -> Campaign | None:
    if not utm_campaign:
        return None
    return _marketing.get(("campaign", utm_campaign),
                          lambda: Campaign.objects.filter(utm_campaign=utm_campaign).first())


def _first_touch(raw: Any, touch: leads.Touch, *, form: Form | None, partner: Partner | None) -> leads.Touch | None:
    """The visit a web form's script remembered from the visitor's first arrival, if it differs from this
    one. It is tracking data the visitor cannot correct, so a bad value is dropped rather than refused."""
    if not isinstance(raw, dict):
        return None
    ignored: dict[str, list[str]] = {}
    found = {name: _text(raw, name, ignored) for name in TOUCH_FIELDS}
    for url_field in ("referrer", "landing_page"):
        if not re.match(r"^https?://", found[url_field], re.IGNORECASE):
            found[url_field] = ""
    if not any(found.values()):
        return None
    source = _source_for(found["utm_source"], form=form, partner=partner)
    campaign = _campaign_for(found["utm_campaign"])
    first = leads.Touch(
        channel=touch.channel, source_id=source.pk if source else None, campaign_id=campaign.pk if campaign else None,
        utm={p: found[f"utm_{p}"] for p in ("source", "medium", "campaign", "content", "term")},
        referrer=found["referrer"], landing_page=found["landing_page"], visitor_id=touch.visitor_id,
    )
    return None if first.fields() == touch.fields() else first


def _source_for(utm_source: str, *, form: Form | None, partner: Partner | None) -> Source | None:
    if utm_source:
        key = utm_source.casefold()
        source = _marketing.get(("source", key), lambda: Source.objects.filter(utm_source__iexact=utm_source).first())
        if source:
            return source
    if partner and partner.source_id:
        return partner.source
    if form and form.source_id:
        return form.source
    return None


def classify(parsed: Parsed) -> tuple[str, str]:
    """spam | interest | lead, with the reason (DOMAIN.md section 1)."""
    person = parsed.person
    if parsed.honeypot:
        return "spam", "honeypot field filled"
    if parsed.spam_reason:
        return "spam", parsed.spam_reason
    if not (person.phone or person.email) and len(URL.findall(parsed.message)) >= 2:
        return "spam", "links without any contact"
    has_name = bool(person.first_name or person.last_name) and person.full_name.casefold() not in NOT_A_NAME
    has_name = has_name and parsed.name_given.strip().casefold() not in NOT_A_NAME
    words = re.findall(r"\w+", person.full_name.casefold())
    if words and all(word in TEST_NAME_WORDS for word in words):
        return "interest", TEST_ENTRY_REASON
    personal_email = bool(person.email) and not normalize.is_role_mailbox(person.email)
    # A company's main line without an extension reaches a switchboard, not the person; a toll-free, shared-cost
    # or single (UAN) number is a company's line whoever gives it. Any one direct number makes the person reachable.
    phones = [(person.phone, person.phone_ext, parsed.phone_type)] if person.phone else []
    phones += [(*normalize.split_phone_text(text), kind) for text, kind in zip(person.other_phones,
                                                                               parsed.other_phone_types, strict=False)]
    company_lines = [
        normalize.is_company_line(kind, extension=ext, company=person.company_name)
        for _, ext, kind in phones
    ]
    switchboard = bool(phones) and all(company_lines)
    personal_phone = bool(phones) and not switchboard
    if not has_name:
        return "interest", gettext_noop("no person's name")
    if not (personal_phone or personal_email):
        if switchboard:
            return "interest", gettext_noop("company switchboard number without a person's direct contact")
        if person.email:
            return "interest", gettext_noop("only a role mailbox, not a person's address")
        if person.messengers:
            return "interest", gettext_noop("only a messenger account, no phone or e-mail")
        return "interest", gettext_noop("no usable contact")
    return "lead", ""


def _gives(parsed: Parsed, purpose: str) -> bool:
    return any(statement.purpose == purpose for statement in parsed.statements)


def _team_for(submission: Submission, *, city: str = "", partners_consent: bool = False,
              switched_off: frozenset[int] = frozenset()) -> Team | None:
    """The team a new lead goes to; an inactive team (accounts.Team.is_active) is passed over, as if not set, and so
    is one in `switched_off` (found switched off since a process kept it: leads.services.create_lead)."""
    def takes_leads(holder: Any) -> bool:
        """The team of a partner, form or user that has one, active and not found switched off."""
        return bool(holder and holder.team_id and holder.team.is_active and holder.team_id not in switched_off)

    if takes_leads(submission.partner):
        return submission.partner.team
    # Dealers by region: a city a dealer covers goes to the dealer's team (partners.routing). A dealer is
    # another company: the person's contacts go there only with their consent to transfer to partners.
    dealer_team = dealer_team_for(city) if city and partners_consent else None
    if dealer_team is not None and dealer_team.pk not in switched_off:
        return dealer_team
    if takes_leads(submission.form):
        return submission.form.team
    payload = submission.payload if isinstance(submission.payload, dict) else {}
    mailbox_team = payload.get("team_id") if submission.channel in THREAD_CHANNELS else None
    if isinstance(mailbox_team, int) and mailbox_team not in switched_off and (
            team := Team.objects.filter(pk=mailbox_team, is_active=True).first()) is not None:
        return team  # the mailbox the e-mail came to (inbox.services writes it; a sender cannot)
    if takes_leads(submission.submitted_by):
        return submission.submitted_by.team
    return fallback_team(switched_off)


def team_now_for(submission: Submission | None, *, switched_off: frozenset[int] = frozenset()) -> Team | None:
    """The team a new lead of `submission` would go to now (its partner's, a dealer's, its form's, ... as _process
    picks it), passing over `switched_off`; with no submission, the team of a lead that names none.

    For a card made from the submission later (an interest promoted to a lead, leads.services.promote_interest) whose
    team has been switched off since: it goes where the intake would send the same submission today."""
    if submission is None:
        return fallback_team(switched_off)
    parsed, _errors = _parse(submission)
    return _team_for(submission, city=parsed.person.city, partners_consent=_gives(parsed, Purpose.PARTNERS),
                     switched_off=switched_off)


def fallback_team(switched_off: frozenset[int] = frozenset()) -> Team | None:
    """The default team, else the first active one: an inactive team gets no new leads, even as the default."""
    active = Team.objects.filter(is_active=True).exclude(pk__in=switched_off)
    return active.filter(is_default=True).first() or active.order_by("pk").first()


def _finish(submission: Submission, status: str, *, warnings: list[dict[str, str]] | None = None,
            **links: Any) -> None:
    if warnings:
        # Kept with the outcome (the same UPDATE): an idempotent replay and the status endpoint answer them too.
        links["errors"] = {**links.get("errors", {}), "warnings": warnings}
    # A replayed submission's earlier errors (a failure, a refusal) are not its outcome any more.
    links.setdefault("errors", {})
    for name, value in links.items():
        setattr(submission, name, value)
    submission.status = status
    submission.processed_at = timezone.now()
    # Not the payload: it was journaled on arrival and stays exactly as received. Written only while the row is as
    # this run found it (process): otherwise another run finished it first, and this one's work is undone.
    started_from = getattr(submission, "_started_from", None)
    condition = {"status": started_from} if started_from else None
    if rows.update(submission, "status", "processed_at", *links, only_if=condition) != 1 and condition:
        raise _TakenElsewhere


def pick_card(candidates: list[matching.Candidate], *, lock: bool = False) -> tuple[Lead | None, Client | None, str]:
    """The card a repeat touch belongs to, among candidates sure enough to attach automatically:
    a client first (the person already buys), then a lead in work, then the most recent lead.

    With `lock` (inside the transaction that attaches to it) a lead comes read under its row lock, with the
    team, owner and stage attach_request uses: one read instead of two."""
    sure = [c for c in candidates if c.score >= matching.upper_threshold()]
    contact_ids = [c.card_id for c in sure if c.card_type == CardType.CONTACT]
    lead_ids = [c.card_id for c in sure if c.card_type == CardType.LEAD]
    reasons = {(c.card_type, c.card_id): f"{c.score:.2f}: " + ", ".join(c.reasons) for c in sure}
    if contact_ids:
        client = (
            Client.objects.filter(contact_id__in=contact_ids).order_by("-is_active", "-created_at").first()
            or Client.objects.filter(company__contacts__id__in=contact_ids).order_by("-created_at").first()
        )
        if client is not None:
            contact_id = client.contact_id if client.contact_id in contact_ids else contact_ids[0]
            return None, client, reasons[(CardType.CONTACT, contact_id)]
    if len(lead_ids) == 1:
        # Nothing to choose between (a repeat's usual case): the card's own read says whether it was merged.
        lead = _read_card(lead_ids[0], lock=lock)
        if lead is not None and lead.state != LeadState.MERGED:
            return lead, None, reasons[(CardType.LEAD, lead.pk)]
    elif lead_ids:
        order = {LeadState.OPEN: 0, LeadState.DEFERRED: 1, LeadState.REFUSED: 2, LeadState.CONVERTED: 3}
        found = list(Lead.objects.filter(pk__in=lead_ids).exclude(state=LeadState.MERGED).values_list("pk", "state"))
        found.sort(key=lambda row: (order.get(row[1], 9), -row[0]))
        if found:
            pk = found[0][0]
            lead = leads.locked_lead(pk) if lock else Lead.objects.select_related("team", "owner", "stage").get(pk=pk)
            return lead, None, reasons[(CardType.LEAD, pk)]
    return None, None, ""


def _read_card(pk: int, *, lock: bool) -> Lead | None:
    """A lead with the team, owner and stage attach_request uses (and the team's head, whom a repeat to a card
    nobody owns tells); under its row lock with `lock`; None if gone."""
    cards = Lead.objects.select_related("team", "team__head", "owner", "stage")
    try:  # get(), not first(): an ORDER BY costs the ORM more to build than the rest of this statement
        return (cards.select_for_update(of=("self",)) if lock else cards).get(pk=pk)
    except Lead.DoesNotExist:
        return None


# Channels whose payload Leadflow's own adapter writes (never the sender), so a card named in it is trusted.
THREAD_CHANNELS = {"email"}


def thread_card(submission: Submission) -> tuple[Lead | None, Client | None, str] | None:
    """The card an earlier message of the same conversation went to (payload "thread_card": {"lead"|"client": id}):
    a reply belongs there whoever sends it."""
    hint = submission.payload.get("thread_card") if isinstance(submission.payload, dict) else None
    if submission.channel not in THREAD_CHANNELS or not isinstance(hint, dict):
        return None
    client = Client.objects.filter(pk=hint.get("client")).first() if hint.get("client") else None
    lead = Lead.objects.filter(pk=hint.get("lead")).first() if hint.get("lead") and not client else None
    while lead is not None and lead.merged_into_id:
        lead = lead.merged_into
    if lead is not None and lead.state == LeadState.CONVERTED:
        client = Client.objects.filter(lead=lead).first() or client
        lead = None if client else lead
    # A card erased at the person's request takes nothing more: a reply in their thread (a colleague's, or the
    # person's from an address not tombstoned) is a new person's request, found and matched as any other.
    if (lead is not None and lead.erased_at) or (client is not None and client.erased_at):
        return None
    if lead is None and client is None:
        return None
    return lead, client, "reply in an e-mail thread of this card"


def _process(submission: Submission) -> Outcome:
    parsed, errors = _parse(submission)
    warnings = parsed.warnings
    if parsed.honeypot:
        # Only bots fill the hidden field: spam whatever else is wrong with the submission.
        # (the same warnings as any submission: from outside, spam looks like everything else)
        _finish(submission, SubmissionStatus.SPAM, errors={"reason": "honeypot field filled"},
                warnings=warnings)
        return outcome_of(submission)
    erased = _erased_person(submission, parsed)
    if erased:
        if errors or not _comes_back_by_themselves(submission, parsed):
            return _refuse_erased(submission, errors)
        privacy.lift_tombstones(tombstones=erased, submission_id=submission.pk)
    if errors:
        _finish(submission, SubmissionStatus.INVALID, errors={"fields": errors}, warnings=warnings)
        return outcome_of(submission)
    kind, reason = classify(parsed)
    if kind == "spam":
        _finish(submission, SubmissionStatus.SPAM, errors={"reason": reason}, warnings=warnings)
        return outcome_of(submission)
    person = parsed.person
    matching.lock_identity(person.keys())
    team = _team_for(submission, city=person.city, partners_consent=_gives(parsed, Purpose.PARTNERS))

    def instead(off: Team) -> Team | None:
        """The team for a card whose team, kept per process, was switched off since: the next one, as if not set."""
        return _team_for(submission, city=person.city, switched_off=frozenset({off.pk}),
                         partners_consent=_gives(parsed, Purpose.PARTNERS))

    hinted = thread_card(submission)
    if kind == "interest" and hinted is None:
        interest = leads.create_interest(
            name=parsed.name_given, person=person, touch=parsed.touch, reason=reason, team=team,
            message=parsed.message, submission_id=submission.pk, now=submission.received_at,
            team_if_switched_off=instead,
        )
        _record_consents(submission, parsed)
        _finish(submission, SubmissionStatus.INTEREST, interest=interest, errors={"reason": reason}, warnings=warnings)
        return outcome_of(submission)

    candidates = [] if hinted else matching.find(person.keys())
    lead, client, matched_by = hinted or pick_card(candidates, lock=True)
    if lead is not None or client is not None:
        leads.attach_request(
            lead=lead, client=client, person=person, touch=parsed.touch, message=parsed.message,
            submission_id=submission.pk, matched_by=matched_by, now=submission.received_at, locked=not hinted,
        )
        _record_consents(submission, parsed, lead=lead, client=client)
        _finish(submission, SubmissionStatus.ATTACHED, lead=lead, client=client, warnings=warnings)
        return outcome_of(submission)

    if submission.partner_id:  # the partner's terms (required fields, regions, products, daily cap)
        rejected = partner_terms.rejections(partner=submission.partner, parsed=parsed, payload=submission.payload,
                                            now=submission.received_at)
        if rejected:
            _finish(submission, SubmissionStatus.INVALID, errors={"fields": rejected, "reason": "partner terms"},
                    warnings=warnings)
            return outcome_of(submission)
    lead = leads.create_lead(
        person=person, touch=parsed.touch, team=team, consent=parsed.consent, message=parsed.message,
        team_if_switched_off=instead,
        submission_id=submission.pk, by=submission.submitted_by, now=submission.received_at,
        possible_duplicate=any(c.card_type in (CardType.LEAD, CardType.CONTACT) for c in candidates),
        first_touch=parsed.first_touch,
        nurture=bool(submission.form and submission.form.hand_to_sales == "when_hot"),
    )
    # create_lead wrote the processing-consent summary from parsed.consent already.
    _record_consents(submission, parsed, lead=lead, sync_summary=False)
    earned = {"payout_lead": partner_terms.payout_for(submission.partner, "accepted")} if submission.partner_id else {}
    _finish(submission, SubmissionStatus.CREATED, lead=lead, warnings=warnings, **earned)
    return outcome_of(submission)


@dataclass
class Preview:
    """What `receive` would do with an inbound, decided without writing anything (dry runs)."""

    status: str
    parsed: Parsed | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    reason: str = ""
    lead: Lead | None = None
    client: Client | None = None
    matched_by: str = ""
    # The slips a real run would answer (pipeline.Parsed.warnings): an import's dry run shows them per row.
    warnings: list[dict[str, str]] = field(default_factory=list)


def preview(inbound: Inbound) -> Preview:
    """Steps 2-5 (normalise, validate, classify, match) on an unsaved submission: reads only."""
    submission = Submission(
        channel=inbound.channel, payload=inbound.payload, received_at=inbound.received_at, form=inbound.form,
        partner=inbound.partner, submitted_by=inbound.submitted_by, sender=_sender(inbound),
    )
    parsed, errors = _parse(submission)
    if _erased_person(submission, parsed) and (errors or not _comes_back_by_themselves(submission, parsed)):
        message = _("This person's data was erased at their request: Leadflow does not take them from this "
                    "channel. They may come back by themselves through a web form.")
        return Preview(SubmissionStatus.INVALID, errors={"__all__": [message]}, reason=ERASED_REASON)
    if errors:
        return Preview(SubmissionStatus.INVALID, errors=errors, warnings=parsed.warnings)
    kind, reason = classify(parsed)
    if kind == "spam":
        return Preview(SubmissionStatus.SPAM, parsed=parsed, reason=reason, warnings=parsed.warnings)
    if kind == "interest":
        return Preview(SubmissionStatus.INTEREST, parsed=parsed, reason=reason, warnings=parsed.warnings)
    lead, client, matched_by = pick_card(matching.find(parsed.person.keys()))
    if lead is not None or client is not None:
        return Preview(SubmissionStatus.ATTACHED, parsed=parsed, lead=lead, client=client, matched_by=matched_by,
                       warnings=parsed.warnings)
    return Preview(SubmissionStatus.CREATED, parsed=parsed, warnings=parsed.warnings)


def shown_warnings(warnings: list[dict[str, str]]) -> list[dict[str, str]]:
    """Warnings as a sender reads them: each with its message, in the active language."""
    shown = []
    for warning in warnings:
        if warning.get("code") == "too_long":
            message = _("The text is longer than the %(limit)s characters this field holds: its beginning is in the "
                        "field and the whole text is kept as given for a manager to read.") % {
                "limit": warning.get("limit", "")}
            shown.append({**warning, "message": message})
            continue
        if warning.get("code") == "unreadable":
            message = _("“%(value)s” could not be read (%(problem)s); it is kept as given for a manager to "
                        "check.") % {"value": warning.get("value", ""), "problem": warning.get("problem", "")}
            if warning.get("suggestion"):
                message += " " + _("Did you mean %(suggestion)s?") % {"suggestion": warning["suggestion"]}
            shown.append({**warning, "message": message})
            continue
        message = _("Did you mean %(suggestion)s?") % {
            "suggestion": warning.get("suggestion", "")}
        shown.append({**warning, "message": message})
    return shown


def require_valid(outcome: Outcome) -> Outcome:
    """For synchronous channels: raise the per-field errors of an invalid submission."""
    if outcome.status == SubmissionStatus.INVALID:
        raise InvalidInput(outcome.errors)
    return outcome
