"""Outgoing webhooks: an integration's address gets the events it chose, signed, retried until taken; the admin
sets it up (a private address refused), tests it, and sends failed deliveries again."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.events import webhooks
from leadflow.events.models import DeliveryState, Webhook, WebhookDelivery
from leadflow.leads.models import Lead, Notification
from leadflow.worker import deliver_events

pytestmark = pytest.mark.django_db

BODY = {"name": "Иван Петров", "phone": "+79123456789", "email": "ivan@example.ru"}


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 answering as scripted (then 200) and keeping what it was sent."""

    port: int = 0
    answers: list[int] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/leadflow"

    def events(self) -> list[str]:
        return [call["json"]["event"] for call in self.calls]


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:  # type: ignore[no-untyped-def]
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.calls.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                "json": json.loads(body)})
            self.send_response(state.answers.pop(0) if state.answers else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = ["127.0.0.1"]  # the suite's receiver is on loopback, as a private one
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def hook(receiver: Receiver, events: list[str], **extra: object) -> Webhook:
    made = Webhook.objects.create(name="Accounting", url=receiver.url, events=events, **extra)
    webhooks._active.clear()
    return made


def submit(web_form) -> None:  # type: ignore[no-untyped-def]
    response = HttpClient().post("/api/submissions", data=json.dumps(BODY), content_type="application/json",
                                 headers={"X-Form-Key": web_form.public_key})
    assert response.status_code == 200


def test_a_new_lead_is_posted_signed_with_ids_only(receiver, web_form):
    webhook = hook(receiver, ["lead.created"])
    submit(web_form)

    deliver_events()

    assert receiver.events() == ["lead.created"]
    call = receiver.calls[0]
    lead = Lead.objects.get()
    assert call["path"] == "/hooks/leadflow"
    assert call["json"]["data"]["lead_id"] == lead.pk and call["json"]["data"]["channel"] == "form"
    assert "Петров" not in call["body"].decode() and "79123456789" not in call["body"].decode()  # no person's data
    headers = call["headers"]
    assert headers["X-Leadflow-Event"] == "lead.created"
    assert headers["X-Leadflow-Event-Id"] == str(call["json"]["id"])
    expected = hmac.new(webhook.secret.encode(), headers["X-Leadflow-Timestamp"].encode() + b"." + call["body"],
                        hashlib.sha256).hexdigest()
    assert headers["X-Leadflow-Signature"] == f"sha256={expected}"
    assert WebhookDelivery.objects.get().state == DeliveryState.SENT


def test_only_the_chosen_events_and_every_listed_one_with_all(receiver, web_form, alice):
    chosen = hook(receiver, ["lead.assigned"])
    everything = Webhook.objects.create(name="Warehouse", url=receiver.url + "?all=1", events=[webhooks.ALL])
    webhooks._active.clear()
    submit(web_form)
    lead = Lead.objects.get()
    from leadflow.leads import services

    services.claim_lead(lead=lead, by=alice)
    deliver_events()

    by_hook = {h.pk: sorted(WebhookDelivery.objects.filter(webhook=h).values_list("event__name", flat=True))
               for h in (chosen, everything)}
    assert by_hook[chosen.pk] == ["lead.assigned"]
    assert {"lead.created", "lead.pooled", "lead.assigned"} <= set(by_hook[everything.pk])
    assert "notification.created" not in by_hook[everything.pk]  # Leadflow's own bookkeeping is not sent


def test_a_failing_receiver_is_retried_after_growing_pauses_then_given_up_and_the_admins_told(
        receiver, web_form, admin_user):
    hook(receiver, ["lead.created"])
    receiver.answers = [503] * 10
    submit(web_form)
    deliver_events()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.response_code) == (DeliveryState.PENDING, 1, 503)

    now = timezone.now()
    for pause in webhooks.RETRY_PAUSES:
        assert webhooks.send_due(now=now + pause - timedelta(seconds=30)) == 0  # not before its pause
        now += pause + timedelta(seconds=1)
        assert webhooks.send_due(now=now) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1 + len(webhooks.RETRY_PAUSES))
    assert len(receiver.calls) == 1 + len(webhooks.RETRY_PAUSES)
    assert Webhook.objects.get().failing_since is not None
    told = Notification.objects.filter(kind="webhook.failing")
    assert [n.user for n in told] == [admin_user] and "Accounting" in told.get().shown_text

    # The receiver is fixed; the admin sends it again: taken, and the webhook is no longer failing.
    receiver.answers = []
    assert webhooks.send_again([delivery]) == 1
    webhooks.send_due()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and Webhook.objects.get().failing_since is None


def test_a_client_error_is_not_retried(receiver, web_form):
    hook(receiver, ["lead.created"])
    receiver.answers = [410]
    submit(web_form)
    deliver_events()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_error) == (DeliveryState.FAILED, "answered HTTP 410")


def test_an_address_turned_private_is_refused_at_send_time(receiver, web_form, settings):
    hook(receiver, ["lead.created"])
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = []
    submit(web_form)
    deliver_events()

    assert receiver.calls == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and "loopback" in delivery.last_error


def test_an_inactive_webhook_gets_nothing(receiver, web_form):
    hook(receiver, [webhooks.ALL], is_active=False)
    submit(web_form)
    deliver_events()
    assert receiver.calls == [] and not WebhookDelivery.objects.exists()


def test_the_admin_adds_a_webhook_a_private_address_is_refused_and_a_test_event_is_sent(receiver, admin_user,
                                                                                         settings):
    browser = HttpClient()
    browser.force_login(admin_user)
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = []
    refused = browser.post("/admin/events/webhook/add/", {
        "name": "Internal", "url": "http://10.0.0.5/hook", "events": ["lead.created"], "is_active": "on",
        "secret": "s3cret-value"})
    assert refused.status_code == 200 and not Webhook.objects.exists()
    assert "10.0.0.5" in refused.context["adminform"].form.errors["url"][0]

    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = ["127.0.0.1"]
    added = browser.post("/admin/events/webhook/add/", {
        "name": "Accounting", "url": receiver.url, "events": ["lead.converted", "privacy.erased"],
        "is_active": "on", "secret": "s3cret-value"})
    assert added.status_code == 302
    webhook = Webhook.objects.get()
    assert webhook.events == ["lead.converted", "privacy.erased"] and webhook.secret == "s3cret-value"

    answer = browser.post("/admin/events/webhook/", {"action": "send_test_event", "_selected_action": [webhook.pk]},
                          follow=True)
    assert [call["json"]["event"] for call in receiver.calls] == ["webhook.ping"]
    assert "200" in " ".join(str(m) for m in answer.context["messages"])


def test_managers_and_marketers_cannot_see_webhooks(receiver, alice, django_user_model):
    from leadflow.accounts.models import Role

    marketer = django_user_model.objects.create_user(username="mia", password="pw", role=Role.MARKETER,
                                                     is_staff=True)
    hook(receiver, [webhooks.ALL])
    for user in (alice, marketer):
        browser = HttpClient()
        browser.force_login(user)
        assert browser.get("/admin/events/webhook/").status_code in (302, 403)
        assert browser.get("/admin/events/webhookdelivery/").status_code in (302, 403)
