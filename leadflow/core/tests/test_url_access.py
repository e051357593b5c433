"""Every page checks who is asking, walked from Django's own URL list (new pages are covered automatically).

- Anonymous: every URL outside the API (it has its own walk in leads/tests/test_permissions.py) answers a
  GET and a POST with the login page (or 401/403), except the public addresses listed in PUBLIC, each with
  the reason it may be public.
- A manager (bob) asking for an object of another manager (alice) or of another team: every URL that takes
  an object id answers 404/403 (or, for the admin, its login page), and nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

pytestmark = pytest.mark.django_db

# Public by design (route as Django spells it -> why).
PUBLIC = {
    "login/": "the login page",
    "logout/": "signing out",
    "account/login/": "the login page",
    "account/logout/": "signing out",
    "account/password_reset/": "asking for a password reset link",
    "account/password_reset/done/": "the reset link was sent",
    "account/reset/<uidb64>/<token>/": "the reset link itself (signed token)",
    "account/reset/done/": "the password was reset",
    "language/": "the language switch (a cookie; the user's setting only when signed in)",
    "f/embed.js": "the web form embed script",
    "f/<slug:slug>": "the hosted web form",
    "f/<slug:slug>/": "the hosted web form",
    "f/<slug:slug>/config": "the embed script's form description",
    "f/<slug:slug>/submit": "the embed script's submission",
    "t.js": "the site tracker script",
    "t/<str:key>/events": "the site tracker's events (origin list and limits)",
    "m/u/<str:token>/": "unsubscribe (signed token from the message)",
    "m/c/<str:token>/<int:index>/": "a tracked click (signed token)",
    "m/o/<str:token>.gif": "the open pixel (signed token)",
    "m/s/<str:token>/": "the farewell survey (signed token)",
    "admin/login/": "the admin's login page",
    "admin/logout/": "signing out of the admin",
    "favicon.ico": "the site icon (a redirect to a static file)",
}
NOT_WALKED = re.compile(r"^api/")  # the API: leads/tests/test_permissions.py walks its OpenAPI document
SAMPLE = {"int": "1", "slug": "funnel", "str": "x", "path": "1", "uuid": "00000000-0000-0000-0000-000000000001"}
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """Every route string (path() syntax); regex patterns with groups (the admin's app list) are skipped."""
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = entry.pattern
        text = str(pattern)
        if not isinstance(pattern, RoutePattern):
            if re.search(r"\(\?P<|\(", text):
                continue
            text = text.lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            yield from routes(entry, prefix + text)
        elif isinstance(entry, URLPattern):
            yield prefix + text


def concrete(route: str, values: dict[str, str] | None = None) -> str:
    def fill(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        return (values or {}).get(name, SAMPLE.get(converter, "1"))

    return "/" + _PARAM.sub(fill, route)


def refused_anonymous(response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    location = response.get("Location", "")
    return response.status_code == 302 and ("/login/" in location)


def test_every_page_refuses_anonymous_visitors(db: None) -> None:
    client = HttpClient()
    walked, open_pages = [], []
    for route in routes():
        if NOT_WALKED.match(route) or route in PUBLIC:
            continue
        url = concrete(route)
        walked.append(url)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if not refused_anonymous(response):
                open_pages.append((method.upper(), url, response.status_code))
    assert len(walked) > 60, walked  # the walk found the pages (ours and the admin's)
    assert open_pages == [], f"answered an anonymous visitor: {open_pages}"


def test_public_list_names_only_existing_routes() -> None:
    """A public address that no longer exists is removed from PUBLIC, so the list stays the truth."""
    existing = set(routes())
    assert set(PUBLIC) - existing == set()


# ---------------------------------------------------------------- another manager's objects


def make_objects(make_lead, *, owner, team, job_by, stranger) -> dict[str, Any]:
    """One object of each kind a URL takes an id of: leads, task, client of `owner`, an import of `job_by`, the
    marketing rows, a lead of `stranger` (another team), and `team` with a routing rule (its head's to set)."""
    from leadflow.imports.models import ImportJob
    from leadflow.leads import services
    from leadflow.leads.models import Interest, RoutingRule, Task
    from leadflow.nurture.models import Enrollment, MailTemplate, Segment, Sequence

    lead = make_lead(owner=owner, team=team)
    merged = make_lead(owner=owner, team=team, first_name="Other")
    theirs = make_lead(team=stranger.team, owner=stranger)
    task = Task.objects.filter(lead=lead, completed_at__isnull=True).first() or services.create_task(
        lead=lead, title="Call", due_at=timezone.now() + timedelta(hours=1), assignee=owner, by=owner)
    converted = make_lead(owner=owner, team=team, first_name="Client")
    client = services.convert_lead(lead=converted, by=owner)
    job = ImportJob.objects.create(original_name="leads.csv", created_by=job_by, file="imports/x.csv",
                                   error_file="imports/x-errors.csv")
    segment = Segment.objects.create(name="All", audience="leads", conditions={})
    template = MailTemplate.objects.create(name="Hello", subject="Hi", html_body="<p>Hi {{ name }}</p>")
    sequence = Sequence.objects.create(name="Welcome", trigger="manual", audience="leads")
    enrollment = Enrollment.objects.create(sequence=sequence, lead=lead)
    client_task = Task.objects.get(client=client)  # its first task, given at the conversion
    rule = RoutingRule.objects.create(team=team, name="Everything", position=1, strategy="person", assignee=owner)
    # An interest of the stranger's team: the reader's own team's (and no team's) are theirs to promote.
    interest = Interest.objects.create(name="Ресепшн", phone="+74951110001", reason="no person's name",
                                       team=stranger.team)
    return {"team": team, "rule": rule, "interest": interest, "lead": lead, "merged": merged, "theirs": theirs,
            "task": task, "client": client,
            "client_task": client_task, "job": job,
            "segment": segment, "template": template, "sequence": sequence, "enrollment": enrollment}


@pytest.fixture
def others_objects(alice, carol, head, make_lead, sales) -> dict[str, Any]:
    """Alice's objects (bob's colleague), a lead of carol's team, an import of the head."""
    return make_objects(make_lead, owner=alice, team=sales, job_by=head, stranger=carol)


@pytest.fixture
def other_team_objects(carol, head, make_lead, other_team, django_user_model) -> dict[str, Any]:
    """Everything in carol's team (another head's import too): the sales head must reach none of it."""
    from leadflow.accounts.models import Role

    dan = django_user_model.objects.create_user(username="dan", password="pw", role=Role.MANAGER, team=other_team)
    other_head = django_user_model.objects.create_user(username="olga", password="pw", role=Role.HEAD,
                                                       team=other_team)
    other_team.head = other_head
    other_team.save()
    return make_objects(make_lead, owner=carol, team=other_team, job_by=other_head, stranger=dan)


def object_urls(objects: dict[str, Any]) -> dict[str, list[str]]:
    """Route -> the URLs of alice's (and carol's) objects bob must not reach; every id-taking route is here."""
    lead, theirs = objects["lead"], objects["theirs"]
    from leadflow.leads.views import ACTIONS

    return {
        "leads/<int:pk>/": [f"/leads/{lead.pk}/", f"/leads/{theirs.pk}/"],
        "leads/<int:pk>/compare/": [f"/leads/{lead.pk}/compare/?other={objects['merged'].pk}",
                                    f"/leads/{theirs.pk}/compare/"],
        # Claiming a colleague's lead is not found too: whose it is is not the claimer's to learn.
        "leads/<int:pk>/<slug:name>/": [f"/leads/{target.pk}/{name}/" for name in ACTIONS
                                        for target in (lead, theirs)],
        "interests/<int:pk>/promote/": [f"/interests/{objects['interest'].pk}/promote/"],
        "tasks/<int:pk>/complete/": [f"/tasks/{objects['task'].pk}/complete/"],
        "clients/<int:pk>/": [f"/clients/{objects['client'].pk}/"],
        "clients/<int:pk>/contacts/<int:contact_pk>/accept-email/": [
            f"/clients/{objects['client'].pk}/contacts/{objects['client'].contact_id}/accept-email/"],
        "clients/<int:pk>/contacts/<int:contact_pk>/email-is-right/": [
            f"/clients/{objects['client'].pk}/contacts/{objects['client'].contact_id}/email-is-right/"],
        "clients/<int:pk>/contacts/<int:contact_pk>/add/": [
            f"/clients/{objects['client'].pk}/contacts/{objects['client'].contact_id}/add/"],
        "clients/<int:pk>/activity/": [f"/clients/{objects['client'].pk}/activity/"],
        "clients/<int:pk>/task/": [f"/clients/{objects['client'].pk}/task/"],
        "clients/<int:pk>/assign/": [f"/clients/{objects['client'].pk}/assign/"],
        "clients/<int:pk>/edit/": [f"/clients/{objects['client'].pk}/edit/"],
        "tasks/<int:pk>/complete/ (client)": [f"/tasks/{objects['client_task'].pk}/complete/"],
        "imports/<int:pk>/": [f"/imports/{objects['job'].pk}/"],
        "imports/<int:pk>/run/": [f"/imports/{objects['job'].pk}/run/"],
        "imports/<int:pk>/progress/": [f"/imports/{objects['job'].pk}/progress/"],
        "imports/<int:pk>/errors.csv": [f"/imports/{objects['job'].pk}/errors.csv"],
        "marketing/segments/<int:pk>/": [f"/marketing/segments/{objects['segment'].pk}/"],
        "marketing/templates/<int:pk>/": [f"/marketing/templates/{objects['template'].pk}/"],
        "marketing/templates/<int:pk>/preview/": [f"/marketing/templates/{objects['template'].pk}/preview/"],
        "marketing/sequences/<int:pk>/": [f"/marketing/sequences/{objects['sequence'].pk}/"],
        "marketing/sequences/<int:pk>/toggle/": [f"/marketing/sequences/{objects['sequence'].pk}/toggle/"],
        "marketing/enrollments/<int:pk>/stop/": [f"/marketing/enrollments/{objects['enrollment'].pk}/stop/"],
        "marketing/cards/lead/<int:pk>/": [f"/marketing/cards/lead/{lead.pk}/"],
        "marketing/cards/client/<int:pk>/": [f"/marketing/cards/client/{objects['client'].pk}/"],
        # A team's routing is its head's (and the admin's): a manager, and a head of another team, are refused.
        **{route: [concrete(route, {"pk": str(objects["team"].pk), "rule_pk": str(objects["rule"].pk)})]
           for route in ("team/<int:pk>/routing/", "team/<int:pk>/routing/rules/new/",
                         "team/<int:pk>/routing/rules/<int:rule_pk>/",
                         "team/<int:pk>/routing/rules/<int:rule_pk>/delete/",
                         "team/<int:pk>/routing/rules/<int:rule_pk>/move/")},
    }


def state(objects: dict[str, Any]) -> tuple:
    from leadflow.accounts.models import Team, User
    from leadflow.imports.models import ImportJob
    from leadflow.leads.models import Activity, FieldChange, Interest, Lead, RoutingRule, Task
    from leadflow.nurture.models import Enrollment, Sequence

    leads = Lead.objects.filter(pk__in=[objects[k].pk for k in ("lead", "merged", "theirs")]).order_by("pk")
    return (
        list(leads.values_list("pk", "owner_id", "state", "stage_id", "updated_at", "merged_into_id")),
        list(Task.objects.order_by("pk").values_list("pk", "completed_at", "assignee_id")),
        Activity.objects.count(), list(ImportJob.objects.values_list("pk", "status")),
        list(Sequence.objects.values_list("pk", "is_active")), list(Enrollment.objects.values_list("pk", "state")),
        objects["lead"].tags.count(),
        list(Team.objects.order_by("pk").values_list("pk", "routing_scheme", "sla_minutes", "pool_claim_minutes")),
        list(User.objects.order_by("pk").values_list("pk", "routing_weight", "is_routed")),
        list(RoutingRule.objects.order_by("pk").values_list("pk", "name", "position", "strategy", "assignee_id")),
        FieldChange.objects.filter(team__isnull=False).count(),
        list(Interest.objects.order_by("pk").values_list("pk", "promoted_to_id")),
    )


def walk_objects(client: HttpClient, objects: dict[str, Any]) -> list[tuple[str, str, int]]:
    reached = []
    for addresses in object_urls(objects).values():
        for url in addresses:
            for method in ("get", "post"):
                data = {"tag": "was-here", "result": "done", "next": "/", "other": objects["merged"].pk,
                        "kind": "call", "subject": "was here", "title": "was here", "due_at": "2030-01-01T10:00",
                        "routing_scheme": "manual", "sla_minutes": 1, "pool_claim_minutes": 1, "name": "was here",
                        "strategy": "least_loaded", "is_active": "on", "direction": "up"}
                response = getattr(client, method)(url, data=data if method == "post" else None)
                if response.status_code not in (403, 404, 405):
                    reached.append((method.upper(), url, response.status_code))
    return reached


def test_a_manager_reaches_no_object_of_another_manager(others_objects, bob) -> None:
    id_routes = {route for route in routes() if "<int:" in route and not NOT_WALKED.match(route)
                 and not route.startswith("admin/") and route not in PUBLIC}
    assert id_routes - set(object_urls(others_objects)) == set(), "a page taking an object id is missing here"
    client = HttpClient()
    client.force_login(bob)
    before = state(others_objects)
    assert walk_objects(client, others_objects) == [], "bob reached another manager's objects"
    assert state(others_objects) == before


def test_a_head_reaches_no_object_of_another_team(other_team_objects, head) -> None:
    client = HttpClient()
    client.force_login(head)
    before = state(other_team_objects)
    reached = walk_objects(client, other_team_objects)
    # The marketing rows (segments, templates, sequences) are the marketers', shared by every team: a head is
    # refused them anyway (404), so they stay in the walk.
    assert reached == [], "the head reached another team's objects"
    assert state(other_team_objects) == before


# What a manager and a marketer may open (routes without an object id). A new page is refused to them
# until it is added here on purpose.
OPEN_TO = {
    "manager": {"", "account/password_change/", "account/password_change/done/", "preferences/", "pool/", "leads/",
                "board/", "tasks/", "notifications/", "notifications/read/", "clients/", "analytics/",
                "analytics/<slug:key>/", "analytics/<slug:key>/export.<slug:fmt>", "calls/", "leads/export.csv",
                "leads/export.xlsx", "interests/"},
    "marketer": {"", "account/password_change/", "account/password_change/done/", "preferences/", "notifications/",
                 "notifications/read/", "clients/", "analytics/", "analytics/<slug:key>/",
                 "analytics/<slug:key>/export.<slug:fmt>", "analytics/costs/spend/", "marketing/",
                 "marketing/segments/", "marketing/segments/new/", "marketing/templates/", "marketing/templates/new/",
                 "marketing/sequences/", "marketing/sequences/new/",
                 "partners/"},  # partners' payouts: leads bought per lead are the marketer's spend
}


@pytest.mark.parametrize("role", sorted(OPEN_TO))
def test_managers_and_marketers_open_only_their_pages(role, sales) -> None:
    from leadflow.accounts.models import User

    user = User.objects.create_user(username=role, password="pw", role=role, team=sales)
    client = HttpClient()
    client.force_login(user)
    opened = set()
    for route in routes():
        if NOT_WALKED.match(route) or route in PUBLIC or "<int:" in route or route.startswith("admin/"):
            continue
        url = concrete(route, {"fmt": "csv"})
        if any(getattr(client, method)(url).status_code < 400 for method in ("get", "post")):
            opened.add(route)
    assert opened == OPEN_TO[role]


def test_the_site_icon_is_a_static_file_every_page_names(client):  # type: ignore[no-untyped-def]
    """Browsers ask for /favicon.ico on a first page (the admin's too): a 404 there is an error in every console."""
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("/leadflow/favicon.svg")
    assert finders.find("leadflow/favicon.svg")
    assert 'rel="icon"' in client.get("/login/").content.decode()
