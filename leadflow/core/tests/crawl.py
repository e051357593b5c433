"""A breadth-first walk over the pages a signed-in user is shown, for the tests that crawl the site."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import urlparse

from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, resolve


def route(path: str) -> str:
    """The URL pattern a path resolves to (the path itself when none does)."""
    try:
        return resolve(urlparse(path).path).route
    except Resolver404:
        return path


class Crawl:
    """Pages from `start`, at most `per_kind` of one URL pattern (three lead cards say what a hundred would);
    redirects are followed. The caller reads each page and hands the links to follow back with `follow`."""

    def __init__(self, client: Client, *, per_kind: int, start: str = "/") -> None:
        self.client, self.per_kind = client, per_kind
        self.queue = [start]
        self.seen: set[str] = set()
        self.kinds: dict[str, int] = {}

    def follow(self, urls: Iterable[str]) -> None:
        self.queue.extend(url for url in urls if url not in self.seen)

    def pages(self) -> Iterator[tuple[str, HttpResponse, bool]]:
        """(url, response, first page of its kind), redirects aside."""
        while self.queue:
            url = self.queue.pop(0)
            kind = route(url)
            if url in self.seen or self.kinds.get(kind, 0) >= self.per_kind:
                continue
            self.seen.add(url)
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            response = self.client.get(url)
            if response.status_code in (301, 302):
                self.queue.append(response["Location"])
                continue
            yield url, response, self.kinds[kind] == 1
