"""Browser tests: Playwright driving Debian's chromium against pytest-django's live server.

One chromium serves every browser test that runs in a row (started on first use, stopped as soon
as the next test is not a browser test or the session ends); each test gets fresh browser contexts.

Playwright's sync API keeps an asyncio loop "running" in the test thread for as long as it is
started, and Django refuses ORM calls while a loop runs (SynchronousOnlyOperation). So the loop and
DJANGO_ALLOW_ASYNC_UNSAFE live and die together: the flag is set only while chromium is up, which is
only during browser tests, and the other tests keep Django's async-safety check.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    # Without these chromium keeps phoning home; on a closed network the refused connections pile up.
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


class _Chromium:
    """Playwright and one chromium, started lazily and stopped between runs of browser tests."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self.browser: Any = None
        self._saved_flag: str | None = None

    def start(self) -> Any:
        if self.browser is None:
            from playwright.sync_api import expect, sync_playwright

            # Assertions wait as long as the pages' own default (10 s) rather than Playwright's 5 s: on a busy
            # two-core CI machine an htmx round trip has taken longer, and a slow pass is not a failure.
            expect.set_options(timeout=10_000)
            self._saved_flag = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            self._playwright = sync_playwright().start()
            self.browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        return self.browser

    def stop(self) -> None:
        if self._playwright is None:
            return
        try:
            if self.browser is not None:
                self.browser.close()
            self._playwright.stop()
        finally:
            self._playwright = self.browser = None
            if self._saved_flag is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = self._saved_flag


_chromium = _Chromium()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the test's fixtures are gone: stop chromium (and its event loop) unless a browser test is next."""
    if nextitem is None or nextitem.get_closest_marker("browser") is None:
        _chromium.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[_Chromium]:
    """The session's chromium (fails under CI=true when Debian's chromium is missing, else skips)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests need Debian's chromium at {CHROMIUM} (CI=true: they may not skip)")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}: apt-get install chromium")
    yield _chromium
    _chromium.stop()


@dataclass
class Watched:
    """A page with what it raised: JavaScript dialogs (alert/confirm), uncaught errors, and what the
    Content-Security-Policy refused (chromium reports each refusal on the console)."""

    page: Any
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.refused.append(f"{self.page.url}: {message.text}")


@dataclass
class Site:
    url: str
    new_page: Callable[..., Watched]

    def login(self, watched: Watched, username: str) -> None:
        """Through the real login form, as a person would (the root conftest's users have password "pw")."""
        page = watched.page
        page.goto(f"{self.url}/login/")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill("pw")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login/" not in url)  # each role lands on its own start page

    def screenshot(self, watched: Watched, name: str) -> None:
        """docs/screenshots/<name>.png, the whole page, overwriting the previous run's."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        watched.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, animations="disabled")


@pytest.fixture
def site(chromium: _Chromium, live_server: Any, transactional_db: None) -> Iterator[Site]:
    """The live server with the default stages and lost reasons, and a factory of fresh browser pages.

    A transactional test's flush also empties the rows the migrations put in (stages, lost reasons),
    so they are put back first: another transactional test may have run before this one.
    """
    from django.apps import apps

    importlib.import_module("leadflow.leads.migrations.0002_default_stages").add_defaults(apps, None)
    contexts: list[Any] = []
    pages: list[Watched] = []

    def new_page(*, viewport: dict[str, int] | None = None, locale: str = "en-US") -> Watched:
        context = chromium.start().new_context(viewport=viewport or DESKTOP, locale=locale,
                                              timezone_id="Europe/Moscow")
        context.set_default_timeout(10_000)
        contexts.append(context)
        watched = Watched(context.new_page())
        watched.page.on("dialog", lambda dialog: (watched.dialogs.append(dialog.message), dialog.dismiss()))
        watched.page.on("pageerror", lambda error: watched.errors.append(str(error)))
        watched.page.on("console", watched.console)
        pages.append(watched)
        return watched

    yield Site(url=live_server.url, new_page=new_page)
    for context in contexts:
        context.close()
    for watched in pages:
        assert watched.dialogs == [], f"a JavaScript dialog opened: {watched.dialogs}"
        assert watched.errors == [], f"uncaught JavaScript errors: {watched.errors}"
        # Every page any browser test opens works under the policy: nothing of ours is refused.
        assert watched.refused == [], f"the Content-Security-Policy refused: {watched.refused}"

