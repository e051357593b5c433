"""The admin sets a partner's terms, regions and postback URL, and issues its key (shown once)."""

import re

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import hash_token
from leadflow.intake.models import Partner
from leadflow.partners.models import DealerRegion, Postback
from leadflow.partners.tests.conftest import submit

pytestmark = pytest.mark.django_db


def form_data(**values) -> dict:
    data = {
        "name": "Lead Factory", "is_active": "on", "payout_model": "lead", "price_per_lead": "150",
        "price_per_client": "0", "allowed_regions": "", "allowed_products": "", "daily_cap": "",
        "postback_url": "", "regions-TOTAL_FORMS": "1", "regions-INITIAL_FORMS": "0", "regions-MIN_NUM_FORMS": "0",
        "regions-MAX_NUM_FORMS": "1000", "regions-0-name": "",
    }
    data.update(values)
    return data


def test_admin_adds_a_partner_with_terms_regions_and_postbacks(client, admin_user, sales, settings):
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = []
    client.force_login(admin_user)
    response = client.post("/admin/intake/partner/add/", form_data(
        team=sales.pk, required_fields=["email", "city"], daily_cap="50",
        **{"regions-0-name": "Казань"}, postback_url="https://93.184.215.14/pb?cid={click_id}&s={status}",
        postback_statuses=["accepted", "converted"]))
    assert response.status_code == 302, response.content.decode()[:3000]
    partner = Partner.objects.get(name="Lead Factory")
    assert response["Location"] == f"/admin/intake/partner/{partner.pk}/issue-key/"  # no key yet: issue one
    assert partner.required_fields == ["email", "city"] and partner.daily_cap == 50
    assert partner.postback_statuses == ["accepted", "converted"]
    # keyed as a place, so "Kazan" and "г. Казань" find it too
    assert list(DealerRegion.objects.filter(partner=partner).values_list("name", "key")) == [("Казань", "kazan")]


@pytest.mark.parametrize(("url", "problem"), [
    ("http://127.0.0.1/pb", "loopback"),
    ("http://10.1.2.3/pb", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/pb", "loopback"),
    ("http://localhost:8000/pb", "loopback"),
    ("gopher://93.184.215.14/pb", "Only http:// and https://"),
    ("https://93.184.215.14/pb?x={clickid}", "Unknown macros: {clickid}"),
])
def test_unsafe_postback_urls_are_refused_on_save(client, admin_user, url, problem, settings):
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = []
    client.force_login(admin_user)
    response = client.post("/admin/intake/partner/add/", form_data(postback_url=url,
                                                                   postback_statuses=["accepted"]))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["postback_url"] and problem in errors["postback_url"][0]
    assert not Partner.objects.exists()


def test_the_key_is_shown_once_and_only_its_prefix_is_listed(client, admin_user, partner):
    row, old_key = partner
    client.force_login(admin_user)
    confirm = client.get(f"/admin/intake/partner/{row.pk}/issue-key/")
    assert confirm.status_code == 200 and row.key_prefix in confirm.content.decode()
    assert old_key not in confirm.content.decode()

    page = client.post(f"/admin/intake/partner/{row.pk}/issue-key/")
    assert "no-store" in page["Cache-Control"]
    new_key = re.search(r'data-testid="issued-key">([^<]+)<', page.content.decode()).group(1)
    row.refresh_from_db()
    assert row.key_hash == hash_token(new_key) and new_key.startswith(row.key_prefix)

    listing = client.get("/admin/intake/partner/").content.decode()
    change = client.get(f"/admin/intake/partner/{row.pk}/change/").content.decode()
    assert row.key_prefix in listing and new_key not in listing and new_key not in change
    assert submit(old_key, {"name": "Иван Петров", "phone": "+79123456789"}).status_code == 401
    assert submit(new_key, {"name": "Иван Петров", "phone": "+79123456789"}).status_code == 201


def test_the_bulk_action_shows_each_new_key_once(client, admin_user, partner):
    row, _ = partner
    client.force_login(admin_user)
    page = client.post("/admin/intake/partner/", {"action": "issue_key", "_selected_action": [row.pk]})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    key = re.search(r'data-testid="issued-key">([^<]+)<', page.content.decode()).group(1)
    assert HttpClient().get("/api/partner/report", headers={"X-Api-Key": key}).status_code == 200


def test_managers_cannot_issue_keys(client, alice, partner):
    row, _ = partner
    client.force_login(alice)
    response = client.post(f"/admin/intake/partner/{row.pk}/issue-key/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Partner.objects.get(pk=row.pk).key_hash == row.key_hash


def test_admin_sends_a_failed_postback_again(client, admin_user, partner, postback_server):
    from leadflow.worker import deliver_events

    row, key = partner
    Partner.objects.filter(pk=row.pk).update(postback_url=postback_server.base + "/pb", postback_statuses=["accepted"])
    postback_server.answers = [(404, {})]
    submit(key, {"name": "Иван Петров", "phone": "+79123456789"})
    deliver_events()
    postback = Postback.objects.get()
    assert postback.state == "failed"
    client.force_login(admin_user)
    assert client.get("/admin/partners/postback/").status_code == 200
    client.post("/admin/partners/postback/", {"action": "send_again", "_selected_action": [postback.pk]})
    deliver_events()
    postback.refresh_from_db()
    assert (postback.state, postback.attempts, len(postback_server.paths)) == ("sent", 1, 2)
