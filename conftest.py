"""Named actors everyone learns once: head (head of sales), alice and bob (her managers),
carol (a manager in another team), admin, and partner (an API key)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import time
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client as HttpClient

from leadflow.accounts.models import Role, Team, User, UserToken
from leadflow.core import memo
from leadflow.intake.models import Form, Partner
from leadflow.leads import services
from leadflow.leads.models import Lead


@pytest.fixture(autouse=True)
def _fresh_memos() -> None:
    """Each test starts with empty configuration memos: rolled-back rows send no signals."""
    memo.clear_all()


@pytest.fixture(autouse=True)
def _site_language() -> None:
    """Each test starts in the site's language: a page a test requested in Russian leaves Russian active in the
    thread (the locale middleware activates it and nothing resets it), which the next test would inherit."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _require_postgres_under_ci(request: pytest.FixtureRequest) -> None:
    """A test marked postgres fails (never skips) when CI=true and the suite is not on PostgreSQL."""
    if request.node.get_closest_marker("postgres") is None:
        return
    if "db" not in request.fixturenames and "transactional_db" not in request.fixturenames:
        return
    if connection.vendor != "postgresql":
        if os.environ.get("CI") == "true":
            pytest.fail("this test needs PostgreSQL (TEST_DATABASE_URL) and CI=true: it may not skip")
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL")


ALWAYS_OPEN = {"work_start": time(0, 0), "work_end": time(23, 59, 59), "work_days": [0, 1, 2, 3, 4, 5, 6]}


def _history_starts_here() -> None:
    """The named teams and people are set up before each test's story: their teams' routing history starts empty
    (a team or a person made by hand is recorded as made, which would open every test's history with the set-up)."""
    from leadflow.leads.models import FieldChange

    FieldChange.objects.filter(team__isnull=False).delete()


def _user(username: str, *, role: str, team: Team | None, **extra: Any) -> User:
    user = User.objects.create_user(
        username=username, password="pw", email=f"{username}@example.com", role=role, team=team,
        first_name=username.capitalize(), **extra,
    )
    _history_starts_here()
    return user


@pytest.fixture
def sales(db: None) -> Team:
    team = Team.objects.create(name="Sales", is_default=True, **ALWAYS_OPEN)
    _history_starts_here()
    return team


@pytest.fixture
def other_team(db: None) -> Team:
    team = Team.objects.create(name="Wholesale", **ALWAYS_OPEN)
    _history_starts_here()
    return team


@pytest.fixture
def head(sales: Team) -> User:
    user = _user("head", role=Role.HEAD, team=sales)
    sales.head = user
    sales.save()
    _history_starts_here()
    return user


@pytest.fixture
def alice(sales: Team, head: User) -> User:
    return _user("alice", role=Role.MANAGER, team=sales)


@pytest.fixture
def bob(sales: Team, head: User) -> User:
    return _user("bob", role=Role.MANAGER, team=sales)


@pytest.fixture
def carol(other_team: Team) -> User:
    return _user("carol", role=Role.MANAGER, team=other_team)


@pytest.fixture
def admin_user(db: None) -> User:
    return User.objects.create_superuser(username="admin", password="pw", email="admin@example.com",
                                         role=Role.ADMIN)


@pytest.fixture
def partner(sales: Team) -> tuple[Partner, str]:
    row = Partner.objects.create(name="CPA Network", team=sales)
    return row, row.issue_key()


@pytest.fixture
def web_form(sales: Team) -> Form:
    return Form.objects.create(name="Contact us", slug="contact", team=sales, consent_text_version="v1")


@pytest.fixture
def api_as() -> Callable[[User], HttpClient]:
    """An HTTP client authenticated as a user by a personal token."""

    def make(user: User) -> HttpClient:
        _, raw = UserToken.issue(user=user)
        return HttpClient(headers={"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def at_once() -> Callable[..., list[Any]]:
    """`at_once(work, items)`: work(item) for every item at the same moment, each in its own thread with its own
    database connection (released together by a barrier), as simultaneous requests would be; the results in the
    items' order. An exception in a thread is raised here, not lost with the thread."""

    def run(work: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        barrier = threading.Barrier(len(items))
        results: list[Any] = [None] * len(items)
        errors: list[BaseException] = []

        def one(index: int, item: Any) -> None:
            try:
                barrier.wait(timeout=10)
                results[index] = work(item)
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=one, args=pair) for pair in enumerate(items)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        if errors:
            raise errors[0]
        return results

    return run


@pytest.fixture
def migrate_to(transactional_db: None) -> Iterator[Callable[..., Any]]:
    """`migrate_to(("leads", "0021_task_is_cancelled"))` moves the test database to that migration and returns the
    models as they were then (`.get_model(app, model)`); `migrate_to()` moves it to the latest. Whatever the test
    does, even when it fails, the schema is at the latest again when it ends, as every other test expects."""
    moved = False

    def run(target: tuple[str, str] | None = None) -> Any:
        nonlocal moved
        executor = MigrationExecutor(connection)  # a fresh one each time: migrating changes what the loader reads
        targets = [target] if target else executor.loader.graph.leaf_nodes()
        moved = True
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield run
    if moved:
        run()


@pytest.fixture
def make_lead(sales: Team) -> Callable[..., Lead]:
    """A lead created through the service, so routing, first task and history exist."""
    counter = {"n": 0}

    def make(*, owner: User | None = None, team: Team | None = None, **overrides: Any) -> Lead:
        counter["n"] += 1
        n = counter["n"]
        person = services.PersonFacts(
            first_name=overrides.pop("first_name", f"Ivan{n}"), last_name=overrides.pop("last_name", "Petrov"),
            phone=overrides.pop("phone", f"+7912000{n:04d}"), email=overrides.pop("email", f"lead{n}@example.ru"),
            **overrides,
        )
        person.full_name = person.full_name or f"{person.last_name} {person.first_name}"
        lead = services.create_lead(person=person, touch=services.Touch(channel="manual"), team=team or sales)
        if owner is not None and lead.owner_id != owner.pk:
            services.claim_lead(lead=lead, by=owner)
            lead.refresh_from_db()
        return lead

    return make


# --- Clock sweep: LEADFLOW_TEST_CLOCK=2026-12-31T20:58:00Z runs the suite as if it were that moment (see
# scripts/clock-sweep.sh). time-machine moves Python's clock (time.time, datetime.now, date.today, ...) in this
# process and its threads (the live server of the browser tests included); every test starts at the moment and
# the clock ticks from there, so a test sees the same side of a boundary on every run. It cannot move the
# clocks outside Python: SQL's own now() (PostgreSQL's NOW(), SQLite's 'now'), subprocesses the tests start
# (leadflow run/worker/smtpd, dovecot) and chromium's JavaScript Date in the browser tests.
def _test_clock() -> Any:
    from datetime import datetime

    raw = os.environ.get("LEADFLOW_TEST_CLOCK", "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise pytest.UsageError(f"LEADFLOW_TEST_CLOCK: {raw!r} is not an ISO 8601 moment "
                                "(e.g. 2026-12-31T20:58:00Z)") from None
    if moment.tzinfo is None:
        raise pytest.UsageError(f"LEADFLOW_TEST_CLOCK: {raw!r} has no UTC offset (add Z or +03:00)")
    return moment


_CLOCK = pytest.StashKey[tuple[Any, Any, Any]]()  # (moment, time_machine.travel, its Traveller)


def pytest_configure(config: pytest.Config) -> None:
    moment = _test_clock()
    if moment is not None:
        import time_machine

        travel = time_machine.travel(moment, tick=True)
        config.stash[_CLOCK] = (moment, travel, travel.start())


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CLOCK in config.stash:
        config.stash[_CLOCK][1].stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    if _CLOCK not in config.stash:
        return None
    return f"LEADFLOW_TEST_CLOCK: every test starts at {config.stash[_CLOCK][0].isoformat()}"


@pytest.fixture(autouse=True)
def _test_clock_restart(request: pytest.FixtureRequest) -> None:
    """Under LEADFLOW_TEST_CLOCK each test starts at the chosen moment, not minutes after it."""
    if _CLOCK in request.config.stash:
        moment, _, traveller = request.config.stash[_CLOCK]
        traveller.move_to(moment)
