"""Record consents and answer "may we?" for a person and a purpose; find, export and erase a person.

Consent (152-FZ as amended in 2025): each purpose is its own record with the exact text and version the
person saw, when, from which address and through which channel; a withdrawal is another record; the
latest record per purpose holds. `Lead.consent_*` is a summary of the processing consent, kept in step.

Data-subject requests: `find_person` gathers every card of one person; every room that keeps personal
data registers an exporter and an eraser (`@exporter(name)`, `@eraser(name)`; the built-in rooms are in
`leadflow.privacy.rooms`, other apps put theirs in a `privacy.py` module, found at start-up);
`erase_person` runs them all in one transaction, logs the erasure (no personal data) and leaves keyed
hashes of the e-mails, phones and Telegram accounts (tombstones) so the person is not recreated by an import or a
partner.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.core.errors import DomainError, Forbidden, InvalidInput
from leadflow.core.rows import insert
from leadflow.events.services import record_event
from leadflow.privacy.models import Consent, ErasureLog, Purpose, Tombstone, TombstoneKind

if TYPE_CHECKING:
    from leadflow.accounts.models import User
    from leadflow.clients.models import Client
    from leadflow.leads.models import Lead

PURPOSES = tuple(Purpose.values)


# ---------------------------------------------------------------- consent records


def record_consent(
    *, purpose: str, given: bool = True, lead: Any = None, client: Any = None, email: str = "", phone: str = "",
    text_version: str = "", text: str = "", ip: str | None = None, channel: str = "", by: Any = None,
    at: datetime | None = None,
) -> Consent:
    """One consent given or withdrawn; the lead's summary of the processing consent follows it."""
    consent = Consent.objects.create(
        purpose=purpose, given=given, lead=lead, client=client, email=(email or "").strip().lower(), phone=phone,
        text_version=text_version[:60], text=text, ip=ip or None, channel=channel[:60], recorded_by=by,
        at=at or timezone.now(),
    )
    if lead is not None and purpose == Purpose.PROCESSING:
        sync_lead_summary(lead)
    return consent


def has_consent(*, purpose: str, lead: Any = None, client: Any = None, email: str = "") -> bool:
    """True when the latest record for this purpose, by the card or by the e-mail address, gives consent."""
    # A withdrawal by address (an unsubscribe link) holds for every card with that address.
    email = email or getattr(lead, "email", "") or getattr(getattr(client, "contact", None), "email", "")
    who = Q()
    if lead is not None:
        who |= Q(lead=lead)
    if client is not None:
        who |= Q(client=client)
    if email:
        who |= Q(email=email.strip().lower())
    if not who:
        return False
    latest = Consent.objects.filter(who, purpose=purpose).order_by("-at", "-pk").values_list("given", flat=True).first()
    return bool(latest)


def sync_lead_summary(lead: Lead) -> None:
    """Lead.consent_* say what the latest processing-consent record of the card says."""
    from leadflow.leads.models import Lead

    latest = Consent.objects.filter(lead=lead, purpose=Purpose.PROCESSING).order_by("-at", "-pk").first()
    if latest is None:
        return
    fields = {"consent_given": latest.given}
    if latest.given:
        fields.update(consent_at=latest.at, consent_text_version=latest.text_version, consent_channel=latest.channel)
    Lead.objects.filter(pk=lead.pk).update(**fields)
    for name, value in fields.items():
        setattr(lead, name, value)


@dataclass(frozen=True)
class Statement:
    """One purpose a submission gave consent to, with the words the person saw."""

    purpose: str
    text_version: str = ""
    text: str = ""


def record_statements(
    *, statements: Iterable[Statement], lead: Any = None, client: Any = None, email: str = "", phone: str = "",
    ip: str | None = None, channel: str = "", at: datetime | None = None, by: Any = None, sync_summary: bool = True,
) -> list[Consent]:
    """The consents of one submission, written in the caller's transaction (the pipeline's), one statement."""
    at = at or timezone.now()
    rows = [
        insert(Consent(purpose=s.purpose, given=True, lead=lead, client=client, email=(email or "").strip().lower(),
                       phone=phone, text_version=s.text_version[:60], text=s.text, ip=ip or None,
                       channel=channel[:60], recorded_by=by, at=at))
        for s in statements
    ]
    processing = [row for row in rows if row.purpose == Purpose.PROCESSING]
    if sync_summary and lead is not None and processing and not _summary_follows(lead, processing[-1]):
        sync_lead_summary(lead)
    return rows


_summary_statements: dict[str, str] = {}


def _summary_follows(lead: Lead, consent: Consent) -> bool:
    """Make the lead's summary say what `consent` (a processing consent just given) says, unless the card holds a
    later processing record (a withdrawal recorded after a replayed submission arrived); False then.

    One UPDATE guarded by NOT EXISTS instead of reading the latest record back through the ORM and writing it: this
    runs for every repeat submission (docs/benchmarks.md, intake)."""
    from leadflow.leads.models import Lead

    fields = {"consent_given": True, "consent_at": consent.at, "consent_text_version": consent.text_version,
              "consent_channel": consent.channel}
    sql = _summary_statements.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        sets = ", ".join(f"{quote(Lead._meta.get_field(name).column)} = %s" for name in fields)
        # Only quoted table and column names are formatted in; every value is a parameter.
        sql = _summary_statements[connection.vendor] = (
            f"UPDATE {quote(Lead._meta.db_table)} SET {sets} WHERE id = %s AND NOT EXISTS ("  # noqa: S608
            f"SELECT 1 FROM {quote(Consent._meta.db_table)} WHERE lead_id = %s AND purpose = %s "
            "AND (at > %s OR (at = %s AND id > %s)))"
        )
    values = [Lead._meta.get_field(name).get_db_prep_save(value, connection) for name, value in fields.items()]
    at = Consent._meta.get_field("at").get_db_prep_value(consent.at, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, lead.pk, lead.pk, Purpose.PROCESSING, at, at, consent.pk])
        if cursor.rowcount != 1:
            return False
    for name, value in fields.items():
        setattr(lead, name, value)
    return True


def channel_label(channel: str) -> str:
    """'web form “contact”', 'partner “CPA”', 'card (withdrawn by alice)': where a consent came from."""
    from leadflow.leads.models import Channel

    kind, _sep, rest = channel.partition(":")
    if kind == "form" and rest:
        return _("web form “%(form)s”") % {"form": rest}
    if kind == "partner" and rest:
        return _("partner “%(partner)s”") % {"partner": rest}
    if kind == "card":
        return _("on the card")
    if kind == "unsubscribe":
        return _("unsubscribe link")
    if kind == "migration":
        return _("from the lead's earlier consent summary")
    return str(dict(Channel.choices).get(channel, channel))


def can_manage_consents(user: User, *, lead: Lead | None = None, client: Client | None = None) -> bool:
    """The card's owner, the head of its team, or an admin may record a withdrawal on it."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_admin:
        return True
    card = lead or client
    if card is None:
        return False
    if card.owner_id == user.pk:
        return True
    if user.role != "head":
        return False
    from leadflow.leads.querysets import headed_team_ids

    return card.team_id is not None and card.team_id in headed_team_ids(user)


def withdraw_consent(*, purpose: str, by: User, lead: Lead | None = None, client: Client | None = None,
                     channel: str = "card", text_version: str = "") -> Consent:
    """Record that the person withdrew a consent (told the manager, wrote a letter): a record of its own."""
    if purpose not in PURPOSES:
        raise InvalidInput({"purpose": [_("Unknown purpose; use one of: %(list)s.") % {"list": ", ".join(PURPOSES)}]})
    if lead is None and client is None:
        raise InvalidInput({"__all__": [_("Name the lead or the client.")]})
    if not can_manage_consents(by, lead=lead, client=client):
        raise Forbidden(_("Only the owner, the head of the team or an admin may do this."))
    email, phone = _card_contacts(lead=lead, client=client)
    with transaction.atomic():
        consent = record_consent(purpose=purpose, given=False, lead=lead, client=client, email=email, phone=phone,
                                 channel=channel, by=by, text_version=text_version)
        record_event("consent.withdrawn", consent_id=consent.pk, purpose=purpose,
                     lead_id=lead.pk if lead else None, client_id=client.pk if client else None)
    return consent


def _card_contacts(*, lead: Any, client: Any) -> tuple[str, str]:
    if lead is not None:
        return lead.email, lead.phone
    contact = getattr(client, "contact", None)
    return (contact.email, contact.phone) if contact is not None else ("", "")


def consent_history(*, lead: Lead | None = None, client: Client | None = None) -> list[Consent]:
    """Every consent record of the card (and, for a client, of the lead it came from), newest first."""
    who = Q()
    if lead is not None:
        who |= Q(lead=lead)
    if client is not None:
        who |= Q(client=client)
        if client.lead_id:
            who |= Q(lead_id=client.lead_id)
    if not who:
        return []
    return list(Consent.objects.filter(who).select_related("recorded_by").order_by("-at", "-pk"))


def current_consents(history: list[Consent]) -> dict[str, bool]:
    """purpose -> given, from the latest record per purpose of a history (newest first)."""
    current: dict[str, bool] = {}
    for consent in history:
        current.setdefault(consent.purpose, consent.given)
    return current


# ---------------------------------------------------------------- the person

Card = tuple[str, int]  # (matching.CardType: "lead", "contact", "interest"; the row's id)
Value = tuple[str, str, str]  # ("email", address, "") or ("phone", E.164, extension)
CARD_TYPES = ("lead", "contact", "interest")


def value_text(value: Value) -> str:
    """An e-mail as stored, a phone as other contacts keep it ("+74951234567 ext. 12")."""
    _kind, text, extension = value
    return f"{text} ext. {extension}" if extension else text


@dataclass(frozen=True)
class Join:
    """Why a card is the person's, for the confirmation page: it holds `value`, a contact of the card `via` (no
    `via`: the contact searched for), or it is tied to `via` (no value: a client's lead and contact, a merged card,
    a promoted interest); a card named by its id has neither. `score`: the matcher's, when it compared the card
    with `via` (a card left out scored below the automatic attach)."""

    card: Card
    value: Value | None = None
    via: Card | None = None
    score: float | None = None
    kept_by: int | None = None  # the earlier erasure that left `value` on this card (ErasureLog id)

    @property
    def value_text(self) -> str:
        return value_text(self.value) if self.value else ""

    @property
    def ref(self) -> str:
        return card_ref(self.card)


def card_ref(card: Card) -> str:
    """"lead:5": how the page and the API name a card to leave in (`include`)."""
    return f"{card[0]}:{card[1]}"


def parse_cards(refs: Iterable[str], *, name: str = "include") -> set[Card]:
    """Cards named as "lead:5", "contact:7", "interest:3"; InvalidInput naming the field (`name`) for anything
    else."""
    cards: set[Card] = set()
    for ref in refs:
        kind, _sep, number = str(ref).partition(":")
        if kind not in CARD_TYPES or not number.isdigit():
            raise InvalidInput({name: [_("“%(ref)s” is not a card: use lead:<id>, contact:<id> or "
                                         "interest:<id>.") % {"ref": ref}]})
        cards.add((kind, int(number)))
    return cards


def mask(value: Value) -> str:
    """A contact as the erasure log and another card's history keep it once the person is erased: enough for the
    admin to tell which one it was ("+7916*****33", "z***@example.ru"), never the whole value again."""
    kind, text, extension = value
    if kind == "email":
        local, _at, domain = text.rpartition("@")
        return f"{local[:1]}***@{domain}"
    shown = f"{text[:5]}{'*' * max(len(text) - 7, 3)}{text[-2:]}"
    return f"{shown} ext. {extension}" if extension else shown


def contact_key(value: Value) -> str:
    """A keyed hash of a contact in its normalised form (an e-mail's canonical mailbox, a phone with its
    extension), the tombstones' form: what the erasure log keeps next to a masked contact, so a later erasure
    tells "+79161112233" from "+79165554433" (both "+7916*****33") on the same card without the log holding
    either."""
    kind, text, extension = value
    if kind == "email":
        from leadflow.matching.record import canonical_email

        return f"{key_id()}:{digest('email', canonical_email(text))}"
    return f"{key_id()}:{digest('phone', f'{text};{extension}')}"


def key_id() -> str:
    """Which key the hashes are made with (a keyed hash of nothing, its first eight digits), written before each
    contact_key: LEADFLOW_ERASURE_KEY, else the secret key, may be set or changed after an erasure, and a hash made
    with another key never matches again. A row whose key was another is matched by its mask as before the hashes
    (trusted_key): the card an erasure left a contact on must never be taken for the person when they ask again."""
    return digest("key-id", "")[:8]


def trusted_key(item: dict[str, Any]) -> str:
    """The erasure log row's keyed hash without its key id (as _hash_of reads a contact_key) when it was made with
    the current key or carries no key id (logged before the ids), else "": its mask is what tells the contact then."""
    key = item.get("key")
    if not isinstance(key, str) or not key:
        return ""
    made_with, colon, hashed = key.rpartition(":")
    return hashed if not colon or made_with == key_id() else ""


def _hash_of(value: Value) -> str:
    """A contact's keyed hash with the current key, as trusted_key reads the log's."""
    return contact_key(value).rpartition(":")[2]


def value_of_text(text: str) -> Value | None:
    """The contact a stored text stands for, compared as the matcher compares them (an e-mail's canonical mailbox:
    case, +tag, Gmail's dots; a phone with its extension); None for anything else."""
    from leadflow.matching.normalize import split_phone_text
    from leadflow.matching.record import canonical_email

    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    if "@" in text:
        return ("email", canonical_email(text), "")
    if text.startswith("+"):
        e164, extension = split_phone_text(text)
        return ("phone", e164, extension)
    return None


def same_contact(value: Value) -> Value:
    """`value` in the form value_of_text gives (a card's own e-mail is kept as typed, a key's as its mailbox)."""
    kind, text, _extension = value
    return value_of_text(text) or value if kind == "email" else value


def mailbox_regex(emails: Iterable[str], *, anchored: bool = True) -> str:
    """A regular expression (the common part of Python's and PostgreSQL's dialects, for `__iregex`) matching every
    spelling of the mailboxes: the matcher's canonical form read backwards (matching.record.canonical_email: any
    case, a +tag, the provider's alias domains, Gmail's dots anywhere, Yandex's "." for "-"). One pattern for all,
    so a lookup reads the table once however many addresses the person gave."""
    from leadflow.matching.record import _providers, canonical_email

    aliases, _free = _providers()
    patterns = []
    for canonical in sorted({canonical_email(email) for email in emails if "@" in email}):
        local, _at, domain = canonical.rpartition("@")
        domains = sorted({domain, *(alias for alias, target in aliases.items() if target == domain)})

        def char(ch: str, domain: str = domain) -> str:
            if domain == "gmail.com":
                return (ch if ch.isalnum() else "\\" + ch) + "\\.*"
            if domain == "yandex.ru" and ch == "-":
                return "[-.]"
            return ch if ch.isalnum() else "\\" + ch

        body = "".join(char(ch) for ch in local)
        if domain == "gmail.com":
            body = "\\.*" + body
        hosts = "|".join("".join(ch if ch.isalnum() else "\\" + ch for ch in host) for host in domains)
        patterns.append(f"{body}(\\+[^@]*)?@({hosts})")
    if not patterns:
        return ""
    alternatives = "|".join(f"({pattern})" for pattern in patterns)
    # Not anchored: a mailer's Message-ID ("<1234.ivan@example.com>") or a report's text holds the address after a
    # dot or a bracket; a letter or digit before it, or the domain going on after it, is another address.
    return f"^({alternatives})$" if anchored else f"(^|[^a-z0-9])({alternatives})($|[^a-z0-9.-]|[.-]($|[^a-z0-9]))"


@dataclass
class Person:
    """Everything that identifies one person across the rooms: contacts and the cards that hold them.

    `joins` says why each card is theirs; `left_out` are cards that hold one of their contacts but that the matcher
    takes for another person (a shared office line, info@company): not erased unless the admin includes them, and
    the contacts they share (`shared`) are neither tombstoned nor used to find rows in other rooms (another
    person's calls and letters come from them too)."""

    emails: set[str] = field(default_factory=set)
    phones: set[tuple[str, str]] = field(default_factory=set)  # (E.164, extension)
    # Telegram accounts as requests keep them ("t.me/ivan_petrov"): the one searched for and every one the person's
    # requests gave, read before anything is erased (tombstoned like the e-mails and phones).
    telegrams: set[str] = field(default_factory=set)
    lead_ids: set[int] = field(default_factory=set)
    client_ids: set[int] = field(default_factory=set)
    contact_ids: set[int] = field(default_factory=set)
    company_ids: set[int] = field(default_factory=set)  # sole proprietors' companies only (their data is personal)
    interest_ids: set[int] = field(default_factory=set)
    visitor_ids: set[str] = field(default_factory=set)
    joins: dict[Card, Join] = field(default_factory=dict)
    left_out: dict[Card, Join] = field(default_factory=dict)
    shared: set[Value] = field(default_factory=set)
    # Each card left out: every contact of the person it holds (`shares`), those only among its other contacts
    # (`removable`: its own phone or e-mail never is), and those the admin chose to take off it (`stripped`).
    shares: dict[Card, set[Value]] = field(default_factory=dict)
    removable: dict[Card, set[Value]] = field(default_factory=dict)
    stripped: dict[Card, set[Value]] = field(default_factory=dict)
    erased_by: Any = None  # the administrator, for the audit of the cards the erasure changes (set by erase_person)
    # The person's surnames and given names as their cards spell them, read before anything is erased: what names
    # them in another person's letter that copies or quotes them (privacy.rooms.scrub_text).
    surnames: set[str] = field(default_factory=set)
    given_names: set[str] = field(default_factory=set)
    # Other people's rows the erasers took the person out of ({"row": "activity:12", "card": "lead:7", "fields":
    # ["body"]}), for the erasure log.
    redacted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def e164s(self) -> set[str]:
        return {e164 for e164, _ext in self.phones}

    @property
    def is_empty(self) -> bool:
        return not (self.emails or self.phones or self.lead_ids or self.client_ids or self.interest_ids)

    @property
    def shared_texts(self) -> list[str]:
        return sorted(value_text(value) for value in self.shared)

    @property
    def mailboxes(self) -> set[str]:
        """The person's e-mails as the matcher keys them (canonical mailboxes)."""
        from leadflow.matching.record import canonical_email

        return {canonical_email(email) for email in self.emails}

    def names_mailbox(self, address: str) -> bool:
        """Whether an address, however spelled, is one of the person's mailboxes."""
        from leadflow.matching.record import canonical_email

        return bool(address) and canonical_email(address) in self.mailboxes

    def left_out_rows(self) -> list[dict[str, Any]]:
        """What the erasure log keeps of the cards left out: the card, each contact it shares with the person masked,
        and whether it was taken off that card."""
        return [{"card": card_ref(card), "contact": mask(value), "key": contact_key(value),
                 "removed": value in self.stripped.get(card, set())}
                for card in sorted(self.shares) for value in sorted(self.shares[card])]

    def ids(self, card_type: str) -> set[int]:
        return {"lead": self.lead_ids, "contact": self.contact_ids, "interest": self.interest_ids}[card_type]

    def describe(self) -> dict[str, Any]:
        return {
            "emails": sorted(self.emails), "phones": [e + (f" ext. {x}" if x else "") for e, x in sorted(self.phones)],
            "telegrams": sorted(self.telegrams),
            "lead_ids": sorted(self.lead_ids), "client_ids": sorted(self.client_ids),
            "contact_ids": sorted(self.contact_ids), "company_ids": sorted(self.company_ids),
            "interest_ids": sorted(self.interest_ids),
        }


def _phone_q(phones: set[tuple[str, str]], field_name: str = "phone", ext_name: str = "phone_ext") -> Q:
    condition = Q(pk__in=[])
    for e164, ext in phones:
        condition |= Q(**{field_name: e164, ext_name: ext})
    return condition


def is_sole_proprietor(company: Any) -> bool:
    """An individual entrepreneur (ИП): the company's name, INN, OGRNIP and address are one person's data."""
    return company is not None and (company.legal_form.strip().upper() == "ИП" or len(company.inn or "") == 12)


def normalised_contacts(*, email: str = "", phone: str = "") -> tuple[set[str], set[tuple[str, str]]]:
    """The e-mail and phone as Leadflow stores them (leadflow.matching); InvalidInput naming the field."""
    from leadflow.matching import normalize

    emails: set[str] = set()
    phones: set[tuple[str, str]] = set()
    errors: dict[str, list[str]] = {}
    if email:
        try:
            emails.add(normalize.normalize_email(email))
        except normalize.NormalizationError as error:
            errors["email"] = [str(error)]
    if phone:
        try:
            parsed = normalize.normalize_phone(phone, region=settings.LEADFLOW_DEFAULT_REGION)
            phones.add((parsed.e164, parsed.extension))
        except normalize.NormalizationError as error:
            errors["phone"] = [str(error)]
    if errors:
        raise InvalidInput(errors)
    return emails, phones


def normalised_telegram(telegram: str) -> str:
    """A Telegram account as requests keep it ("t.me/ivan_petrov"), "" for none; InvalidInput naming `telegram`."""
    from leadflow.matching import normalize

    if not telegram.strip():
        return ""
    try:
        return normalize.normalize_telegram(telegram)
    except normalize.NormalizationError as error:
        raise InvalidInput({"telegram": [str(error)]}) from error


def _telegram_cards(account: str, person: Person) -> list[Card]:
    """The cards that hold the Telegram account (a lead's or a contact's own, given on intake or typed by a manager)
    or whose requests gave it (intake keeps it in the request's facts, "messengers"): a lead, an interest, a client's
    contact (the client is the person's too). The cards' own by an index lookup; the requests' narrowed by the text
    of the facts, each row's list confirming."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from leadflow.clients.models import Client, Contact
    from leadflow.leads.models import Lead, Request

    cards: list[Card] = [("lead", pk) for pk in Lead.objects.filter(telegram=account).order_by("pk")
                         .values_list("pk", flat=True)]
    cards += [("contact", pk) for pk in Contact.objects.filter(telegram=account).order_by("pk")
              .values_list("pk", flat=True)]
    rows = Request.objects.annotate(text=Cast("facts", TextField())).filter(text__icontains=f'"{account}"')
    client_ids = set()
    for facts, lead_id, client_id, interest_id in rows.order_by("pk").values_list("facts", "lead_id", "client_id",
                                                                                   "interest_id"):
        given = facts.get("messengers") if isinstance(facts, dict) else None
        if not isinstance(given, list) or account not in {str(item).lower() for item in given}:
            continue
        cards += [("lead", lead_id)] if lead_id else []
        cards += [("interest", interest_id)] if interest_id else []
        client_ids |= {client_id} if client_id else set()
    for pk, contact_id in Client.objects.filter(pk__in=client_ids).values_list("pk", "contact_id"):
        person.client_ids.add(pk)
        cards += [("contact", contact_id)] if contact_id else []
    return list(dict.fromkeys(cards))


def _telegrams_of(person: Person) -> set[str]:
    """Every Telegram account the person's cards hold and their requests gave (their facts' "messengers"), whichever
    contact found them: a person found by their phone whose interest also gave "@ivan_petrov", or whose card a
    manager typed it into, is tombstoned by that account too."""
    from leadflow.clients.models import Contact
    from leadflow.leads.models import Lead, Request

    found: set[str] = {account for account in Lead.objects.filter(pk__in=person.lead_ids).exclude(telegram="")
                       .values_list("telegram", flat=True)}
    found |= set(Contact.objects.filter(pk__in=person.contact_ids).exclude(telegram="")
                 .values_list("telegram", flat=True))
    rows = Request.objects.filter(Q(lead_id__in=person.lead_ids) | Q(client_id__in=person.client_ids)
                                  | Q(interest_id__in=person.interest_ids))
    for facts in rows.values_list("facts", flat=True):
        given = facts.get("messengers") if isinstance(facts, dict) else None
        if isinstance(given, list):
            found |= {telegram_key(str(item)) for item in given} - {""}
    return found


def telegram_key(account: str) -> str:
    """A Telegram account in the one form its tombstone is hashed and a text is searched with ("t.me/ivan_petrov",
    lower case), however it was written; "" for what is not one."""
    from leadflow.matching import normalize

    try:
        return normalize.normalize_telegram(account)
    except normalize.NormalizationError:
        return ""


def _card_models() -> dict[str, Any]:
    from leadflow.clients.models import Contact
    from leadflow.leads.models import Interest, Lead

    return {"lead": Lead, "contact": Contact, "interest": Interest}


def _holders(values: set[Value]) -> dict[Value, set[Card]]:
    """The cards holding each contact: as their own phone or e-mail, or as one of their identity keys (every
    contact a card is found by: its other contacts, what its requests also gave). An e-mail key is the mailbox's
    canonical form (matching.record.canonical_email), so "Ivan.Petrov+crm@gmail.com" finds "ivanpetrov@gmail.com"."""
    from leadflow.matching.models import IdentityKey, KeyKind
    from leadflow.matching.record import canonical_email

    found: dict[Value, set[Card]] = {}
    emails = {text for kind, text, _x in values if kind == "email"}
    phones = {(text, extension) for kind, text, extension in values if kind == "phone"}
    if not (emails or phones):
        return found
    for card_type, model in _card_models().items():
        rows = model.objects.filter(Q(email__in=emails) | _phone_q(phones)).values_list("pk", "email", "phone",
                                                                                           "phone_ext")
        for pk, email, phone, extension in rows:
            if email and email.lower() in emails:
                found.setdefault(("email", email.lower(), ""), set()).add((card_type, pk))
            if phone and (phone, extension) in phones:
                found.setdefault(("phone", phone, extension), set()).add((card_type, pk))
    by_canonical: dict[str, list[str]] = {}
    for email in emails:
        by_canonical.setdefault(canonical_email(email), []).append(email)
    keys = IdentityKey.objects.filter(
        Q(kind=KeyKind.EMAIL, value__in=list(by_canonical)) | (Q(kind=KeyKind.PHONE) & _phone_q(phones, "value",
                                                                                                 "extension")),
        card_type__in=CARD_TYPES,
    ).values_list("kind", "value", "extension", "card_type", "card_id")
    for kind, value, extension, card_type, card_id in keys:
        held = [("email", email, "") for email in by_canonical.get(value, [])] if kind == KeyKind.EMAIL else [
            ("phone", value, extension)]
        for each in held:
            found.setdefault(each, set()).add((card_type, card_id))
    return found


def _contacts_of(cards: set[Card]) -> dict[Card, set[Value]]:
    """Every phone and e-mail the cards are found by: their own and their identity keys' (one way for the other
    contacts: a card's other contacts and its requests' "Also gave" are keys, matching.migrations 0003)."""
    from leadflow.matching.models import IdentityKey, KeyKind

    found: dict[Card, set[Value]] = {}
    for card_type, model in _card_models().items():
        ids = [pk for kind, pk in cards if kind == card_type]
        if not ids:
            continue
        for pk, email, phone, extension in model.objects.filter(pk__in=ids).values_list("pk", "email", "phone",
                                                                                          "phone_ext"):
            slot = found.setdefault((card_type, pk), set())
            if email:
                slot.add(("email", email.lower(), ""))
            if phone:
                slot.add(("phone", phone, extension))
        keys = IdentityKey.objects.filter(card_type=card_type, card_id__in=ids, kind__in=(KeyKind.EMAIL, KeyKind.PHONE))
        for kind, value, extension, card_id in keys.values_list("kind", "value", "extension", "card_id"):
            found.setdefault((card_type, card_id), set()).add(
                ("email", value.lower(), "") if kind == KeyKind.EMAIL else ("phone", value, extension))
    return found


def _records(cards: set[Card]) -> dict[Card, Any]:
    """The matcher's records of the cards (leads and contacts with every contact their keys know; interests as
    given); a merged lead has none (it stands for its survivor)."""
    from dataclasses import replace

    from leadflow.leads.models import Interest
    from leadflow.matching.record import Record
    from leadflow.matching.services import load_records

    records: dict[Card, Any] = {
        (card_type, card_id): record
        for (card_type, card_id), record in load_records({c for c in cards if c[0] != "interest"}).items()
    }
    ids = [pk for kind, pk in cards if kind == "interest"]
    for pk, name, company, email, phone, extension in Interest.objects.filter(pk__in=ids).values_list(
            "pk", "name", "company_name", "email", "phone", "phone_ext"):
        record = Record.from_raw(f"interest:{pk}", name=name, email=email, company=company)
        records[("interest", pk)] = replace(record, phones=((phone, extension),) if phone else ())
    return records


class _Finder:
    """find_person's walk: cards tied to the person's cards, then cards holding the person's contacts, round by
    round until nothing new comes; a card reached through a contact joins only when the matcher takes it for the
    same person as the card that contact came from (or the admin included it)."""

    def __init__(self, person: Person, include: set[Card]) -> None:
        self.person = person
        self.include = include
        self.came_from: dict[Value, Card | None] = {}  # each contact of the person and the card it came from
        self.holders: dict[Value, set[Card]] = {}
        self.anchor: Card | None = None  # stands for the person when only a contact was searched for
        self.kept_before = kept_by_earlier_erasures()

    def join(self, join: Join) -> bool:
        if join.card in self.person.joins:
            return False
        self.person.left_out.pop(join.card, None)
        self.person.joins[join.card] = join
        self.person.ids(join.card[0]).add(join.card[1])
        self.anchor = self.anchor or join.card
        return True

    def tie(self) -> set[Card]:
        """Cards tied to the person's by Leadflow itself: a client's lead and contact, merges, promoted interests (made
        a lead, or attached to the person's lead or client)."""
        from leadflow.clients.models import Client, Contact
        from leadflow.leads.models import Interest, Lead

        person, tied = self.person, set()
        while True:
            before = len(person.joins), len(person.client_ids)
            for pk, merged_into in Lead.objects.filter(Q(pk__in=person.lead_ids) | Q(merged_into_id__in=person.lead_ids)
                                                       ).values_list("pk", "merged_into_id"):
                if merged_into and self.join(Join(("lead", merged_into), via=("lead", pk))):
                    tied.add(("lead", merged_into))
                if merged_into in person.lead_ids and self.join(Join(("lead", pk), via=("lead", merged_into))):
                    tied.add(("lead", pk))
            for pk, contact_id, lead_id in Client.objects.filter(
                    Q(pk__in=person.client_ids) | Q(contact_id__in=person.contact_ids) | Q(lead_id__in=person.lead_ids)
            ).values_list("pk", "contact_id", "lead_id"):
                person.client_ids.add(pk)
                known = ("contact", contact_id) if contact_id in person.contact_ids else (
                    ("lead", lead_id) if lead_id in person.lead_ids else None)
                for card in (("contact", contact_id), ("lead", lead_id)):
                    if card[1] and self.join(Join(card, via=known if known != card else None)):
                        tied.add(card)
            for pk, merged_into in Contact.objects.filter(
                    Q(pk__in=person.contact_ids) | Q(merged_into_id__in=person.contact_ids)
            ).values_list("pk", "merged_into_id"):
                if merged_into and self.join(Join(("contact", merged_into), via=("contact", pk))):
                    tied.add(("contact", merged_into))
                if merged_into in person.contact_ids and self.join(Join(("contact", pk), via=("contact", merged_into))):
                    tied.add(("contact", pk))
            for pk, lead_id in Interest.objects.filter(promoted_to_id__in=person.lead_ids).values_list(
                    "pk", "promoted_to_id"):
                if self.join(Join(("interest", pk), via=("lead", lead_id))):
                    tied.add(("interest", pk))
            # an interest promoted when the person was already a client went to that client's card
            for pk, contact_id in Interest.objects.filter(promoted_to_client_id__in=person.client_ids).values_list(
                    "pk", "promoted_to_client__contact_id"):
                if self.join(Join(("interest", pk), via=("contact", contact_id) if contact_id else None)):
                    tied.add(("interest", pk))
            if (len(person.joins), len(person.client_ids)) == before:
                return tied

    def compared_with(self, card: Card, records: dict[Card, Any]) -> Card | None:
        """The card a newcomer is compared with: the one its contact came from, or what that one stands for."""
        seen = set()
        while card is not None and card not in records and card not in seen:
            seen.add(card)
            join = self.person.joins.get(card)
            card = join.via if join is not None else None
        return card if card in records else None

    def walk(self, searched: set[Value]) -> None:
        from leadflow.matching.compare import compare
        from leadflow.matching.services import upper_threshold

        for value in searched:
            self.came_from[value] = None
        pending, fresh = set(searched), set(self.person.joins)
        for _round in range(10):
            fresh |= self.tie()
            for card, values in sorted(_contacts_of(fresh).items()):
                for value in sorted(values):
                    if value not in self.came_from:
                        self.came_from[value] = card
                        pending.add(value)
            if not pending:
                break
            held = _holders(pending)
            for value, cards in held.items():
                self.holders.setdefault(value, set()).update(cards)
            # leads first, oldest first: with only a contact searched for, the first holder stands for the person
            candidates = sorted(((card, value) for value in held for card in held[value]
                                 if card not in self.person.joins),
                                key=lambda pair: (CARD_TYPES.index(pair[0][0]), pair[0][1], pair[1]))
            records = _records({card for card, _v in candidates} | set(self.person.joins))
            fresh, pending = set(), set()
            for card, value in candidates:
                if card in self.person.joins:
                    continue
                kept_by = kept_on(self.kept_before, card, value)
                if kept_by is not None and card not in self.include:
                    # Another person's card an earlier erasure of this person left the contact on: never taken
                    # for the person (it was not theirs then), listed so the admin may take the contact off now.
                    self.person.left_out.setdefault(card, Join(card, value, kept_by=kept_by))
                    continue
                via = self.came_from.get(value) or self.anchor
                if via is None:  # only a contact was searched: its oldest holder stands for the person
                    self.join(Join(card, value))
                    fresh.add(card)
                    continue
                if card not in records:
                    continue  # a merged lead: it comes with its survivor, if that is the person's
                against = self.compared_with(via, records)
                score = compare(records[against], records[card]).score if against is not None else None
                if card in self.include or score is None or score >= upper_threshold():
                    self.join(Join(card, value, via, score))
                    fresh.add(card)
                elif card not in self.person.left_out:
                    self.person.left_out[card] = Join(card, value, via, score)
            if not fresh:
                break


def kept_by_earlier_erasures() -> dict[tuple[str, str, str], int]:
    """("key", card, keyed hash) -> the erasure that left that contact on that card (the admin did not take it
    off): a later erasure of the same person finds the card by the contact and offers to take it off then.
    A row logged before the log kept keyed hashes, and that migration privacy.0005 could not tell apart (the card
    held two contacts with its mask), or whose hash was made with a key changed since (trusted_key), is known by
    ("mask", card, masked contact). Erasures are few and their lists of cards left out short."""
    kept: dict[tuple[str, str, str], int] = {}
    for pk, rows in ErasureLog.objects.order_by("pk").values_list("pk", "left_out"):
        for row in rows if isinstance(rows, list) else []:
            if isinstance(row, dict) and not row.get("removed"):
                exact = trusted_key(row)
                kept[("key", str(row.get("card")), exact) if exact
                     else ("mask", str(row.get("card")), str(row.get("contact")))] = pk
    return kept


def kept_on(kept: dict[tuple[str, str, str], int], card: Card, value: Value) -> int | None:
    """The earlier erasure that left exactly this contact on this card (kept_by_earlier_erasures), if any."""
    found = kept.get(("key", card_ref(card), _hash_of(value)))
    return found if found is not None else kept.get(("mask", card_ref(card), mask(value)))


def find_person(*, lead: Any = None, client: Any = None, contact: Any = None, email: str = "",
                phone: str = "", telegram: str = "", include: Iterable[str] = (), strip: Iterable[str] = ()) -> Person:
    """Every card of the person named by a lead, a client, a contact, an e-mail, a phone or a Telegram account.

    Cards are joined by the exact normalised e-mail or phone (with its extension: two extensions of one
    office line are two people), any the person gave (a card's own, its other contacts, its requests' "Also
    gave": identity keys), repeatedly, so a lead with the phone and a client with the e-mail both come. A card
    that holds one of the person's contacts but that the matcher does not take for the same person (an office
    line, info@company given by colleagues) is left out and listed (`left_out`), with the contact it shares;
    `include` ("lead:7") takes such cards in when the admin says they are the person's; `strip` ("lead:7") keeps
    such a card but takes the person's contacts off its other contacts (a colleague's card listing the person's
    mobile), so they are erased and tombstoned like the person's others. A Telegram account ("@ivan_petrov", a t.me
    link) brings every card whose requests gave it (a user name is one person's, unlike an office line): an interest
    with no other contact is found so, and the cards' phones and e-mails then bring the rest. The confirmation page
    lists what was found, and why, before anything is erased."""
    from leadflow.clients.models import Company
    from leadflow.leads.models import Lead, Request
    from leadflow.warming.models import Visitor

    emails, phones = normalised_contacts(email=email, phone=phone)
    account = normalised_telegram(telegram)
    person = Person()
    finder = _Finder(person, parse_cards(include))
    for card in ((("lead", lead.pk) if lead is not None else None),
                 (("contact", contact.pk) if contact is not None else None)):
        if card is not None:
            finder.join(Join(card))
    if account:
        for card in _telegram_cards(account, person):
            finder.join(Join(card, ("telegram", account, "")))
    if client is not None:
        person.client_ids.add(client.pk)
        for card in (("contact", client.contact_id), ("lead", client.lead_id)):
            if card[1]:
                finder.join(Join(card))
    searched = {("email", e.lower(), "") for e in emails} | {("phone", e164, x) for e164, x in phones}
    finder.walk(searched)

    _left_out_contacts(person, finder.holders, parse_cards(strip, name="strip"))
    person.shared = {value for value, cards in finder.holders.items()
                     if any(card in person.left_out and value not in person.stripped.get(card, set())
                            for card in cards)}
    for value in set(finder.came_from) - person.shared:
        kind, text, extension = value
        if kind == "email":
            person.emails.add(text)
        else:
            person.phones.add((text, extension))
    person.visitor_ids = {v for v in Lead.objects.filter(pk__in=person.lead_ids).values_list("visitor_id", flat=True)
                          if v}
    # The browsers the person's requests came from and those the tracker tied to their leads are theirs too.
    person.visitor_ids |= {v for v in Request.objects.filter(Q(lead_id__in=person.lead_ids)
                                                             | Q(client_id__in=person.client_ids))
                           .values_list("visitor_id", flat=True) if v}
    person.visitor_ids |= set(Visitor.objects.filter(lead_id__in=person.lead_ids).values_list("visitor_id", flat=True))
    person.telegrams = ({account} if account else set()) | _telegrams_of(person)
    _names(person)
    for company in Company.objects.filter(Q(contacts__pk__in=person.contact_ids)
                                          | Q(clients__pk__in=person.client_ids)).distinct():
        if is_sole_proprietor(company):
            person.company_ids.add(company.pk)
    return person


def _names(person: Person) -> None:
    """The surnames and given names the person's leads and contacts hold. Those of one or two letters (Ли, О, Ия) are
    taken in a text only where they read as a name (privacy.rooms._name_pattern); a given name of one letter, or
    anything with a dot ("И."), is an initial, no name."""
    from leadflow.clients.models import Contact
    from leadflow.leads.models import Lead

    for model, ids in ((Lead, person.lead_ids), (Contact, person.contact_ids)):
        for last, first, middle in model.objects.filter(pk__in=ids).values_list("last_name", "first_name",
                                                                                "middle_name"):
            person.surnames |= {word for word in last.split() if len(word) >= 3 or word.isalpha()}
            person.given_names |= {word for word in (*first.split(), *middle.split())
                                   if len(word) >= 3 or (len(word) == 2 and word.isalpha())}


def _left_out_contacts(person: Person, holders: dict[Value, set[Card]], strip: set[Card]) -> None:
    """Which of the person's contacts each card left out holds, which of them only as another contact (so they
    can be taken off it, the card kept), and those the admin chose to take off (`strip`); InvalidInput naming
    `strip` for a card that is taken in whole or holds none of the person's contacts among its other contacts."""
    for value, cards in holders.items():
        for card in cards:
            if card in person.left_out:
                person.shares.setdefault(card, set()).add(value)
    own: dict[Card, set[Value]] = {}
    for card_type, model in _card_models().items():
        ids = [pk for kind, pk in person.shares if kind == card_type]
        for pk, email, phone, extension in model.objects.filter(pk__in=ids).values_list("pk", "email", "phone",
                                                                                      "phone_ext"):
            own[(card_type, pk)] = {same_contact(("email", email, "")) if email else None,
                                    ("phone", phone, extension) if phone else None} - {None}
    for card, values in person.shares.items():
        removable = {value for value in values
                     if card[0] != "interest" and same_contact(value) not in own.get(card, ())}
        if removable:
            person.removable[card] = removable
    errors = []
    for card in sorted(strip):
        if card in person.joins:
            errors.append(_("“%(ref)s” is taken in whole (include): leave it out of the contacts to remove.")
                          % {"ref": card_ref(card)})
        elif card not in person.removable:
            errors.append(_("“%(ref)s” holds none of this person's contacts among its other contacts: only a card "
                            "left out that lists one of them there can keep the rest.") % {"ref": card_ref(card)})
        else:
            person.stripped[card] = set(person.removable[card])
    if errors:
        raise InvalidInput({"strip": errors})


# ---------------------------------------------------------------- registries

# Every room that keeps personal data registers how to export and erase it for one person, so a
# data-subject request reaches all of them. `person` is what `find_person` returns (its e-mails,
# phones, lead ids and client ids); an exporter returns JSON-ready data, an eraser the rows it changed.
Exporter = Callable[[Any], Any]
Eraser = Callable[[Any], int]
exporters: dict[str, Exporter] = {}
erasers: dict[str, Eraser] = {}


def exporter(name: str) -> Callable[[Exporter], Exporter]:
    def register(function: Exporter) -> Exporter:
        exporters[name] = function
        return function

    return register


def eraser(name: str) -> Callable[[Eraser], Eraser]:
    def register(function: Eraser) -> Eraser:
        erasers[name] = function
        return function

    return register


# ---------------------------------------------------------------- who may


def can_export(user: User, person: Person) -> bool:
    """An admin; a head of sales when every card of the person is one of their team's (they answer the
    person's request for their team; a person known to other teams too is the admin's)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_admin:
        return True
    if user.role != "head" or not (person.lead_ids or person.client_ids):
        return False
    from leadflow.clients.querysets import clients_visible_to
    from leadflow.leads.models import Lead

    visible_leads = Lead.objects.visible_to(user).filter(pk__in=person.lead_ids).count()
    visible_clients = clients_visible_to(user).filter(pk__in=person.client_ids).count()
    return visible_leads == len(person.lead_ids) and visible_clients == len(person.client_ids)


def can_erase(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_admin)


# ---------------------------------------------------------------- export


def export_person(*, person: Person, by: User | None = None) -> dict[str, Any]:
    """Everything Leadflow keeps about the person, room by room, as one JSON-ready document."""
    document = {
        "generated_at": timezone.now().isoformat(),
        "generated_by": by.username if by is not None else "",
        "person": person.describe(),
        "rooms": {name: function(person) for name, function in sorted(exporters.items())},
    }
    record_event("privacy.exported", lead_ids=sorted(person.lead_ids), client_ids=sorted(person.client_ids),
                 by=by.pk if by is not None else None)
    return document


# ---------------------------------------------------------------- erasure and tombstones


def _key() -> bytes:
    return (settings.LEADFLOW_ERASURE_KEY or settings.SECRET_KEY).encode()


def digest(kind: str, value: str) -> str:
    """HMAC-SHA256 of a normalised contact: equal contacts give equal digests; nothing reads it back."""
    return hmac.new(_key(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def erased_message_id(message_id: str) -> str:
    """What an e-mail's Message-ID becomes once it may name an erased person ("<1234.ivan@example.com>"): a keyed
    hash of it, the same wherever it stands, so a later reply, a redelivery or another message's References still
    find the same row (leadflow.inbox looks both forms up) and nobody reads the address back."""
    if not message_id or message_id.startswith("<erased."):
        return message_id
    return f"<erased.{digest('message-id', message_id)[:40]}@erased.invalid>"


def contact_digests(*, emails: Iterable[str] = (), phones: Iterable[tuple[str, str]] = (),
                    telegrams: Iterable[str] = ()) -> set[tuple[str, str]]:
    """(kind, digest) of each e-mail (its matching form too: case, +tag, Gmail dots), phone (+ extension) and
    Telegram account (telegram_key: "@Ivan_Petrov" and "t.me/ivan_petrov" are one)."""
    from leadflow.matching.record import canonical_email

    found: set[tuple[str, str]] = set()
    for email in emails:
        if email:
            found.add((TombstoneKind.EMAIL, digest("email", canonical_email(email))))
    for e164, ext in phones:
        if e164:
            found.add((TombstoneKind.PHONE, digest("phone", f"{e164};{ext}")))
    for account in telegrams:
        key = telegram_key(account) if account else ""
        if key:
            found.add((TombstoneKind.TELEGRAM, digest("telegram", key)))
    return found


def tombstones_for(*, emails: Iterable[str] = (), phones: Iterable[tuple[str, str]] = (),
                   telegrams: Iterable[str] = ()) -> list[Tombstone]:
    """The active tombstones an incoming person's contacts hit (an index lookup on the digest): one statement for
    all their e-mails, phones and Telegram accounts."""
    wanted = contact_digests(emails=emails, phones=phones, telegrams=telegrams)
    if not wanted:
        return []
    digests = sorted({d for _kind, d in wanted})
    # Every submission asks this and almost none hits: a plain indexed read first, the rows only on a hit.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, kind, digest FROM {connection.ops.quote_name(Tombstone._meta.db_table)} "  # noqa: S608
            f"WHERE digest IN ({', '.join(['%s'] * len(digests))}) AND lifted_at IS NULL",
            digests,
        )
        hits = [pk for pk, kind, found in cursor.fetchall() if (kind, found) in wanted]
    return list(Tombstone.objects.filter(pk__in=hits).order_by("pk")) if hits else []


def refuse_erased_contacts(**contacts: str) -> None:
    """InvalidInput naming each field whose contact (an e-mail, a phone as other contacts keep it, a Telegram account
    in its field `telegram`) belongs to a person erased at their request: a manager typing it into a card would
    bring them back, and only the person may, through a web form with a fresh consent."""
    from leadflow.matching.normalize import split_phone_text

    def looked_up(name: str, value: str) -> dict[str, list[Any]]:
        if name == "telegram":
            return {"telegrams": [value]}
        return {"emails": [value]} if "@" in value else {"phones": [split_phone_text(value)]}

    errors = {
        name: [_("This contact belongs to a person whose data was erased at their request; only they may give it "
                 "again, through a web form.")]
        for name, value in contacts.items()
        if value and tombstones_for(**looked_up(name, value))
    }
    if errors:
        raise InvalidInput(errors)


def lift_tombstones(*, tombstones: list[Tombstone], submission_id: int | None) -> None:
    """The person came back by themselves with a fresh processing consent: they are a new person now."""
    now = timezone.now()
    Tombstone.objects.filter(pk__in=[t.pk for t in tombstones]).update(
        lifted_at=now, lifted_by_submission=submission_id)
    record_event("privacy.tombstone_lifted", tombstone_ids=[t.pk for t in tombstones], submission_id=submission_id)


def _mark_taken_off_later(person: Person, log: ErasureLog) -> None:
    """An earlier erasure's log saying a contact was kept on a card now says it was taken off, and by which
    erasure."""
    taken = {(card_ref(card), _hash_of(value)) for card, values in person.stripped.items() for value in values}
    masked = {(card_ref(card), mask(value)) for card, values in person.stripped.items() for value in values}

    def taken_now(item: dict[str, Any]) -> bool:
        if trusted_key(item):
            return (item.get("card"), trusted_key(item)) in taken
        # logged before the keys and not told apart, or with a key changed since
        return (item.get("card"), item.get("contact")) in masked

    earlier = {join.kept_by for join in person.left_out.values() if join.kept_by is not None}
    for row in ErasureLog.objects.select_for_update().filter(pk__in=earlier):
        rows = [{**item, "removed": True, "removed_by_erasure": log.pk}
                if isinstance(item, dict) and not item.get("removed") and taken_now(item) else item
                for item in row.left_out]
        ErasureLog.objects.filter(pk=row.pk).update(left_out=rows)


class NothingFound(DomainError):
    status = 404

    def __init__(self) -> None:
        super().__init__("not_found", _("No card, e-mail or phone of this person was found."))


def erase_person(*, person: Person, by: User | None, reference: str = "") -> ErasureLog:
    """Run every registered eraser in one transaction, leave tombstones, log who erased which cards."""
    if by is not None and not can_erase(by):
        raise Forbidden(_("Only an administrator may erase personal data."))
    if person.is_empty:
        raise NothingFound()
    person.erased_by = by
    with transaction.atomic():
        counts = {name: int(function(person) or 0) for name, function in sorted(erasers.items())}
        log = ErasureLog.objects.create(
            by=by, lead_ids=sorted(person.lead_ids), client_ids=sorted(person.client_ids), counts=counts,
            reference=reference[:120], left_out=person.left_out_rows(), redacted=person.redacted,
        )
        digests = contact_digests(emails=person.emails, phones=person.phones, telegrams=person.telegrams)
        Tombstone.objects.bulk_create([Tombstone(kind=kind, digest=value, erasure=log) for kind, value in digests])
        ErasureLog.objects.filter(pk=log.pk).update(tombstones=len(digests))
        log.tombstones = len(digests)
        _mark_taken_off_later(person, log)
        record_event("privacy.erased", erasure_id=log.pk, lead_ids=log.lead_ids, client_ids=log.client_ids,
                     left_out=sorted(card_ref(card) for card in person.left_out),
                     stripped=sorted(card_ref(card) for card in person.stripped))
    return log
