"""Bad input on the HTML side and the public channels: never a server error, nothing unstorable stored.

The pages are found by following links from the start page (demo data, as an admin and as a manager), and
every query parameter a page links with or asks for in a GET form, and every field of every POST form on it,
gets hostile values: NUL, digits int() refuses ("²"), 2**70, impossible dates, 100 KB. New pages and forms
are swept without anyone listing them. The public channels (hosted form, embed endpoint, tracker, call
webhook) are outside the ninja API and get their own short sweep.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlparse

import pytest
from django.apps import apps
from django.db import connection, models, transaction
from django.test import Client

from leadflow.accounts.models import User
from leadflow.core.tests.crawl import Crawl, route
from leadflow.demo import build_demo
from leadflow.intake.models import Form, Submission

pytestmark = pytest.mark.django_db

HUGE = str(2**70)
NUL = "bad\x00value"
LONG = "x" * 100_000
NOT_PAGES = re.compile(r"^/(logout|login|account|i18n|static|media|language|admin)/|\.(js|css|png|svg|ico|gif)$"
                       r"|^/api/|^/m/")
PER_KIND = 2  # pages of one URL pattern visited


class Page(HTMLParser):
    """The links and forms of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action", ""), "fields": {},
                          "file": a.get("enctype", "").startswith("multipart")}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select", "button") and a.get("name"):
            kind = a.get("type", "text").lower()
            if tag == "select":
                self._select = a["name"]
                self._form["fields"].setdefault(a["name"], "")
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["fields"][a["name"]] = a.get("value", "on")
                else:
                    self._form["fields"].setdefault(a["name"], None)
            else:  # a named button is sent when it is pressed: its value is input too
                self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "option" and self._form is not None and self._select:
            if not self._form["fields"].get(self._select) or "selected" in a:
                self._form["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def nul_stored() -> list[str]:
    """Tables whose text columns hold a NUL (SQLite keeps one; PostgreSQL refuses it outright, as a server
    error). One statement; the bytes are searched, since SQLite's text functions stop at a NUL."""
    parts = []
    for model in apps.get_models():
        if not model.__module__.startswith("leadflow.") or not model._meta.managed:
            continue
        columns = [connection.ops.quote_name(f.column) for f in model._meta.concrete_fields
                   if isinstance(f, models.CharField | models.TextField)]
        if columns:
            where = " OR ".join(f"instr(CAST({c} AS BLOB), x'00') > 0" for c in columns)
            table = connection.ops.quote_name(model._meta.db_table)
            parts.append(f"SELECT '{model.__name__}' FROM {table} WHERE {where}")  # noqa: S608 (names of models)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ".join(parts))
        return sorted(row[0] for row in cursor.fetchall())


class Sweep:
    def __init__(self, client: Client, who: str) -> None:
        self.client, self.who = client, who
        self.failures: list[str] = []
        self.requests = 0
        self.forms_seen: set[tuple] = set()

    def request(self, method: str, url: str, data: dict[str, Any] | None = None, *, nul: bool = False) -> None:
        """One request in a rolled-back savepoint; a server error or a stored NUL is a failure."""
        self.requests += 1
        with transaction.atomic():
            if method == "GET":
                response = self.client.get(url, data or {})
            else:
                response = self.client.post(url, {k: v for k, v in (data or {}).items() if v is not None})
            label = f"{self.who} {method} {url} {shorten(data)}"
            if response.status_code >= 500:
                self.failures.append(f"{label}: {response.status_code}")
            elif nul and connection.vendor == "sqlite" and (where := nul_stored()):
                self.failures.append(f"{label}: NUL stored in {where}")
            transaction.set_rollback(True)

    def fuzz_query(self, path: str, names: set[str]) -> None:
        for number, name in enumerate(sorted(names)):  # one by one where a parameter read by hand fails alone
            self.request("GET", path, {name: NUL}, nul=True)
            self.request("GET", path, {name: ("²", HUGE)[number % 2]})  # sampled: either breaks int()
        for value in ("-1", "2026-02-30", LONG):  # all at once where forms and filters judge them together
            self.request("GET", path, dict.fromkeys(names, value))

    def fuzz_form(self, page_url: str, form: dict[str, Any]) -> None:
        action = urljoin(page_url, form["action"] or page_url)
        target = urlparse(action)
        if target.netloc not in ("", "testserver") or NOT_PAGES.search(target.path):
            return
        fields = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}
        key = (route(target.path), form["method"], tuple(sorted(fields)))
        if key in self.forms_seen:
            return
        self.forms_seen.add(key)
        path = target.path + (f"?{target.query}" if target.query else "")
        if form["method"] == "get":
            self.fuzz_query(target.path, set(fields))
            return
        self.request("POST", path, {k: NUL for k in fields}, nul=True)
        self.request("POST", path, {k: LONG for k in fields})
        self.request("POST", path, {k: "yesterday" for k in fields})
        for name in fields:
            if re.search(r"-[1-9]\d*-", name):
                continue  # a formset's second and later forms repeat the first one's fields
            management = name.endswith(("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"))
            # a huge form count makes Django build its 1,000-form maximum: refused, but slowly
            for value in ("²", "-1") if management else (HUGE, "²"):
                self.request("POST", path, {**fields, name: value})


def shorten(data: dict[str, Any] | None) -> str:
    return json.dumps({k: (v[:20] + "…" if isinstance(v, str) and len(v) > 20 else v)
                       for k, v in (data or {}).items()}, ensure_ascii=True)


def crawl_and_fuzz(client: Client, who: str) -> Sweep:
    sweep = Sweep(client, who)
    crawl = Crawl(client, per_kind=PER_KIND)
    for url, response, first_of_kind in crawl.pages():
        if response.status_code >= 500:
            sweep.failures.append(f"{who} GET {url}: {response.status_code}")
        if "text/html" not in response.get("Content-Type", "") or response.status_code >= 400:
            continue
        page = Page()
        page.feed(response.content.decode())
        path = urlparse(url).path
        query_names = {"q", "sort", "cursor", "page"} | {k for k, _ in parse_qsl(urlparse(url).query)}
        for href in page.links:
            target = urlparse(urljoin(url, href.replace("&amp;", "&")))
            if target.scheme not in ("", "http", "https") or target.netloc not in ("", "testserver"):
                continue
            if target.path == path:
                query_names |= {k for k, _ in parse_qsl(target.query)}
            if not NOT_PAGES.search(target.path) and "/export" not in target.path:
                crawl.follow([target.path + (f"?{target.query}" if target.query else "")])
        if first_of_kind:  # one page of a kind is enough to fuzz its parameters
            sweep.fuzz_query(path, query_names)
        for form in page.forms:
            sweep.fuzz_form(url, form)
    assert len(crawl.seen) > 15, crawl.seen
    return sweep


@pytest.mark.parametrize("username", ["admin", "alice"])
def test_every_page_and_form_survives_garbage(username: str) -> None:
    build_demo()
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username=username))
    sweep = crawl_and_fuzz(client, username)
    assert sweep.requests > 200, sweep.requests
    assert not sweep.failures, "\n".join(sweep.failures)


def test_exports_survive_garbage_filters() -> None:
    build_demo()
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(username="admin"))
    for path in ("/leads/export.csv", "/leads/export.xlsx"):
        for name in ("q", "state", "stage", "owner", "team", "source", "temperature", "created_from", "sort"):
            for value in (NUL, "²", HUGE, "2026-02-30", LONG):
                response = client.get(path, {name: value})
                assert response.status_code < 500, (path, name, value[:20], response.status_code)


# ------------------------------------------------------------------ public channels


def journaled_after(before: int, response: Any, label: str) -> None:
    if response.status_code in (413, 429):
        assert Submission.objects.count() == before, f"{label}: journaled what it refused"
    else:
        assert Submission.objects.count() == before + 1, f"{label}: not journaled ({response.status_code})"


def test_hosted_form_and_embed_endpoint_journal_garbage_and_never_fail(web_form: Form) -> None:
    names = [entry["name"] for entry in web_form.shown_fields()]
    hosted = Client(raise_request_exception=False)
    page = hosted.get(f"/f/{web_form.slug}")
    assert page.status_code == 200
    cases = [{name: NUL for name in names}, {name: LONG[:3000] for name in names}, {"name": "\x00", "phone": "²"},
             {"nonsense": NUL, "email": HUGE}, {"name": "Ivan", "phone": "+7912000\x001122", "consent": "\x00"}]
    for number, data in enumerate(cases):
        with transaction.atomic():
            before = Submission.objects.count()
            response = hosted.post(f"/f/{web_form.slug}", data, REMOTE_ADDR=f"10.1.0.{number}")
            assert response.status_code < 500, (data, response.status_code)
            journaled_after(before, response, f"hosted {shorten(data)}")
            if connection.vendor == "sqlite":  # PostgreSQL would have refused the row outright
                assert not nul_stored(), shorten(data)
            transaction.set_rollback(True)
    embed = Client(raise_request_exception=False)
    objects = [*cases, {"name": "\ud800", "phone": "+79120001122"}, {"first_touch": {"utm_source": NUL}}]
    bodies = [(json.dumps(c).encode(), True) for c in objects] + [
        (b'{"name": "\xff"}', False), (b"[1]", False), (b"{", False)]
    for number, (body, an_object) in enumerate(bodies):
        with transaction.atomic():
            before = Submission.objects.count()
            response = embed.post(f"/f/{web_form.slug}/submit", body, content_type="application/json",
                                  REMOTE_ADDR=f"10.2.0.{number}")
            assert response.status_code < 500, (body[:60], response.status_code)
            if response.status_code >= 400:
                assert response.json()["error"]["code"], body[:60]
            if an_object:  # any JSON object is journaled before it is judged
                journaled_after(before, response, f"embed {body[:60]!r}")
            else:
                assert response.status_code in (400, 422) and Submission.objects.count() == before
            transaction.set_rollback(True)


def test_tracker_names_the_field_and_stores_nothing_unstorable(sales: Any) -> None:
    from leadflow.warming.models import BehaviourEvent, TrackingSite

    site = TrackingSite.objects.create(name="Shop", allowed_origins="https://shop.example")
    client = Client(raise_request_exception=False, headers={"Origin": "https://shop.example"})
    good = {"kind": "page_view", "url": "https://shop.example/a"}
    cases = [
        ({"visitor_id": NUL, "events": [good]}, "visitor_id"),
        ({"visitor_id": "v1", "events": [{**good, "url": "https://shop.example/\x00"}]}, "events.0.url"),
        ({"visitor_id": "v1", "events": [{**good, "url": "https://shop.example/\ud800"}]}, "events.0.url"),
        ({"visitor_id": "v1", "events": [{**good, "properties": {"a": NUL}}]}, "events.0.properties"),
        ({"visitor_id": "v1", "events": [{**good, "properties": {NUL: 1}}]}, "events.0.properties"),
        ({"visitor_id": "v1", "events": [{**good, "properties": {"n": 2**70}}]}, "events.0.properties"),
        ({"visitor_id": "v1", "events": [{**good, "duration_seconds": 2**70}]}, "events.0.duration_seconds"),
        ({"visitor_id": "v1", "events": [{**good, "kind": NUL}]}, "events.0.kind"),
        ({"visitor_id": "v1", "events": "x"}, "events"),
        ({"visitor_id": "v1", "events": [[1]]}, "events.0"),
    ]
    for body, field in cases:
        with transaction.atomic():
            before = BehaviourEvent.objects.count()
            response = client.post(f"/t/{site.public_key}/events", json.dumps(body), content_type="application/json")
            assert response.status_code == 422, (body, response.status_code, response.content[:200])
            fields = response.json()["error"]["fields"]
            assert any(key == field or key.startswith(field + ".") for key in fields), (body, fields)
            assert BehaviourEvent.objects.count() == before
            transaction.set_rollback(True)


def test_call_webhook_names_the_field_and_never_fails(sales: Any) -> None:
    from leadflow.telephony.models import Integration, Provider

    secret = "fuzz-webhook-secret-91ad"
    integration = Integration.objects.create(name="PBX", provider=Provider.GENERIC, secret=secret, team=sales)
    client = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {secret}"})
    good = {"event": "incoming", "call_id": "c-1", "caller": "+79120001122", "called_line": "+74951112233"}
    url = f"/api/telephony/{integration.pk}/events"
    for name in ("event", "call_id", "caller", "called_line", "extension", "duration", "answered", "recording_url",
                 "occurred_at"):
        for value in (NUL, "\ud800", 2**70, "2026-02-30T10:00:00", {"a": 1}, [1], LONG[:2000]):
            body = json.dumps({**good, name: value}).encode()
            with transaction.atomic():
                response = client.post(url, body, content_type="application/json")
                assert response.status_code < 500, (name, str(value)[:20], response.status_code, response.content)
                if response.status_code >= 400:
                    assert response.json()["error"]["code"], (name, value)
                if "\x00" in str(value) or "\ud800" in str(value):
                    assert response.status_code == 422, (name, response.status_code)
                    assert name in response.json()["error"]["fields"], (name, response.json())
                transaction.set_rollback(True)
    for raw in (b"{", b'{"caller": "\xff"}', b"[1]", b'"x"'):
        response = client.post(url, raw, content_type="application/json")
        assert response.status_code in (400, 422), (raw, response.status_code)
    form = client.post(url, "event=incoming&call_id=c2&caller=%00", content_type="application/x-www-form-urlencoded")
    assert form.status_code < 500


def test_a_search_with_nul_says_so_and_still_lists(admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.get("/clients/", {"q": NUL})
    assert response.status_code == 200
    assert "Search: Must not contain NUL characters" in response.content.decode()


def test_spend_upload_names_each_bad_cell_and_imports_nothing(admin_user: User) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from leadflow.marketing.models import Campaign, CampaignSpend

    Campaign.objects.create(name="Spring", utm_campaign="spring")
    rows = ["spring,2026-01-03,²,10", f"spring,2026-01-03,{2**70},10", "spring,2026-01-03,1,1e20",
            "spring,2026-02-30,1,1", "spr\x00ing,2026-01-03,1,1", "spring,2026-01-03,1,\x00"]
    client = Client()
    client.force_login(admin_user)
    for number, row in enumerate(rows):
        upload = SimpleUploadedFile("spend.csv", f"campaign,day,clicks,cost\n{row}\n".encode())
        response = client.post("/analytics/costs/spend/", {"file": upload}, follow=True)
        assert response.status_code == 200, row
        assert "line 2:" in response.content.decode(), (number, row)
        assert CampaignSpend.objects.count() == 0, row
