"""Which column holds what: the fields an import can fill, and a guess from the header's words."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

# Fields of the intake payload (leadflow.intake.pipeline) a column can be mapped to, in form order.
LEAD_FIELDS: dict[str, object] = {
    "name": _("Full name (ФИО)"),
    "last_name": _("Surname"),
    "first_name": _("First name"),
    "middle_name": _("Patronymic"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "company": _("Company"),
    "position": _("Position"),
    "city": _("City / region"),
    "product_interest": _("Product interest"),
    "deal_type": _("Deal type (retail / wholesale)"),
    "message": _("Comment"),
    "consent": _("Consent to be contacted"),
    "consent_text_version": _("Consent text version"),
    "utm_medium": _("UTM medium"),
    "utm_content": _("UTM content"),
    "utm_term": _("UTM term"),
}
# A client import also knows the company's registration numbers and address.
CLIENT_FIELDS: dict[str, object] = {
    **LEAD_FIELDS,
    "inn": _("INN"),
    "kpp": _("KPP"),
    "ogrn": _("OGRN"),
    "legal_address": _("Legal address"),
}

# Header words (compacted: lower case, ё as е, letters and digits only) -> field.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "name": ("фио", "имя фамилия", "фамилия имя", "фамилия имя отчество", "полное имя", "контактное лицо",
             "контакт", "клиент", "name", "full name", "fullname", "contact", "contact name", "contact person",
             "person", "основной контакт"),
    "last_name": ("фамилия", "last name", "lastname", "surname", "family name"),
    "first_name": ("имя", "first name", "firstname", "given name"),
    "middle_name": ("отчество", "middle name", "patronymic"),
    "phone": ("телефон", "тел", "номер телефона", "мобильный", "мобильный телефон", "моб телефон", "сотовый",
              "контактный телефон", "phone", "phone number", "telephone", "tel", "mobile", "mobile phone", "cell",
              "доп телефон", "дополнительный телефон", "второй телефон", "другой телефон", "рабочий телефон",
              "домашний телефон", "other phone", "alt phone", "alternative phone", "work phone", "home phone",
              "second phone", "additional phone", "рабочий прямой телефон", "прямой телефон"),
    "email": ("e-mail", "email", "эл почта", "электронная почта", "почта", "емейл", "имейл", "mail",
              "email address", "e-mail address", "адрес электронной почты", "доп email", "доп e-mail",
              "другой email", "другая почта", "рабочая почта", "личная почта", "other email", "work email",
              "personal email", "secondary email", "second email",
              # amoCRM's and Bitrix24's export columns
              "рабочий email", "личный email", "частный email", "другой e-mail", "email для рассылок"),
    "company": ("компания", "организация", "название компании", "наименование", "фирма", "контрагент",
                "company", "company name", "organization", "organisation", "account", "firm"),
    "position": ("должность", "position", "job title", "title", "role"),
    "city": ("город", "регион", "населенный пункт", "city", "region", "town"),
    "product_interest": ("продукт", "товар", "интерес", "услуга", "product", "product interest", "interest"),
    "deal_type": ("тип сделки", "опт розница", "deal type"),
    "message": ("комментарий", "сообщение", "примечание", "заметки", "вопрос", "comment", "comments", "message",
                "note", "notes"),
    "consent": ("согласие", "согласие на обработку", "consent", "opt in", "optin"),
    "consent_text_version": ("версия согласия", "consent version", "consent text version"),
    "utm_medium": ("utm medium", "utm_medium", "канал"),
    "utm_content": ("utm content", "utm_content"),
    "utm_term": ("utm term", "utm_term", "ключевое слово"),
    "inn": ("инн", "inn", "tax id", "taxpayer id"),
    "kpp": ("кпп", "kpp"),
    "ogrn": ("огрн", "огрнип", "ogrn"),
    "legal_address": ("юридический адрес", "юр адрес", "адрес", "legal address", "address"),
}


def compact(header: str) -> str:
    return re.sub(r"[\W_]+", "", header.casefold().replace("ё", "е"))


_BY_WORD = {compact(word): name for name, words in HEADER_WORDS.items() for word in words}


def fields_for(kind: str) -> dict[str, object]:
    return CLIENT_FIELDS if kind == "clients" else LEAD_FIELDS


# Fields a row may have several columns of: every column that names one is mapped ("Телефон", "Телефон 2", "Рабочий
# телефон"; "Комментарий", "Примечание"), and their cells are joined: phones and e-mails as one field listing several
# (pipeline: the first is the card's, the others its further contacts), comments line by line.
SEVERAL = {"phone": "; ", "email": "; ", "message": "\n"}


def guess_mapping(headers: list[str], kind: str = "leads") -> dict[str, str]:
    """{column index (as text): field} for the headers whose words are known; each field used once, except phones
    and e-mails, of which a person may give several."""
    allowed = fields_for(kind)
    mapping: dict[str, str] = {}
    for index, header in enumerate(headers):
        name = _BY_WORD.get(compact(header))
        if name is None:
            # "Телефон (моб.)", "E-mail клиента": a known word at the start still says it.
            word = compact(header)
            name = next((field for key, field in sorted(_BY_WORD.items(), key=lambda item: -len(item[0]))
                         if len(key) >= 3 and word.startswith(key)), None)
        if name and name in allowed and (name in SEVERAL or name not in mapping.values()):
            mapping[str(index)] = name
    return mapping


def payload_of(cells: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """The intake payload of one row: mapped cells, several columns of one field joined by a space (phones and
    e-mails by "; ", so each column stays a number or an address of its own; comments line by line)."""
    payload: dict[str, str] = {}
    for index_text, name in mapping.items():
        index = int(index_text)
        value = cells[index].strip() if index < len(cells) else ""
        if value:
            joint = SEVERAL.get(name, " ")
            payload[name] = f"{payload[name]}{joint}{value}" if name in payload else value
    return payload
