"""What people type, read without a fault: the readers of phones, e-mails, names, companies and whole e-mails are fed
generated text (Hypothesis), messy the way form fields and letters are (Cyrillic and Latin, digits, the punctuation
forms and signatures use, invisible and no-break spaces, stray symbols) and also any Unicode at all.

The properties a user relies on: a reader either reads or refuses with its own error (which intake turns into a
field's message), never crashes the submission; a phone or an e-mail it reads is in its one stored form, and that
form reads back to itself; a phone shown on a page the way people write it ("8 (912) 345-67-89 доб. 12") reads back
to the stored number, since a card's form is saved with what it showed.

Examples come from a fixed seed (repeatable in CI); `LEADFLOW_FUZZ_EXAMPLES=5000` looks harder, at random."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from leadflow.inbox import parsing
from leadflow.intake import builders
from leadflow.matching import normalize
from leadflow.matching.normalize import NormalizationError

from .examples import examples

fuzz = examples(300)

FORM_PUNCTUATION = " +-()./,;:_@#№«»\"'!?*&%$<>[]{}|\\~`^=\t\n\u00a0\u200b\u2011\u2013\u2014\u2116\ufeff"
messy = st.text(
    alphabet=st.one_of(
        st.sampled_from("0123456789" * 4 + FORM_PUNCTUATION),
        st.characters(min_codepoint=0x410, max_codepoint=0x44F),  # А-я
        st.characters(min_codepoint=0x41, max_codepoint=0x7A),
        st.sampled_from("ёЁ"),
    ),
    max_size=60,
)
# Pieces real fields are made of, glued with the messy text around them.
pieces = st.sampled_from([
    "+7", "8", "(912)", "345-67-89", "доб. 12", "ext. 7", "вн.3", "+44 20 7123 4567", "+375 29 123-45-67", "00",
    "@", "ivan@mail.ru", "mail.ru", "gmail.con", "mailto:", "<", ">", "Иванов", "Иван", "Иванович", "Petrov", "и",
    "&", "ООО", "«Ромашка»", "ИП", "LLC", "г-н", "Mr", "t.me/ivan", "@ivan_p", "wa.me/79123456789", "7.91234E+10",
])
field_text = st.one_of(
    messy,
    st.lists(st.one_of(pieces, messy), max_size=8).map(" ".join),
    st.text(max_size=40),  # any Unicode at all
)

E164 = re.compile(r"^\+[1-9]\d{5,14}$")


@fuzz
@given(field_text)
def test_a_phone_reads_to_one_stored_form_or_is_refused_with_a_reason(raw: str) -> None:
    try:
        phone = normalize.normalize_phone(raw, region="RU")
    except NormalizationError as error:
        assert str(error)  # the message the person sees by the field
        return
    assert E164.match(phone.e164), phone
    assert phone.extension == "" or phone.extension.isdigit(), phone
    again = normalize.normalize_phone(normalize.phone_text(phone), region="RU")
    assert (again.e164, again.extension) == (phone.e164, phone.extension)
    for region in ("RU", "GB"):
        shown = normalize.shown_phone(phone.e164, phone.extension, region=region)
        read = normalize.normalize_phone(shown, region=region)
        assert (read.e164, read.extension) == (phone.e164, phone.extension), (shown, region)


@fuzz
@given(field_text)
def test_an_email_reads_to_one_stored_form_or_is_refused_with_a_reason(raw: str) -> None:
    try:
        address = normalize.normalize_email(raw)
    except NormalizationError as error:
        assert str(error)
        return
    assert address.count("@") == 1 and address == address.strip(), address
    assert normalize.normalize_email(address) == address


@fuzz
@given(field_text)
def test_free_text_readers_never_fail(raw: str) -> None:
    # A phone or e-mail field of several numbers, or with a remark: read, or refused with the reason, as one is.
    for field_reader in (lambda: normalize.normalize_phones(raw, region="RU"), lambda: normalize.normalize_emails(raw),
                         lambda: normalize.phones_and_rest(raw, region="RU"), lambda: normalize.emails_and_rest(raw)):
        try:
            field_reader()
        except NormalizationError as error:
            assert str(error)
    # What finds people, firms and contacts in a name field or a letter never refuses: it finds less.
    normalize.name_and_remark(raw)
    normalize.person_and_company(raw)
    normalize.first_person(raw)
    normalize.contacts_in_name(raw)
    normalize.looks_like_company(raw)
    normalize.sole_trader_name(raw)
    normalize.place_key(raw)
    normalize.is_placeholder(raw)
    parsing.form_fields(raw)
    parsing.find_phones(raw, region="RU")
    parsing.find_company(raw)
    parsing.find_signature_name(raw)
    parsing.html_to_text(raw)


@fuzz
@given(field_text)
def test_a_name_splits_into_trimmed_parts(raw: str) -> None:
    name = normalize.split_person_name(raw)
    for part in (name.last, name.first, name.middle):
        assert part == part.strip(), name
    company = normalize.split_company(raw)
    assert company.display == company.display.strip() or not company.display.strip()


headers = st.fixed_dictionaries({}, optional={
    "From": field_text, "Reply-To": field_text, "Subject": field_text, "Message-ID": field_text,
    "In-Reply-To": field_text, "References": field_text, "Content-Type": st.sampled_from([
        "text/plain; charset=utf-8", "text/html; charset=koi8-r", "text/plain; charset=nonsense", "multipart/mixed",
        "multipart/alternative; boundary=x", "application/octet-stream"]),
    "Content-Transfer-Encoding": st.sampled_from(["base64", "quoted-printable", "8bit", "7bit", "x-unknown"]),
})


@fuzz
@given(headers, field_text, st.binary(max_size=200))
def test_any_email_parses_with_its_problems_noted_not_raised(head: dict[str, str], body: str, tail: bytes) -> None:
    # Headers as real mail has them too: raw 8-bit UTF-8, not encoded words.
    lines = [f"{name}: {' '.join(value.split())}".encode("utf-8", "surrogatepass") for name, value in head.items()]
    raw = b"\r\n".join(lines) + b"\r\n\r\n" + body.encode("utf-8", "surrogatepass") + tail
    parsed = parsing.parse(raw, region="RU")
    assert isinstance(parsed.text, str) and isinstance(parsed.problems, list)
    parsing.parse(tail, region="RU")  # not an e-mail at all


payloads = st.dictionaries(
    st.one_of(pieces, st.sampled_from(["name", "Name", "phone", "Phone", "email", "tranid", "formname", "COOKIES",
                                       "answers", "quiz", "contacts", "extra", "utm_source", "Телефон", "Имя"]),
              st.text(max_size=12)),
    st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), field_text),
                 lambda inner: st.one_of(st.lists(inner, max_size=4),
                                         st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                 max_leaves=10),
    max_size=10,
)


@fuzz
@given(payloads)
def test_a_builders_payload_of_any_shape_is_read_without_a_fault(payload: dict) -> None:
    builders.canonical(payload)
    builders.answers(payload)
    builders.is_test_ping(payload)
