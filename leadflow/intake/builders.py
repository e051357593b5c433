"""What website builders and form plugins send, read as Leadflow's fields.

A site made with Tilda, WordPress (Contact Form 7), Marquiz, Bitrix24 or amoCRM forms, Yandex or Google Forms hands
its webhook the field names the site owner typed or the plugin chose: `Name`, `Phone`, `your-tel`, `fields[email]`,
`Телефон`, a nested `contacts` object, UTM tags in a `COOKIES` string. Nobody at the sending end can rename them, so
the pipeline reads them as the fields they mean (`canonical`), while the journal keeps the payload exactly as sent.

Only a field Leadflow's own name does not already fill is taken from another name: a partner that sends `phone`
keeps its `phone`. Pure functions over the payload: no database, so the intake path costs nothing more.
"""

from __future__ import annotations

import re
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

# Other names of each field, as keys read after `_key` (lower case, "-", " " and "." as "_", a plugin's "your_" and a
# builder's "_1" dropped). Only names that mean the field whatever the form: "title" or "text" alone do not.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "fio", "full_name", "fullname", "contact_name", "client_name", "customer_name",
             "имя", "фио", "ваше_имя", "имя_фамилия", "контактное_лицо"),
    "first_name": ("first_name", "firstname", "given_name", "fname"),
    "last_name": ("last_name", "lastname", "surname", "family_name", "lname", "фамилия"),
    "middle_name": ("middle_name", "middlename", "second_name", "patronymic", "отчество"),
    "phone": ("phone", "tel", "telephone", "phone_number", "phonenumber", "mobile", "mobile_phone", "cellphone",
              "cell", "whatsapp", "телефон", "тел", "номер_телефона", "мобильный", "мобильный_телефон"),
    "email": ("email", "e_mail", "mail", "email_address", "почта", "электронная_почта", "e_mail_адрес"),
    "company": ("company", "company_name", "organization", "organisation", "org", "компания", "организация",
                "название_компании", "название_организации"),
    "position": ("position", "job_title", "jobtitle", "должность"),
    "city": ("city", "town", "город", "населенный_пункт", "населённый_пункт"),
    "message": ("message", "comment", "comments", "textarea", "question", "сообщение", "комментарий", "вопрос",
                "ваш_вопрос", "ваше_сообщение"),
    "referrer": ("referrer", "referer", "http_referer"),
    "landing_page": ("landing_page", "page_url", "href", "pageurl", "page"),
}
# Several of these under different names are all of them ("Phone" and "Phone_2" are two numbers to read).
SEVERAL = {"phone", "email"}
# Read from another name only when it is an address: a builder's "page" may be a path or a page's title.
ADDRESSES = {"referrer", "landing_page"}
UTM_PARTS = ("source", "medium", "campaign", "content", "term")
# An ad network's click id marks the visit as its paid click when the page kept no UTM tags (auto-tagging: Google
# Ads' gclid, Yandex Direct's yclid), as Google Analytics and Yandex Metrica count it.
CLICK_IDS = {"gclid": "google", "yclid": "yandex", "wbraid": "google", "gbraid": "google"}
# Where a builder puts the visitor's details: a nested object (Marquiz "contacts", "extra"; "fields", "data").
MAX_DEPTH = 3
# Leadflow's own objects in a payload, read by the pipeline as they are: the first visit's tags are not this visit's.
OWN_OBJECTS = {"first_touch", "utm", "consents", "consent_text_versions", "thread_card"}
# A builder's objects describing the quiz or the form itself, not the visitor: Marquiz's {"quiz": {"id", "name"}} and
# "result", Elementor's {"form": {"id", "name"}}. Their "name" is the quiz's or the form's title, never the person's.
ABOUT_THE_FORM = {"quiz", "form", "result"}

_BY_ALIAS = {alias: field for field, aliases in ALIASES.items() for alias in aliases}
_BRACKETED = re.compile(r"^[^\[\]]*\[([^\[\]]+)\]$")  # "fields[name]" (PHP arrays: Bitrix24, amoCRM forms)
_NUMBERED = re.compile(r"_?\d+$")  # "phone_1", "Phone2": a builder numbering a field it has once


def _key(raw: str) -> str:
    bracketed = _BRACKETED.match(raw.strip())
    text = bracketed.group(1) if bracketed else raw
    key = re.sub(r"[\s.\-]+", "_", text.strip().casefold()).strip("_")
    key = key.removeprefix("your_").removeprefix("ваш_").removeprefix("ваше_") if key not in _BY_ALIAS else key
    return key if key in _BY_ALIAS or key.startswith("utm_") else _NUMBERED.sub("", key)


def field_of_label(label: str) -> str:
    """Leadflow's field a label names ("Ваш телефон", "E-mail", "Name"), or "": a form's field names and the labels
    of its notification e-mail are the same words."""
    return _BY_ALIAS.get(_key(label), "")


# A question or a label in the site owner's words ("Как к вам обращаться?", "Номер телефона для связи", "Your phone
# number", "Телефон посетителя"): the field its words name. Read in this order, so "Название компании" is the company,
# "Телефон посетителя" the phone and "Сколько сотрудников в компании?" the company's size; a label naming something
# else ("Form Name", "Номер заказа", "Имя файла") is none. Words are matched whole, or as the beginning of a Russian
# word where its endings vary ("телефона", "компании").
NOT_A_FIELD_WORDS = ("form", "форм", "заказ", "заявк", "order", "request", "id", "ip", "файл", "file", "site", "сайт",
                     "page", "страниц", "block", "блок", "quiz", "квиз", "promo", "промокод", "referr", "user_agent",
                     "agent", "tranid", "formid", "менеджер", "manager", "почтов")
QUESTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("phone", ("телефон", "тел", "phone", "telephone", "mobile", "мобильн", "whatsapp", "ватсап", "вотсап", "номер",
               "number", "cell")),
    ("email", ("email", "e_mail", "mail", "почта", "почты", "почту", "емейл", "имейл", "электронн")),
    ("company_size", ("сотрудник", "employees", "численност", "штат")),
    ("company", ("компани", "организаци", "company", "organisation", "organization", "фирм")),
    ("city", ("город", "city", "town", "регион", "region", "населенн", "населённ")),
    ("deal_type", ("опт", "розниц", "wholesale", "retail")),
    ("budget", ("бюджет", "budget")),
    ("product_interest", ("товар", "продукт", "услуг", "интересует", "product", "service", "interested")),
    ("message", ("сообщени", "комментари", "message", "comment", "comments", "вопрос", "question", "пожелани")),
    ("name", ("имя", "имени", "фио", "name", "обращаться", "зовут", "посетитель", "visitor", "автор", "author",
              "контактное_лицо")),
)
_SHORT_WORDS = {"тел", "опт", "id", "ip", "name", "имя", "фио", "mail", "cell", "city", "town", "form"}
# Someone other than the visitor a question may ask the name, the phone or the e-mail of ("Как зовут вашего ребёнка?",
# "What is your dog's name?", "Имя получателя", "Телефон ребёнка", "Email мамы"): the answer is not the visitor's and
# stays an answer on the request. A parent ("Имя родителя", "Телефон мамы"), a participant or a patient is not here:
# on a children's school's or a clinic's form they are the visitor, the one to call.
OTHER_PERSON_WORDS = ("ребен", "ребён", "детей", "дети", "малыш", "сын", "сына", "сыну", "дочь", "дочер", "дочк",
                      "внук", "внучк", "муж", "мужа", "супруг", "жена", "жены", "питом", "собак", "кошк", "кот",
                      "кота", "щенк", "щенок", "котен", "котён", "получател", "именинн", "подруг",
                      "невест", "жених", "его", "её", "ее", "child", "children", "kid", "kids", "son", "sons",
                      "daughter", "baby", "grandchild", "grandson", "granddaughter", "husband", "wife", "spouse",
                      "pet", "pets", "dog", "dogs", "cat", "cats", "puppy", "kitten", "recipient", "friend", "bride",
                      "groom", "birthday", "his", "her", "their")
# The fields that name a person: a question about someone else (OTHER_PERSON_WORDS) fills none of them.
PERSON_FIELDS = ("name", "phone", "email")


def _words(label: str) -> list[str]:
    text = label.casefold().replace("e-mail", "email").replace("контактное лицо", "контактное_лицо")
    return re.findall(r"[^\W\d_]+|контактное_лицо|e_mail", text)


def field_of_question(label: str) -> str:
    """The field a question or a label in the site owner's own words asks for ("Как к вам обращаться?" the name,
    "Ваш номер телефона (WhatsApp)" the phone, "Какой у вас бюджет?" the budget), or "". Leadflow's field names and
    builders' aliases first (field_of_label); "budget" is no card field, the request keeps it with the answers."""
    exact = field_of_label(label)
    if exact:
        return exact
    words = _words(label)
    if not words or len(words) > 12:
        return ""

    def has(stems: tuple[str, ...]) -> bool:
        return any(word == stem or (stem not in _SHORT_WORDS and len(stem) >= 4 and word.startswith(stem))
                   for word in words for stem in stems)

    if has(NOT_A_FIELD_WORDS):
        return ""
    field = next((field for field, stems in QUESTION_WORDS if has(stems)), "")
    if field in PERSON_FIELDS and has(OTHER_PERSON_WORDS):
        return ""  # "Как зовут вашего ребёнка?", "Телефон ребёнка": someone else's, not the visitor's
    return field


def _scalar(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_scalar(item) for item in value if _scalar(item))
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    return ""


def _fields(payload: dict[str, Any], depth: int = 0, parent: str = "") -> list[tuple[str, Any]]:
    """(key as read, value) of every field, nested objects' too, in the order sent."""
    found: list[tuple[str, Any]] = []
    for raw, value in payload.items():
        if not isinstance(raw, str):
            continue
        key = _key(raw)
        if parent in ABOUT_THE_FORM and _BY_ALIAS.get(key) == "name":
            continue  # {"quiz": {"name": "Расчёт дома"}}: the quiz's title
        if parent == "utm" and key in UTM_PARTS:
            key = f"utm_{key}"  # {"utm": {"source": ...}} (Marquiz "extra.utm")
        if isinstance(value, dict):
            if depth < MAX_DEPTH and not (depth == 0 and raw in OWN_OBJECTS):
                found += _fields(value, depth + 1, key)
            continue
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            # [{"name": "Phone", "value": "..."}] (a form's fields as a list, as Bitrix24 and Yandex Forms send)
            for item in value if depth < MAX_DEPTH else []:
                label = item.get("name") or item.get("key") or item.get("title") or item.get("label")
                if isinstance(label, str) and "value" in item:
                    found.append((_key(label), item["value"]))
                else:
                    found += _fields(item, depth + 1, key)
            continue
        found.append((key, value))
    return found


def _cookie_tags(cookies: str) -> dict[str, str]:
    """UTM tags in a `COOKIES` field (Tilda's "send cookies"): `utm_*` cookies, and Tilda's TILDAUTM cookie
    ("utm_source=yandex|||utm_medium=cpc", URL-encoded)."""
    jar = SimpleCookie()
    try:
        jar.load(cookies)
    except Exception:  # http.cookies raises CookieError and others on what a browser sends anyway
        return {}
    tags = {key.lower(): unquote_plus(morsel.value) for key, morsel in jar.items() if key.lower().startswith("utm_")}
    if "TILDAUTM" in jar:
        for pair in unquote_plus(jar["TILDAUTM"].value).split("|||"):
            name, _sep, value = pair.partition("=")
            if name.strip().lower().startswith("utm_") and value.strip():
                tags.setdefault(name.strip().lower(), value.strip())
    return tags


def canonical(payload: dict[str, Any], *, own_click: bool = True) -> dict[str, Any]:
    """The payload with Leadflow's fields filled from the names builders and plugins use, where Leadflow's own name
    is not there. The payload itself is returned when there is nothing to add (the usual partner or form).

    `own_click`: a click id is the company's own paid click (its site's form); a partner's is the partner's own
    advertising, paid per lead to the partner, and never counted against the company's ad spend."""
    added: dict[str, Any] = {}
    cookies = ""
    click_source = ""
    for key, value in _fields(payload):
        field = _BY_ALIAS.get(key) or (key if key.startswith("utm_") and key[4:] in UTM_PARTS else "")
        if key == "cookies" and isinstance(value, str):
            cookies = value
        elif key in CLICK_IDS and _scalar(value):
            click_source = click_source or CLICK_IDS[key]
        if not field or field in payload or not _scalar(value):
            continue
        if field in ADDRESSES and not re.match(r"^https?://", _scalar(value), re.IGNORECASE):
            continue
        if field in SEVERAL and field in added:
            added[field] = f"{added[field]}, {_scalar(value)}"
        else:
            added.setdefault(field, value if isinstance(value, str | int | float) else _scalar(value))
    if cookies:
        for tag, value in _cookie_tags(cookies).items():
            if tag[4:] in UTM_PARTS and tag not in payload:
                added.setdefault(tag, value)
    has_tags = any(f"utm_{part}" in payload or f"utm_{part}" in added for part in UTM_PARTS) or isinstance(
        payload.get("utm"), dict)
    if own_click and click_source and not has_tags:
        added.update({"utm_source": click_source, "utm_medium": "cpc"})
    for answer in answers(payload):
        # a quiz's answer is its field, as a form's field of that name is ("В каком вы городе?" the city)
        field = answer["field"]
        if field in ANSWERED_FIELDS and field not in payload and field not in added:
            value = _answered(field, answer["answer"])
            if value:
                added[field] = value
    return {**payload, **added} if added else payload


# Where a quiz puts its questions and answers: Marquiz's "answers" (and "raw"), [{"q": "...", "a": "..."}], the
# answer a list for a question with several choices; other quiz builders "questions", [{"question", "answer"}].
QUIZ_LISTS = {"answers", "raw", "quiz_answers", "questions", "quiz", "ответы"}
QUESTION_KEYS = ("q", "question", "title", "вопрос")
ANSWER_KEYS = ("a", "answer", "answers", "value", "ответ")
MAX_ANSWERS = 50
QUESTION_LIMIT, ANSWER_LIMIT = 300, 1000
# The fields an answer may fill, as a form's field of that name would (a quiz's "Ваш город?" is the city). A quiz's
# answer that does not read as its field ("Пока не знаю" to "Опт или розница?") fills nothing: it stays an answer.
ANSWERED_FIELDS = {"name", "phone", "email", "company", "position", "city", "product_interest", "deal_type",
                   "company_size", "message"}
_QUESTION_KEY = re.compile(r"[\s?]|[^\x00-\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_WHOLESALE = re.compile(r"(?<!\w)(?:опт(?:ом|овый|овая|овое|овые|овую|овой)?|wholesale|b2b)(?!\w)", re.IGNORECASE)
_RETAIL = re.compile(r"(?<!\w)(?:розниц\w*|в розницу|retail|b2c)(?!\w)", re.IGNORECASE)
_SIZE = re.compile(r"^\D{0,20}\d[\d\s]*(?:[-–—]\s*\d[\d\s]*|\+)?\s*(?:чел\w*|человек|сотрудник\w*|employees|people)?$",
                   re.IGNORECASE)


def _one_line(value: Any, limit: int) -> str:
    text = " ".join(_CONTROL.sub(" ", _scalar(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_question(raw: str) -> bool:
    """A field named by a question in the site owner's words (Tilda's quiz names each field by its question,
    "Какой_у_вас_тип_дома"), not a plugin's technical name ("tranid", "formid", "_wpcf7") nor a field Leadflow
    reads by its name."""
    key = _key(raw)
    return bool(_QUESTION_KEY.search(raw)) and key not in _BY_ALIAS and not key.startswith("utm_") and (
        raw not in OWN_OBJECTS)


def answers(payload: dict[str, Any]) -> list[dict[str, str]]:
    """A quiz's questions and answers as the visitor saw them, for the request on the card: [{"question", "answer",
    "field"}], "field" naming what the answer fills (builders.field_of_question; "budget" has no field on the card
    and stays the answer). Marquiz's answers list, and a Tilda quiz's fields named by their questions. One line each,
    cut at QUESTION_LIMIT and ANSWER_LIMIT characters; at most MAX_ANSWERS."""
    found: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(question: Any, answer: Any) -> None:
        question_text = _one_line(question, QUESTION_LIMIT).replace("_", " ").strip()
        answer_text = _one_line(answer, ANSWER_LIMIT)
        if question_text and answer_text and (question_text, answer_text) not in seen and len(found) < MAX_ANSWERS:
            seen.add((question_text, answer_text))
            found.append({"question": question_text, "answer": answer_text, "field": field_of_question(question_text)})

    for raw, value in payload.items():
        if not isinstance(raw, str):
            continue
        if _key(raw) in QUIZ_LISTS and isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    question = next((item[key] for key in QUESTION_KEYS if _scalar(item.get(key))), "")
                    add(question, next((item[key] for key in ANSWER_KEYS if _scalar(item.get(key))), ""))
        elif _is_question(raw) and not isinstance(value, dict):
            add(raw, value)
    return found


def _answered(field: str, answer: str) -> str:
    """An answer as the field it fills, or "" when it does not read as that field."""
    if field == "deal_type":
        wholesale, retail = bool(_WHOLESALE.search(answer)), bool(_RETAIL.search(answer))
        return "wholesale" if wholesale and not retail else "retail" if retail and not wholesale else ""
    if field == "company_size":
        return answer if _SIZE.match(answer) else ""
    return answer


def is_test_ping(payload: dict[str, Any]) -> bool:
    """The request a builder sends to check a webhook address when it is set up (Tilda: `test=test`): no person."""
    return set(payload) == {"test"} and str(payload["test"]).strip().lower() in ("test", "1", "true")


def url_encoded(body: bytes, content_type: str) -> dict[str, Any]:
    """A form-encoded body as a payload: a repeated key is a list (as a PHP form's), read as UTF-8, or as
    windows-1251 when it is not UTF-8 and names no charset (older PHP sites and 1C-Bitrix send that)."""
    charset = re.search(r"charset=([\w-]+)", content_type, re.IGNORECASE)
    text = body.decode("latin-1")  # percent-escapes and ASCII; bytes beyond are decoded below with the right charset
    for encoding in ([charset.group(1)] if charset else ["utf-8", "cp1251"]):
        try:
            pairs = parse_qsl(text.encode("latin-1").decode(encoding), keep_blank_values=True, encoding=encoding,
                              errors="strict", max_num_fields=500)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    else:
        pairs = parse_qsl(text, keep_blank_values=True, errors="replace", max_num_fields=500)
    payload: dict[str, Any] = {}
    for key, value in pairs:
        if key in payload:
            payload[key] = [*payload[key], value] if isinstance(payload[key], list) else [payload[key], value]
        else:
            payload[key] = value
    return payload
