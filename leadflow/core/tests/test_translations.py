"""The Russian catalogue: complete, compiled from the current .po, and used by the pages.

CI has no gettext, so the compiled .mo is committed next to the .po. These tests read both with the
standard library only: the .po with the small parser below, the .mo with gettext.GNUTranslations.
After new strings, from the repository root:
    .venv/bin/leadflow makemessages -l ru --ignore=.venv --ignore=benchmarks --ignore=build -e html,txt,py
translate every new or fuzzy entry in leadflow/locale/ru/LC_MESSAGES/django.po, then
    .venv/bin/leadflow compilemessages -l ru --ignore=.venv
or these tests fail.
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import translation

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "ru" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|%[sdifr]|\{\{\s*\w+\s*\}\}")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # index 0 for a singular entry
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        """The key GNUTranslations uses: context, EOT, msgid."""
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


def parse_po(path: Path) -> list[Entry]:
    """A tiny .po reader: comments, flags, msgctxt/msgid/msgid_plural/msgstr[n], continued strings."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None
    in_strings = False  # the current entry has reached its msgstr lines

    def start(number: int) -> Entry:
        nonlocal entry, in_strings
        entry = Entry(line=number)
        entries.append(entry)
        in_strings = False
        return entry

    def append(where: tuple[str, int | None], text: str) -> None:
        assert entry is not None
        name, index = where
        if name == "msgstr":
            entry.msgstr[index or 0] = entry.msgstr.get(index or 0, "") + text
        else:
            setattr(entry, name, (getattr(entry, name) or "") + text)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is None or in_strings:
                start(number)
            assert entry is not None
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
        if match:
            keyword, index, literal = match.groups()
            if keyword in ("msgctxt", "msgid") and (entry is None or in_strings or
                                                    (keyword == "msgctxt" and entry.msgid)):
                start(number)
            assert entry is not None
            if keyword == "msgstr":
                in_strings = True
            target = (keyword, int(index) if index is not None else None)
            append(target, ast.literal_eval(literal))
        elif line.startswith('"') and target is not None:
            append(target, ast.literal_eval(line))
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    return [e for e in entries if e.msgstr or e.msgid]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run leadflow makemessages -l ru"
    return parse_po(PO_PATH)


def nplurals(entries: list[Entry]) -> int:
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None).msgstr[0]
    match = re.search(r"nplurals\s*=\s*(\d+)", header)
    assert match, "the header has no Plural-Forms"
    return int(match.group(1))


def test_the_catalogue_is_russian_and_not_trivial(entries):
    header = next(e for e in entries if e.msgid == "")
    assert "Language: ru\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert len(entries) > 400


def test_no_entry_is_fuzzy_or_untranslated(entries):
    problems = []
    plural_count = nplurals(entries)
    for entry in entries:
        if entry.msgid == "":
            continue  # the header
        if "fuzzy" in entry.flags:
            problems.append(f"line {entry.line}: fuzzy: {entry.msgid!r}")
        expected = range(plural_count) if entry.msgid_plural is not None else range(1)
        for index in expected:
            if not entry.msgstr.get(index, "").strip():
                problems.append(f"line {entry.line}: empty msgstr[{index}]: {entry.msgid!r}")
    assert not problems, "\n".join(problems)


def test_translations_keep_their_placeholders(entries):
    problems = []
    for entry in entries:
        if entry.msgid == "":
            continue
        for index, text in entry.msgstr.items():
            source = entry.msgid_plural if entry.msgid_plural is not None and index > 0 else entry.msgid
            wanted = sorted(PLACEHOLDER.findall(source))
            if sorted(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"line {entry.line}: {entry.msgid!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_the_shipped_mo_is_compiled_from_the_current_po(entries):
    """Every .po translation is in the .mo with the same text, and the .mo holds nothing else."""
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run leadflow compilemessages -l ru"
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    expected: dict[object, str] = {}
    for entry in entries:
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr[0]
        else:
            for index, text in entry.msgstr.items():
                expected[(entry.key, index)] = text
    actual = dict(compiled._catalog)  # GNUTranslations keeps what it read here (no public accessor)
    for catalogue in (expected, actual):  # msgfmt drops the header's POT-Creation-Date line
        catalogue[""] = re.sub(r"(?m)^POT-Creation-Date:.*\n", "", str(catalogue.get("", "")))
    stale = {key: (expected.get(key), actual.get(key)) for key in expected.keys() | actual.keys()
             if expected.get(key) != actual.get(key)}
    assert not stale, ("django.mo does not match django.po (run leadflow compilemessages -l ru); "
                       f"differences (po, mo): {dict(list(stale.items())[:20])}")


# --- the pages, rendered in Russian -------------------------------------------------------------


class _Text(HTMLParser):
    """The visible text chunks and the labelling attributes of a page."""

    ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in self.ATTRIBUTES and value:
                self.chunks.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(data)


def english_labels_on(html: str, entries: list[Entry]) -> set[str]:
    """Catalogue msgids (with a different Russian text) that a page shows untranslated.

    Names stored in the database (stages, lost reasons: seeded in English by a migration, edited in the
    admin) are data, not UI labels: some equal a msgid ("Converted", "Refused", "Proposal sent").
    """
    from leadflow.leads.models import LostReason, Stage

    data = {str(name) for name in Stage.objects.values_list("name", flat=True)}
    data |= set(LostReason.objects.values_list("name", flat=True))
    data.add("English")  # the language switch names each language in itself, as language pickers do
    english = {e.msgid for e in entries
               if e.msgid and e.msgid_plural is None and e.msgstr[0] != e.msgid and e.msgid not in data}
    parser = _Text()
    parser.feed(html)
    found = set()
    for chunk in parser.chunks:
        text = " ".join(chunk.split())
        for candidate in (text, re.sub(r"\s*\(\d+\)$", "", text).rstrip(":").strip()):
            if candidate in english:
                found.add(candidate)
    return found


@pytest.fixture
def _english_after() -> object:
    """The middleware activates the user's language in this thread; leave it as other tests expect."""
    yield
    translation.deactivate()


@pytest.fixture
def russian_alice(alice):
    alice.language = "ru"
    alice.save(update_fields=["language"])
    return alice


@pytest.mark.django_db
@pytest.mark.usefixtures("_english_after")
def test_my_tasks_in_russian(client: HttpClient, russian_alice, make_lead, entries):
    lead = make_lead(owner=russian_alice)
    client.force_login(russian_alice)
    response = client.get("/tasks/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="ru"' in html
    assert "Мои задачи" in html and "Просрочено" in html and "Выполнить" in html
    assert "My tasks" not in html and "Overdue" not in html
    assert lead.full_name in html  # the page really lists her task
    assert not english_labels_on(html, entries)


@pytest.mark.django_db
@pytest.mark.usefixtures("_english_after")
def test_the_pool_in_russian(client: HttpClient, russian_alice, make_lead, entries):
    lead = make_lead()  # nobody's: it waits in the pool
    client.force_login(russian_alice)
    response = client.get("/pool/")
    assert response.status_code == 200
    html = response.content.decode()
    assert lead.full_name in html
    assert "Пул" in html and "Взять в работу" in html and "Мои лиды" in html
    assert "Claim" not in html and "The pool is empty" not in html and "My leads" not in html
    assert not english_labels_on(html, entries)


@pytest.mark.django_db
@pytest.mark.usefixtures("_english_after")
@pytest.mark.parametrize("page", ["/leads/", "/board/", "/clients/", "/notifications/", "/preferences/", "card",
                                  "client card"])
def test_other_pages_show_no_english_label_in_russian(client: HttpClient, russian_alice, make_lead, entries, page):
    lead = make_lead(owner=russian_alice)
    client.force_login(russian_alice)
    if page == "client card":  # its forms (log a call, add and complete tasks) and the first task's title
        from leadflow.leads import services

        page = f"/clients/{services.convert_lead(lead=lead, by=russian_alice).pk}/"
    response = client.get(f"/leads/{lead.pk}/" if page == "card" else page)
    assert response.status_code == 200
    assert not english_labels_on(response.content.decode(), entries)


@pytest.mark.django_db
@pytest.mark.usefixtures("_english_after")
def test_the_head_sees_the_team_page_in_russian(client: HttpClient, head, make_lead, entries):
    head.language = "ru"
    head.save(update_fields=["language"])
    make_lead()
    client.force_login(head)
    html = client.get("/team/").content.decode()
    assert "Нагрузка по менеджерам" in html and "Load per manager" not in html
    assert not english_labels_on(html, entries)


@pytest.mark.django_db
@pytest.mark.usefixtures("_english_after")
def test_an_english_speaker_still_gets_english(client: HttpClient, alice, make_lead):
    alice.language = "en"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    html = client.get("/tasks/").content.decode()
    assert "My tasks" in html and "Мои задачи" not in html
