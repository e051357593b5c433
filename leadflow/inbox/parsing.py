"""Reading an e-mail with the standard `email` package: who wrote, what, and is it a person at all.

Nothing here touches the database: `parse` takes the raw bytes and returns plain values, so a
stored message can be parsed again after a fix.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

import phonenumbers

from leadflow.matching import normalize


class MessageKind:
    PERSON = "person"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    MAILING_LIST = "list"


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    from_name: str = ""
    from_address: str = ""
    reply_to_name: str = ""
    reply_to_address: str = ""
    subject: str = ""
    text: str = ""
    is_html_only: bool = False
    kind: str = MessageKind.PERSON
    kind_reason: str = ""
    phones: list[str] = field(default_factory=list)
    company: str = ""
    signature_name: str = ""
    form_fields: dict[str, str] = field(default_factory=dict)
    # Why the sender is a site's or a service's robot (sender_robot), "" for a person: its From is never the person.
    robot: str = ""
    # The numbers above a robot's footer: its own number sits there, the visitor's in what it relays.
    body_phones: list[str] = field(default_factory=list)
    # The addresses a person wrote in their own text, no robot's nor the letter's recipients': their signature's
    # (signature_addresses), and the others (body_addresses). Where their address is when the headers give none.
    signature_addresses: list[str] = field(default_factory=list)
    body_addresses: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def is_form_notification(self) -> bool:
        """A site's mail about a form filled in (Tilda, WordPress, Bitrix, Jivo, Yandex or Google Forms): "Name: ...",
        "Phone: ..." lines in the body, or any mail a robot sent. Its sender is the site or the service, not the person:
        the person is in those lines, and when they hold nobody the mail is a request without a person (an interest
        for review), never a card for the robot."""
        return bool(self.robot) or (
            bool(self.form_fields.get("name")) and bool(self.form_fields.get("phone") or self.form_fields.get("email")))

    @property
    def _visitor_reply_to(self) -> bool:
        """Reply-To set by a site's mailer for the visitor (Contact Form 7 does): not the robot's own address."""
        return bool(self.reply_to_address) and self.reply_to_address != self.from_address and not robot_address(
            self.reply_to_address)

    @property
    def contact_name(self) -> str:
        """The person's name: a form notification's, Reply-To's (a site's form mailer writes for the visitor), From's,
        or the signature's."""
        if self.is_form_notification:
            return self.form_fields.get("name") or (self.reply_to_name if self._visitor_reply_to else "")
        if self.reply_to_address and self.reply_to_address != self.from_address and (
                self.contact_address == self.reply_to_address):
            return self.reply_to_name or self.signature_name
        # a no-reply in Reply-To is the mailer's, and so is its name ("Site robot"): the writer is From
        return self.from_name or self.signature_name

    @property
    def contact_address(self) -> str:
        if self.is_form_notification:
            # the address the visitor typed; without one, Reply-To when the mailer set it for the visitor, never the
            # site's own address (every visitor would be one person, the site's robot)
            if self.form_fields.get("email"):
                return self.form_fields["email"]
            return self.reply_to_address if self._visitor_reply_to else ""
        return self._letter_writer_address

    @property
    def _letter_writer_address(self) -> str:
        """A person's letter: the best of its addresses that is no robot's. Reply-To, then From, when a person's own;
        then the one in their signature; then a mailbox a person writes from too (webmaster@, forms@: their letter
        came from it, privacy11); then one they wrote in the text, when the headers name nobody. Never a no-reply or
        a mailer daemon, which a site's mail system puts in Reply-To of a letter a person wrote: every such
        letter's lead would have that one address, and an answer to it is lost."""
        headers = [address for address in (self.reply_to_address, self.from_address) if address]
        for address in headers:
            if not robot_address(address):
                return address
        if self.signature_addresses:
            return self.signature_addresses[0]
        for address in headers:
            if not robot_address(address, shared=False):
                return address
        return self.body_addresses[0] if self.body_addresses else ""

    @property
    def contact_phone(self) -> str:
        """The numbers the person gave: a notification's labelled phone, else those above its footer (the site's own
        number is in the footer); a person's letter, every number of it (its signature's)."""
        if self.is_form_notification:
            return self.form_fields.get("phone") or ", ".join(self.body_phones)
        return ", ".join(self.phones)

    @property
    def thread_ids(self) -> list[str]:
        """Every earlier message this one answers, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [ref for ref in reversed(self.references) if ref not in ids]
        return ids


MESSAGE_ID = re.compile(r"<[^<>\s]+>")

# ---------------------------------------------------------------- automatic mail

AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[\s_-]*(?:reply|response|answer)|autoreply|auto:|out of (?:the )?office|"
    r"abwesenheitsnotiz|r[ée]ponse automatique|автоответ|автоматический ответ|вне офиса|нет на месте)",
    re.IGNORECASE,
)
BOUNCE_SUBJECT = re.compile(
    r"^\s*(?:undeliver(?:able|ed)|delivery status notification|returned mail|mail delivery (?:failed|failure)|"
    r"failure notice|delivery failure|не доставлено|недоставленное сообщение|сообщение не доставлено)",
    re.IGNORECASE,
)
DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "maildaemon"}

# ---------------------------------------------------------------- a site's or a service's robot

# The mailbox of a robot: noreply@, no-reply@, donotreply@ (a part of it: forms-receipts-noreply@, Google Forms), and
# mailboxes no person has: robot@, mailer@, notifications@, wordpress@ (WordPress's own sender), bitrix@, www-data@
# (a PHP site's mail()). Whole, so a person named Mailer or Robotov is no robot.
ROBOT_LOCAL_PART = re.compile(r"(?:^|[._+-])(?:no-?reply|do-?not-?reply|noreply\w*)(?:$|[._+-])", re.IGNORECASE)
ROBOT_MAILBOXES = {"robot", "mailer", "notifications", "notification", "wordpress", "bitrix", "www-data", "apache",
                   "nginx"}
# Mailboxes a site's mailer sends its forms from, and a person writes from too (the webmaster, a team's forms@): a robot
# only when the message reads as a form's notification (looks_like_a_form), else a person's letter from that address.
SHARED_ROBOT_MAILBOXES = {"webmaster", "forms", "webform", "notify", "sender"}
# Services that mail a site's requests from their own domains (the builder's or the chat's), whatever the mailbox.
ROBOT_DOMAINS = ("tilda.ws", "tilda.cc", "tildacdn.com", "jivosite.com", "jivo.ru", "jivochat.com", "forms.yandex.ru",
                 "marquiz.ru", "bitrix24.ru", "bitrix24.com", "bitrix24.by", "bitrix24.kz", "flexbe.ru",
                 "lpgenerator.ru", "wix.com", "wixforms.com")
# A site's mailer names itself: PHPMailer (WordPress and most PHP sites), 1C-Bitrix, Tilda; a person's client does not.
ROBOT_MAILERS = re.compile(r"phpmailer|bitrix|wordpress|tilda|jivo|swiftmailer|symfony mailer", re.IGNORECASE)


def robot_address(address: str, *, shared: bool = True) -> bool:
    """A robot's mailbox (ROBOT_MAILBOXES, a no-reply, a mail server's daemon, a builder's domain); with `shared`, one
    a person may write from too (SHARED_ROBOT_MAILBOXES): never the visitor's own address in what a robot relays."""
    local, _at, domain = address.lower().rpartition("@")
    return bool(local) and (local in ROBOT_MAILBOXES or local in DAEMONS
                            or (shared and local in SHARED_ROBOT_MAILBOXES)
                            or bool(ROBOT_LOCAL_PART.search(local))
                            or any(domain == known or domain.endswith("." + known) for known in ROBOT_DOMAINS))


# What the builders' and site engines' notification templates write around the fields (Tilda's "Request details:",
# "Form Name:", 1C-Bitrix's "Информационное сообщение сайта", Contact Form 7's "sent from a contact form", Flexbe's
# and LPgenerator's "Новая заявка с сайта"): a letter a person writes has none of these lines.
FORM_TEMPLATE = re.compile(
    r"^[ \t]*(?:request details:|request id:|form name:|информационное сообщение сайта|"
    r"вы получили новое сообщение с сайта|нов(?:ая|ый) (?:заявка|заказ|лид)|заявка с (?:сайта|формы)|"
    r"new (?:request|submission|lead|form submission|message) from|"
    r"(?:это|данное) (?:сообщение|письмо) (?:было )?отправлено (?:с|из|через) (?:формы|сайта)|"
    r"this (?:e-?mail|message) was sent (?:from|via|through) (?:a |the )?(?:contact )?form)",
    re.IGNORECASE | re.MULTILINE)


def looks_like_a_form(text: str) -> bool:
    """Whether a letter's own text reads as a form's notification: a builder's template line (FORM_TEMPLATE), at
    least two of a form's labelled fields ("Имя: ...", "Телефон: ...", "E-mail: ..."), or Contact Form 7's sender line
    opening it (visitor_sender_line). A person's signature gives one labelled line at most ("Тел.: ..."), and a letter
    that lists the person's name, phone and e-mail as fields is read the same either way."""
    return bool(FORM_TEMPLATE.search(text)) or len(form_fields(text)) >= 2 or visitor_sender_line(text)


def visitor_sender_line(text: str) -> bool:
    """Whether the text opens with a visitor as Contact Form 7's default mail writes them ("From: Иван
    <ivan@mail.ru>", "От: ..."), naming a mailbox that is no robot's: a letter a person writes never begins with
    another sender (a forward opens with its separator line), and a site owner who took the footer out of the
    template still mails it from webmaster@."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    labelled = _LABELLED.match(first)
    if labelled is None or labelled.group(1).strip().casefold() not in SENDER_LABELS:
        return False
    _name, address = parseaddr(labelled.group(2))
    return "@" in address and not robot_address(address)


def sender_robot(message: Message, *, from_address: str, text: str = "") -> str:
    """Why the message was sent by a robot (a site's form mailer, a builder, a chat, a forms service) and not by a
    person, or "": its address, its mailer, or the mail event 1C-Bitrix names in every letter it sends. From a mailbox
    a person may write from too (webmaster@, forms@, notify@), only when its text (`text`) reads as a form's
    notification."""
    if from_address and robot_address(from_address, shared=False):
        return f"robot sender {from_address}"
    if from_address and robot_address(from_address) and looks_like_a_form(text):
        return f"robot sender {from_address}"
    mailer = _header(message, "X-Mailer")
    if ROBOT_MAILERS.search(mailer):
        return f"X-Mailer: {mailer[:60]}"
    if _header(message, "X-EVENT_NAME"):
        return "X-EVENT_NAME header (1C-Bitrix)"
    return ""


# What a robot that relays a form may still mark as automatic although a person's request is inside (RFC 3834's
# "auto-generated", a mass mailer's Precedence): read as the notification it is when it lists the visitor's contact.
GENERATED = ("Auto-Submitted: auto-generated", "Precedence: bulk", "Precedence: junk", "X-Autogenerated header")


def classify(message: Message, *, from_address: str, subject: str) -> tuple[str, str]:
    """person | auto_reply | bounce | list, with the header that told (RFC 3834, RFC 3464, RFC 2369/2919)."""
    content_type = message.get_content_type()
    if content_type == "multipart/report" and message.get_param("report-type", "").lower() == "delivery-status":
        return MessageKind.BOUNCE, "multipart/report; report-type=delivery-status"
    local_part = from_address.split("@", 1)[0].lower()
    if local_part in DAEMONS:
        return MessageKind.BOUNCE, f"sent by {local_part}"
    if BOUNCE_SUBJECT.match(subject) and not from_address:
        return MessageKind.BOUNCE, "subject of a delivery failure"
    if _header(message, "Return-Path") == "<>":
        return MessageKind.AUTO_REPLY, "null sender (Return-Path: <>)"
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return MessageKind.AUTO_REPLY, f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-AutoReply-From", "X-Mail-Autoreply"):
        if _header(message, name):
            return MessageKind.AUTO_REPLY, f"{name} header"
    precedence = _header(message, "Precedence").lower()
    if precedence == "auto_reply":
        return MessageKind.AUTO_REPLY, "Precedence: auto_reply"
    if AUTO_REPLY_SUBJECT.match(subject):
        return MessageKind.AUTO_REPLY, "subject of an automatic reply"
    if BOUNCE_SUBJECT.match(subject):
        return MessageKind.BOUNCE, "subject of a delivery failure"
    for name in ("List-Id", "List-Unsubscribe", "List-Post"):
        if _header(message, name):
            return MessageKind.MAILING_LIST, f"{name} header"
    if precedence in ("bulk", "list", "junk"):
        return MessageKind.MAILING_LIST, f"Precedence: {precedence}"
    return MessageKind.PERSON, ""


def _header(message: Message, name: str) -> str:
    """A header's text with RFC 2047 encoded words decoded, whatever their charset; "" when absent."""
    value = message.get(name)
    return " ".join(decode_words(value).split()) if value is not None else ""


def decode_words(value: object) -> str:
    try:
        chunks = decode_header(value)  # type: ignore[arg-type]
    except Exception:  # a malformed encoded word: keep the text as it came
        return str(value)
    return "".join(chunk if isinstance(chunk, str) else _decode_bytes(chunk, charset) for chunk, charset in chunks)


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in the declared charset; an unknown or wrong one falls back to UTF-8, then windows-1251."""
    candidates = [charset] if charset and charset != "unknown-8bit" else []
    for candidate in [*candidates, "utf-8", "windows-1251"]:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- bodies


class _TextFromHtml(HTMLParser):
    """HTML to readable text: block elements become line breaks, scripts and styles vanish."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr", "pre"}
    CELLS = {"td", "th"}
    HIDDEN = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in self.CELLS:
            self.parts.append("\t")  # a table's label and value stay apart ("Телефон" | "+7 912 ...")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    lines = ("\t".join(cell for cell in (" ".join(part.split()) for part in line.split("\t")) if cell)
             for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _decoded_text(part: Message) -> str:
    """A text part's content in any charset; an unknown or wrong charset still gives readable text
    (declared UTF-8 but written by an old Russian mail client, or the other way round)."""
    payload = part.get_payload(decode=True)
    return _decode_bytes(payload if isinstance(payload, bytes) else b"", part.get_content_charset())


@dataclass
class _Parts:
    plain: Message | None = None
    html: Message | None = None
    attachments: list[Attachment] = field(default_factory=list)


def _walk(part: Message, found: _Parts) -> None:
    """Sort the MIME tree into the first plain and HTML bodies and the attachments; a forwarded or returned
    message (message/rfc822) is one attachment, not opened."""
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload()
        content = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        found.attachments.append(Attachment(filename=_filename(part), content_type=content_type, content=content))
        return
    if part.is_multipart():
        for child in part.get_payload():
            _walk(child, found)
        return
    filename = _filename(part)
    is_attachment = part.get_content_disposition() == "attachment" or bool(filename)
    if content_type == "text/plain" and not is_attachment and found.plain is None:
        found.plain = part
    elif content_type == "text/html" and not is_attachment and found.html is None:
        found.html = part
    else:
        payload = part.get_payload(decode=True)
        found.attachments.append(Attachment(
            filename=filename, content_type=content_type, content=payload if isinstance(payload, bytes) else b""))


def _filename(part: Message) -> str:
    name = part.get_filename() or ""  # RFC 2231 is decoded here; RFC 2047 words (Outlook's way) below
    return " ".join(decode_words(name).split()) if "=?" in name else name


def _body(found: _Parts) -> tuple[str, bool]:
    """The text of the plain part, or of the HTML part when there is no plain one; (text, html_only)."""
    if found.plain is not None:
        return _decoded_text(found.plain).replace("\r\n", "\n").strip(), False
    if found.html is not None:
        return html_to_text(_decoded_text(found.html)), True
    return "", False


# ---------------------------------------------------------------- contacts in the body


# "Name: Иван", "Телефон: +7 ...", "* E-mail: ..." (a site's notification); an HTML table's cells give "Name:" and
# the value in the next cell (a tab) or on the next line.
_LABELLED = re.compile(r"^[ \t*•>-]*([^\W\d][^:\t\n]{0,59}?)[ \t]*(?::|\t)[ \t]*([^\n]*)$", re.MULTILINE)
# A question on its own line, its answer on the next (Yandex Forms, Google Forms): "Как к вам обращаться?\nИван".
# (no digits in it: a line of text with a number in it is the answer, not a question)
_QUESTION = re.compile(r"^[ \t*•>-]*([^\W\d][^:\t\n@\d]{0,79}?)[ \t]*\??[ \t]*$")
# The visitor as Contact Form 7's default mail writes them in the body: "From: Иван <ivan@mail.ru>", "От: ...".
SENDER_LABELS = {"from", "от", "отправитель", "sender", "от кого"}


def form_fields(text: str, *, by_question: bool = False) -> dict[str, str]:
    """The fields a form's notification lists, by Leadflow's names (intake.builders reads the labels as it reads a
    webhook's field names): {"name": "Иван Петров", "phone": "+7 912 ...", "email": ...}. The first of each.

    `by_question` (a robot's mail, whose every line is the form's): labels in the site owner's own words too ("Как к
    вам обращаться?", "Номер телефона для связи", builders.field_of_question), a question with its answer on the
    next line, and Contact Form 7's "From: name <address>" line."""
    from leadflow.intake.builders import field_of_label, field_of_question

    read = field_of_question if by_question else field_of_label
    found: dict[str, str] = {}
    lines = text.splitlines()
    for at, line in enumerate(lines):
        labelled = _LABELLED.match(line)
        question = None if labelled or not by_question else _QUESTION.match(line)
        match = labelled or question
        if match is None:
            continue
        label = match.group(1).strip()
        if labelled and by_question and label.casefold() in SENDER_LABELS:
            name, address = parseaddr(labelled.group(2))
            if "@" in address and not robot_address(address):  # (a forwarded notification's own From line)
                found.setdefault("email", address)
                if name and "@" not in name:
                    found.setdefault("name", name)
            continue
        field_name = read(label)
        if not field_name or field_name in found:
            continue
        value = labelled.group(2).strip() if labelled else ""
        if not value:
            # the value in the next non-empty line (an HTML table's next row, a question's answer)
            value = next((following.strip() for following in lines[at + 1 : at + 3] if following.strip()), "")
            if _FOOTER.match(value):
                continue
            next_label = _LABELLED.match(value) or (_QUESTION.match(value) if question else None)
            if next_label and read(next_label.group(1)):
                continue
        if value:
            found[field_name] = value[:1000]
    return found


# Where a mail client puts a forwarded message: Gmail's "---------- Forwarded message ---------", Yandex's and
# Mail.ru's "-------- Пересылаемое сообщение --------", Outlook's "-----Original Message-----", Apple's "Begin
# forwarded message:"; then the forwarded message's own header lines.
_FORWARDED = re.compile(
    r"^[ \t>]*(?:-{2,}[ \t]*(?:forwarded message|original message|пересылаемое сообщение|исходное сообщение|"
    r"перенаправленное сообщение)[ \t]*-*|begin forwarded message:)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_FORWARDED_FROM = re.compile(r"^[ \t>]*(?:from|от|от кого|отправитель)[ \t]*:[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE)


def forwarded_robot(text: str) -> tuple[str, str] | None:
    """A robot's notification a person forwarded (a manager sends the site's mail on to the sales mailbox): (why it
    is a robot's, the forwarded part), or None. Its From line within the first lines of the forwarded part names a
    robot (robot_address)."""
    start = _FORWARDED.search(text)
    if start is None:
        return None
    inner = text[start.end() :]
    head = "\n".join(inner.lstrip("\n").splitlines()[:8])
    sender = _FORWARDED_FROM.search(head)
    address = parseaddr(sender.group(1))[1].lower() if sender else ""
    if not address or not robot_address(address):
        return None
    forwarded = "\n".join(line.lstrip("> ") for line in inner.splitlines()).strip()
    if not robot_address(address, shared=False) and not looks_like_a_form(forwarded):
        return None  # a person's letter from webmaster@ forwarded: the colleague's forward of a person's letter
    return f"forwarded notification of {address}", forwarded


# A footer's separator: "-- " (RFC 3676), a rule of dashes or underscores.
_FOOTER = re.compile(r"^\s*(?:--|—|-{3,}|_{3,}|={3,})\s*$", re.MULTILINE)


def above_footer(text: str) -> str:
    """A robot's mail without its footer, where the site puts its own address and phone."""
    match = _FOOTER.search(text)
    return text[: match.start()] if match else text


def own_text(text: str) -> str:
    """The part the sender wrote: quoted lines and the quoted original of a reply are dropped."""
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if re.match(r"^-{2,}\s*(?:original message|исходное сообщение|пересылаемое сообщение)", stripped, re.I):
            break
        if re.match(r"^(?:on .{4,200} wrote:|.{4,200} (?:пишет|написал\(а\)|написал|написала):)$", stripped, re.I):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def find_phones(text: str, *, region: str) -> list[str]:
    """Every valid phone in the text, E.164 with the extension; mobiles first (they reach the person)."""
    found: list[tuple[int, str]] = []
    text = normalize.mark_extensions(text)  # "(доб. 123)", "вн. 45": the office line without them is a switchboard
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        number = match.number
        formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if number.extension:
            formatted += f" ext. {number.extension}"
        if formatted in (item for _, item in found):
            continue
        kind = phonenumbers.number_type(number)
        found.append((0 if kind == phonenumbers.PhoneNumberType.MOBILE else 1, formatted))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


RU_FORMS = r"ООО|ОАО|ЗАО|ПАО|НАО|АО|ИП|АНО|ТОО|ФГУП|ГУП|МУП"
LATIN_FORMS = r"LLC|Ltd\.?|Limited|Inc\.?|GmbH|Corp\.?|PLC|LLP|AG"
_QUOTED = r"«[^»\n]{1,120}»|\"[^\"\n]{1,120}\"|“[^”\n]{1,120}”|„[^“”\n]{1,120}[“”]"
_WORDS = r"[A-ZА-ЯЁ][\w&.\-]*(?:[ \t]+[A-ZА-ЯЁ][\w&.\-]*){0,3}"
COMPANY_PATTERNS = (
    re.compile(rf"(?<![\w])(?:{RU_FORMS})[ \t]+(?:{_QUOTED}|{_WORDS})"),
    re.compile(rf"(?:{_QUOTED}|{_WORDS}),?[ \t]+(?:{LATIN_FORMS})(?![\w])"),
    re.compile(r"^\s*(?:компания|организация|company|organi[sz]ation)\s*:\s*(.{2,120})$", re.IGNORECASE | re.MULTILINE),
)


def find_company(text: str) -> str:
    """A company named with its legal form (ООО «Ромашка», Acme Ltd) or after "Company:"; the last one
    wins, since the signature comes last. Whole, however long: the pipeline cuts it to the card's field and keeps it
    as given (pipeline._keep_long_text)."""
    found = ""
    for pattern in COMPANY_PATTERNS:
        for match in pattern.finditer(text):
            candidate = (match.group(1) if match.groups() else match.group(0)).strip()
            company = normalize.split_company(candidate)
            if company.name:
                found = company.display
    return found


CLOSINGS = re.compile(
    r"^\s*(?:с уважением|с наилучшими пожеланиями|всего доброго|спасибо|best regards|kind regards|regards|"
    r"best wishes|sincerely|thanks|thank you|cheers)[,.!]?\s*$",
    re.IGNORECASE,
)
NAME_LINE = re.compile(r"^[A-ZА-ЯЁ][a-zа-яё\-]+(?:\s+[A-ZА-ЯЁ][a-zа-яё\-]+\.?){1,2}$")


# An address as a person writes it in their text ("ivan@romashka.ru", "<ivan@romashka.ru>", "mailto:ivan@..."); each
# is checked by normalize_email before it is used.
_ADDRESS_IN_TEXT = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")


def find_addresses(text: str, *, not_these: Collection[str] = ()) -> tuple[list[str], list[str]]:
    """The addresses a person wrote in their own text that are valid and no robot's nor in `not_these` (the letter's
    recipients: "I write to sales@..." is not theirs): (their signature's, the others). The signature's are labelled
    ("E-mail: ...") or under the last closing line ("С уважением,") or "-- " separator, where a person gives their
    own; another address in the text may be a colleague's they pass on."""
    lines = text.splitlines(keepends=True)
    last = next((index for index in range(len(lines) - 1, -1, -1)
                 if CLOSINGS.match(lines[index]) or _FOOTER.match(lines[index])), len(lines))
    signature_starts = len("".join(lines[:last]))
    labelled = form_fields(text).get("email", "")
    signature: list[str] = []
    body: list[str] = []
    written = [(match.group(0), True) for match in _ADDRESS_IN_TEXT.finditer(labelled)]
    written += [(match.group(0), match.start() >= signature_starts) for match in _ADDRESS_IN_TEXT.finditer(text)]
    for candidate, in_signature in written:
        try:
            address = normalize.normalize_email(candidate)
        except normalize.NormalizationError:
            continue
        if robot_address(address) or address in not_these or address in signature or address in body:
            continue
        (signature if in_signature else body).append(address)
    return signature, body


def find_signature_name(text: str) -> str:
    """The name under a closing line ("С уважением,\\nИван Петров"), if it looks like a person's name."""
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if CLOSINGS.match(line):
            following = [candidate for candidate in lines[index + 1: index + 3] if candidate]
            if following and NAME_LINE.match(following[0]):
                return following[0]
    return ""


# ---------------------------------------------------------------- the whole message


def parse(raw: bytes, *, region: str = "RU") -> ParsedEmail:
    """Parse a raw message; every part that cannot be read is noted in `problems`, not raised."""
    # compat32: the modern policy re-parses a header on every read, several times slower on real mail.
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    parsed = ParsedEmail()
    parsed.message_id = _first_id(_header(message, "Message-ID"))
    parsed.in_reply_to = _first_id(_header(message, "In-Reply-To"))
    parsed.references = MESSAGE_ID.findall(_header(message, "References"))
    parsed.subject = _header(message, "Subject")[:998]
    parsed.from_name, parsed.from_address = _address(message, "From")
    parsed.reply_to_name, parsed.reply_to_address = _address(message, "Reply-To")
    found = _Parts()
    try:
        _walk(message, found)
        parsed.attachments = found.attachments
        parsed.text, parsed.is_html_only = _body(found)
    except Exception as error:  # a broken MIME structure: the raw message stays for a person to read
        parsed.problems.append(f"body: {type(error).__name__}: {error}")
    parsed.kind, parsed.kind_reason = classify(message, from_address=parsed.from_address, subject=parsed.subject)
    written = own_text(parsed.text)
    parsed.robot = sender_robot(message, from_address=parsed.from_address, text=written)
    forwarded = forwarded_robot(parsed.text) if not parsed.robot else None
    if forwarded is not None:
        # a colleague forwarded a site's notification: the visitor is in the forwarded part, not the colleague
        parsed.robot, written = forwarded
    parsed.phones = find_phones(written, region=region)
    parsed.company = find_company(written)
    parsed.signature_name = find_signature_name(written)
    recipients = {address.lower() for _name, address in getaddresses(
        [decode_words(value) for name in ("To", "Cc") for value in message.get_all(name, [])])}
    parsed.signature_addresses, parsed.body_addresses = find_addresses(written, not_these=recipients)
    parsed.form_fields = form_fields(written, by_question=bool(parsed.robot))
    if parsed.robot:
        parsed.body_phones = find_phones(above_footer(written), region=region)
        visitor = {"phone", "email"} & set(parsed.form_fields) or parsed.body_phones
        if parsed.kind != MessageKind.PERSON and parsed.kind_reason in GENERATED and visitor:
            # a form's notification marked as automatic by its mailer: the visitor in it is a person to answer
            parsed.kind, parsed.kind_reason = MessageKind.PERSON, f"form notification ({parsed.kind_reason})"
    for problem in getattr(message, "defects", []):
        parsed.problems.append(type(problem).__name__)
    return _without_control_characters(parsed)


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _without_control_characters(parsed: ParsedEmail) -> ParsedEmail:
    """No NUL or other control characters in what is stored: PostgreSQL refuses NUL in text and JSON."""
    for name, value in vars(parsed).items():
        if isinstance(value, str):
            setattr(parsed, name, CONTROL.sub("", value))
    parsed.references = [CONTROL.sub("", ref) for ref in parsed.references]
    for attachment in parsed.attachments:
        attachment.filename = CONTROL.sub("", attachment.filename)
        attachment.content_type = CONTROL.sub("", attachment.content_type)
    return parsed


def _first_id(value: str) -> str:
    match = MESSAGE_ID.search(value)
    return match.group(0)[:255] if match else value.strip()[:255]


def _address(message: Message, header: str) -> tuple[str, str]:
    """(display name, address); the name whole, however long, as company is (find_company)."""
    value = message.get(header)
    if value is None:
        return "", ""
    # Split the addresses before decoding the names: a decoded name may hold a comma ("Петров, Иван").
    raw = value if isinstance(value, str) else decode_words(value)
    pairs = [pair for pair in getaddresses([raw]) if pair[1]] or [parseaddr(raw)]
    if "@" not in pairs[0][1] and isinstance(raw, str) and "=?" in raw:
        # A PHP site's mailer encodes the whole "Мария <maria@mail.ru>" as one word (mb_encode_mimeheader): the
        # address is inside it, and without it the visitor's Reply-To would be lost to the site's own From.
        decoded = decode_words(raw)
        pairs = [pair for pair in getaddresses([decoded]) if pair[1]] or [parseaddr(decoded)]
    name, address = decode_words(pairs[0][0]), pairs[0][1]
    if "@" not in address:
        address = ""
    name = " ".join(name.split())
    if "@" in name:  # "ivan@example.org <ivan@example.org>": an address, not a name
        name = ""
    return name, address.strip().lower()[:254]


def parse_message_id(head: bytes) -> str:
    """The Message-ID of a message's header block, read without parsing the rest."""
    message = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.compat32)
    return _first_id(_header(message, "Message-ID"))
