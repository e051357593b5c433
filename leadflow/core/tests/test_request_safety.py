"""Redirect targets taken from a request stay on this site; every state-changing page needs the CSRF token;
the production settings mark the cookies for HTTPS; pages may not be framed by other sites."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client as HttpClient

from leadflow.core.tests.test_url_access import NOT_WALKED, concrete, routes
from leadflow.leads.models import Lead, Task

pytestmark = pytest.mark.django_db

# Each of these a browser turns into another site (a backslash is a slash to it; tabs and newlines are dropped).
OFF_SITE = ["//evil.example/", "/\\evil.example/", "/\t/evil.example/", "\\\\evil.example", "https://evil.example/",
            "/\\/evil.example", " //evil.example", "javascript:alert(1)"]


def off_site(location: str) -> bool:
    cleaned = location.replace("\\", "/").replace("\t", "").replace("\n", "").replace("\r", "").strip()
    return cleaned.startswith(("//", "javascript:")) or "://" in cleaned


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_from_a_form_never_leads_to_another_site(client, alice, make_lead, target):
    lead = make_lead(owner=alice)
    task = Task.objects.filter(lead=lead, completed_at__isnull=True).first()
    client.force_login(alice)
    answers = {
        "card action": client.post(f"/leads/{lead.pk}/activity/", {"kind": "note", "body": "hi", "next": target}),
        "task": client.post(f"/tasks/{task.pk}/complete/", {"result": "done", "next": target}),
        "language": client.post("/language/", {"language": "en", "next": target}),
        "login": client.get(f"/login/?next={target}"),
    }
    for where, response in answers.items():
        assert response.status_code == 302, where
        assert not off_site(response["Location"]), (where, response["Location"])
    assert Task.objects.get(pk=task.pk).completed_at is not None  # the action itself was done


def test_next_within_the_site_is_kept(client, alice, make_lead):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    response = client.post(f"/leads/{lead.pk}/activity/", {"kind": "note", "body": "hi", "next": "/board/?owner=1"})
    assert response["Location"] == "/board/?owner=1"


def test_enrollment_stop_next_stays_on_the_site(client, admin_user, make_lead):
    from leadflow.nurture.models import Enrollment, Sequence

    lead = make_lead()
    enrollment = Enrollment.objects.create(sequence=Sequence.objects.create(name="S", audience="leads"), lead=lead)
    client.force_login(admin_user)
    for target in OFF_SITE:
        response = client.post(f"/marketing/enrollments/{enrollment.pk}/stop/", {"next": target})
        assert response.status_code == 302 and not off_site(response["Location"]), (target, response["Location"])


def test_every_post_needs_the_csrf_token(admin_user, make_lead):
    """Walked from the URL list: a signed-in admin's POST without the token is refused everywhere but the
    public addresses that are cross-site by design (web form, tracker, one-click unsubscribe)."""
    lead = make_lead()
    client = HttpClient(enforce_csrf_checks=True)
    client.force_login(admin_user)
    cross_site = {"f/<slug:slug>", "f/<slug:slug>/", "f/<slug:slug>/submit", "t/<str:key>/events",
                  "m/u/<str:token>/"}
    accepted = []
    for route in routes():
        if NOT_WALKED.match(route) or route in cross_site:
            continue
        url = concrete(route, {"pk": str(lead.pk), "name": "activity"})
        response = client.post(url, {"kind": "note", "body": "no token"})
        if response.status_code != 403:
            accepted.append((url, response.status_code))
    assert accepted == [], f"accepted a POST without the CSRF token: {accepted}"
    assert not lead.activities.filter(body="no token").exists()


def test_the_api_refuses_a_session_post_without_the_csrf_token(admin_user, make_lead):
    lead = make_lead()
    client = HttpClient(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(f"/api/leads/{lead.pk}/activities", data=json.dumps({"kind": "note", "body": "forged"}),
                           content_type="application/json")
    assert response.status_code in (401, 403)
    assert not lead.activities.filter(body="forged").exists()
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_pages_may_not_be_framed_by_another_site(client, alice, make_lead):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    for url in (f"/leads/{lead.pk}/", "/leads/", "/login/"):
        assert client.get(url)["X-Frame-Options"] == "DENY", url


def production_settings(**env: str) -> dict:
    """The production settings module as a fresh process sees it with these environment variables."""
    code = ("import json, django; from django.conf import settings; django.setup(); print(json.dumps({k: "
            "getattr(settings, k) for k in ('SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
            " 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'SECURE_CONTENT_TYPE_NOSNIFF', "
            "'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS', 'LANGUAGE_COOKIE_SECURE', 'SECURE_PROXY_SSL_HEADER', "
            "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS')}))")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LEADFLOW_", "DJANGO_"))}
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={
        **base, "DJANGO_SETTINGS_MODULE": "leadflow.settings", "LEADFLOW_SECRET_KEY": "x" * 50, **env},
        cwd=Path(__file__).resolve().parents[3])
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_cookies_are_https_only_when_the_site_is_served_over_https(tmp_path):
    served = production_settings(LEADFLOW_BASE_URL="https://crm.example.com", LEADFLOW_DATA_DIR=str(tmp_path))
    assert served["SESSION_COOKIE_SECURE"] is True and served["CSRF_COOKIE_SECURE"] is True
    assert served["LANGUAGE_COOKIE_SECURE"] is True
    assert served["SESSION_COOKIE_HTTPONLY"] is True
    assert served["SESSION_COOKIE_SAMESITE"] == "Lax" and served["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert served["SECURE_CONTENT_TYPE_NOSNIFF"] is True and served["X_FRAME_OPTIONS"] == "DENY"
    assert served["SECURE_REFERRER_POLICY"] == "same-origin"
    # Browsers remember for a year to use HTTPS only; other subdomains may be other servers, so not them.
    assert served["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600 and served["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    local = production_settings(LEADFLOW_BASE_URL="http://127.0.0.1:8000", LEADFLOW_DATA_DIR=str(tmp_path))
    assert local["SESSION_COOKIE_SECURE"] is False  # plain http on one's own machine still signs in
    assert local["SECURE_HSTS_SECONDS"] == 0  # and is not told to refuse plain http later
    chosen = production_settings(LEADFLOW_BASE_URL="https://crm.example.com", LEADFLOW_HSTS_SECONDS="300",
                                 LEADFLOW_DATA_DIR=str(tmp_path))
    assert chosen["SECURE_HSTS_SECONDS"] == 300


def test_a_new_data_directory_is_its_owners_only(tmp_path):
    """The database, the secret key, imported files and backups live there: other accounts on the server may
    not read them."""
    data = tmp_path / "new-installation"
    production_settings(LEADFLOW_DATA_DIR=str(data))
    assert data.stat().st_mode & 0o777 == 0o700


def test_https_answers_tell_the_browser_to_keep_to_https(client, alice, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    client.force_login(alice)
    assert client.get("/tasks/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/tasks/")  # plain http: the header means nothing


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_run_only_scripts_from_this_site(client, alice, admin_user, make_lead):
    lead = make_lead(owner=alice)
    client.force_login(alice)
    for url in (f"/leads/{lead.pk}/", "/leads/", "/tasks/", "/login/", "/api/docs"):
        rules = policy(client.get(url))
        assert rules["script-src"] == ["'self'"], url  # no 'unsafe-inline', no 'unsafe-eval'
        assert rules["object-src"] == ["'none'"] and rules["base-uri"] == ["'none'"], url
        assert rules["frame-ancestors"] == ["'none'"] and rules["form-action"] == ["'self'"], url
    client.force_login(admin_user)
    assert policy(client.get("/admin/leads/lead/"))["script-src"] == ["'self'"]


def test_a_hosted_form_may_send_the_visitor_on_to_its_thank_you_site(client, web_form):
    from leadflow.intake.models import Form

    form = Form.objects.create(name="Landing", slug="landing", redirect_url="https://shop.example.com/thanks?x=1")
    plain = Form.objects.create(name="Plain", slug="plain")
    assert policy(client.get(f"/f/{form.slug}/"))["form-action"] == ["'self'", "https://shop.example.com"]
    assert policy(client.get(f"/f/{plain.slug}/"))["form-action"] == ["'self'"]


def test_the_language_switch_cookie_follows_the_https_setting(client, alice, settings):
    settings.LANGUAGE_COOKIE_SECURE = True
    client.force_login(alice)
    assert client.post("/language/", {"language": "ru", "next": "/"}).cookies["django_language"]["secure"] is True
    assert client.post("/preferences/", {"language": "en", "time_zone": "", "first_name": "A", "last_name": "",
                                         "email": "alice@example.com"}).cookies["django_language"]["secure"] is True


REFLECTED = '"><img src=x onerror=alert(1)>'
QUERY_NAMES = ("q", "after", "owner", "team", "interval", "start", "end", "period", "group", "state", "page", "next",
               "lead", "client", "email", "phone", "format", "table", "sort", "other", "source", "campaign", "form",
               "partner", "manager", "waiting", "bell", "status", "kind", "utm_source", "utm_campaign")


def test_no_page_reflects_markup_from_its_address(admin_user, web_form, make_lead):
    """Every page (as the admin, who sees the most), with markup in every query parameter a page reads."""
    from urllib.parse import urlencode

    lead = make_lead()
    client = HttpClient()
    client.force_login(admin_user)
    query = urlencode(dict.fromkeys(QUERY_NAMES, REFLECTED))
    reflected = []
    for route in routes():
        if NOT_WALKED.match(route):
            continue
        url = concrete(route, {"pk": str(lead.pk), "slug": web_form.slug, "key": "funnel", "fmt": "csv"})
        response = client.get(f"{url}?{query}")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if b"<img src=x" in body and "html" in response.get("Content-Type", ""):
            reflected.append(url)
    assert reflected == [], f"markup from the address came back as markup: {reflected}"
