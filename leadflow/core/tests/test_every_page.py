"""Every link a user is shown leads somewhere that works for them: no server error, no "forbidden", no dead link.

The demo data (the same a new user starts with) is crawled as each role, following every link of every page
from the start page, in both languages."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import pytest
from django.test import Client

from leadflow.accounts.models import User
from leadflow.core.tests.crawl import Crawl
from leadflow.demo import build_demo

pytestmark = pytest.mark.django_db

# Not pages: signing out, switching language (a POST), downloads and static files. The admin is Django's own:
# only its index and the first level of its lists are followed.
NOT_PAGES = re.compile(r"^/(logout|i18n|static|media)/|\.(js|css|png|svg|ico|csv|xlsx)$|/export")
PER_KIND = 3  # pages of one kind (one URL pattern) visited: three lead cards say what a hundred would


def crawl(client: Client) -> tuple[set[str], list[tuple[str, int]]]:
    walk, broken = Crawl(client, per_kind=PER_KIND), []
    for url, response, _first in walk.pages():
        if response.status_code >= 400:
            broken.append((url, response.status_code))
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in re.findall(r'href="([^"#]+)"', response.content.decode()):
            target = urlparse(urljoin(url, href.replace("&amp;", "&")))
            if target.scheme not in ("", "http", "https") or target.netloc not in ("", "testserver"):
                continue  # tel:, mailto: and other sites
            path = target.path + (f"?{target.query}" if target.query else "")
            if NOT_PAGES.search(target.path) or (target.path.startswith("/admin/") and target.path.count("/") > 4):
                continue
            walk.follow([path])
    return walk.seen, broken


@pytest.mark.parametrize(("language", "usernames"), [
    ("en", ("admin", "head", "alice", "carol", "mary")), ("ru", ("head", "alice", "mary"))])
def test_every_link_shown_to_each_role_works(language: str, usernames: tuple[str, ...]) -> None:
    build_demo()
    for username in usernames:
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(User.objects.get(username=username))
        client.cookies["django_language"] = language
        seen, broken = crawl(client)
        assert broken == [], f"{username} ({language}) is shown links that fail: {broken}"
        assert len(seen) > 15, f"{username} reached only {sorted(seen)}"
