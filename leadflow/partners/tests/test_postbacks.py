"""Status postbacks to a partner's URL: macros, delivery by the worker, retries with backoff, SSRF refusals."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from leadflow.events.models import OutboxEvent
from leadflow.intake.models import Partner, PayoutModel, Submission
from leadflow.leads import services
from leadflow.leads.models import Lead, LostReason
from leadflow.partners.models import Postback, PostbackState
from leadflow.partners.postbacks import send_due_postbacks
from leadflow.partners.tests.conftest import submit
from leadflow.worker import deliver_events

pytestmark = pytest.mark.django_db

ALL_STATUSES = ["accepted", "qualified", "converted", "refused"]


def configure(partner: Partner, url: str, statuses: list[str] = ALL_STATUSES, **terms) -> Partner:
    Partner.objects.filter(pk=partner.pk).update(postback_url=url, postback_statuses=statuses, **terms)
    partner.refresh_from_db()
    return partner


def query(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query)


def test_accepted_lead_is_posted_back_with_its_click_id_status_and_payout(partner, postback_server):
    row, key = partner
    configure(row, postback_server.base + "/pb?cid={click_id}&s={status}&p={payout}&lead={lead_id}",
              price_per_lead=Decimal("150"))
    response = submit(key, {"name": "Иван Петров", "phone": "+79123456789", "click_id": "a b&c=d/é"})
    assert response.json()["decision"] == "accepted"

    deliver_events()

    assert len(postback_server.paths) == 1
    lead = Lead.objects.get()
    # Each macro is URL-encoded: a click id cannot add parameters or change the path.
    assert postback_server.paths[0] == (
        f"/pb?cid=a%20b%26c%3Dd%2F%C3%A9&s=accepted&p=150.00&lead={lead.pk}")
    postback = Postback.objects.get()
    assert (postback.state, postback.attempts, postback.response_code, postback.payout) == (
        "sent", 1, 200, Decimal("150.00"))


def test_qualified_converted_and_refused_are_posted_once_each(partner, postback_server, head):
    row, key = partner
    configure(row, postback_server.base + "/pb?cid={click_id}&s={status}&p={payout}",
              payout_model=PayoutModel.PER_CLIENT, price_per_client=Decimal("990.50"), price_per_lead=Decimal("10"))
    submit(key, {"name": "Иван Петров", "phone": "+79123456789", "sub_id": "S-1"})
    submit(key, {"name": "Анна Смирнова", "phone": "+79123450000", "sub_id": "S-2"})
    first, second = Lead.objects.order_by("pk")
    deliver_events()
    services.qualify_lead(lead=first, by=head)
    services.convert_lead(lead=first, by=head)
    services.refuse_lead(lead=second, reason=LostReason.objects.first(), by=head)
    deliver_events()
    # The same event delivered again (a retry of the outbox) posts nothing twice.
    OutboxEvent.objects.filter(name="lead.converted").update(delivered_at=None)
    deliver_events()

    got = [(query(p)["cid"][0], query(p)["s"][0], query(p)["p"][0]) for p in postback_server.paths]
    assert sorted(got) == sorted([
        ("S-1", "accepted", "0.00"), ("S-2", "accepted", "0.00"),  # per-client terms: a lead alone earns nothing
        ("S-1", "qualified", "0.00"), ("S-1", "converted", "990.50"), ("S-2", "refused", "0.00"),
    ])
    assert Postback.objects.filter(state="sent").count() == 5


def test_moving_a_lead_to_a_qualified_stage_on_the_board_posts_qualified(partner, postback_server, head):
    from leadflow.leads.models import Stage

    row, key = partner
    configure(row, postback_server.base + "/pb?s={status}", statuses=["qualified"])
    submit(key, {"name": "Иван Петров", "phone": "+79123456789"})
    lead = Lead.objects.get()
    services.change_stage(lead=lead, stage=Stage.objects.filter(is_qualified=True, kind="open").first(), by=head)
    deliver_events()
    assert postback_server.paths == ["/pb?s=qualified"]


def test_only_the_chosen_statuses_are_posted_and_not_for_duplicates_or_other_channels(
        partner, postback_server, head, web_form, make_lead):
    row, key = partner
    configure(row, postback_server.base + "/pb?s={status}", statuses=["converted"])
    submit(key, {"name": "Иван Петров", "phone": "+79123456789"})
    submit(key, {"name": "Иван Петров", "phone": "8 912 345-67-89"})  # duplicate: never a postback
    other = make_lead()  # a manager's lead: no partner to tell
    services.convert_lead(lead=other, by=head)
    deliver_events()
    assert postback_server.paths == []
    services.convert_lead(lead=Lead.objects.get(channel="partner"), by=head)
    deliver_events()
    assert postback_server.paths == ["/pb?s=converted"]


def test_a_failing_partner_server_is_retried_with_backoff_until_it_answers(partner, postback_server):
    row, key = partner
    configure(row, postback_server.base + "/pb?s={status}", statuses=["accepted"])
    postback_server.answers = [(500, {}), (503, {})]
    submit(key, {"name": "Иван Петров", "phone": "+79123456789"})
    deliver_events()  # queues the postback and makes the first attempt
    postback = Postback.objects.get()
    assert (postback.state, postback.attempts, postback.response_code) == ("pending", 1, 500)
    first_retry = postback.next_at
    assert timedelta(seconds=59) < first_retry - timezone.now() <= timedelta(seconds=60)

    assert send_due_postbacks(now=first_retry - timedelta(seconds=1)) == 0  # not due yet: nothing sent
    assert send_due_postbacks(now=first_retry) == 1
    postback.refresh_from_db()
    assert (postback.attempts, postback.response_code, postback.next_at) == (
        2, 503, first_retry + timedelta(seconds=120))  # the delay doubles

    assert send_due_postbacks(now=postback.next_at) == 1
    postback.refresh_from_db()
    assert (postback.state, postback.attempts, postback.response_code, postback.last_error) == ("sent", 3, 200, "")
    assert len(postback_server.paths) == 3


def test_gives_up_after_the_maximum_of_attempts(partner, postback_server, settings):
    settings.LEADFLOW_POSTBACK_MAX_ATTEMPTS = 2
    row, key = partner
    configure(row, postback_server.base + "/pb", statuses=["accepted"])
    postback_server.answers = [(500, {})] * 5
    submit(key, {"name": "Иван Петров", "phone": "+79123456789"})
    deliver_events()
    send_due_postbacks(now=timezone.now() + timedelta(hours=1))
    postback = Postback.objects.get()
    assert (postback.state, postback.attempts) == ("failed", 2)
    assert send_due_postbacks(now=timezone.now() + timedelta(days=1)) == 0
    assert len(postback_server.paths) == 2


def test_a_client_error_is_not_retried_and_a_redirect_is_not_followed(partner, postback_server):
    row, key = partner
    configure(row, postback_server.base + "/pb?s={status}", statuses=["accepted", "converted"])
    postback_server.answers = [(302, {"Location": "http://169.254.169.254/latest/meta-data/"})]
    submit(key, {"name": "Иван Петров", "phone": "+79123456789"})
    deliver_events()
    postback = Postback.objects.get()
    assert (postback.state, postback.response_code) == ("failed", 302)
    assert "not followed" in postback.last_error
    assert postback_server.paths == ["/pb?s=accepted"]  # the redirect's target was never asked


def test_loopback_is_refused_at_send_time_without_the_allowlist(partner, postback_server, settings):
    row, key = partner
    configure(row, postback_server.base + "/pb", statuses=["accepted"])
    settings.LEADFLOW_POSTBACK_ALLOW_HOSTS = []  # e.g. DNS now points the partner's host at us
    submit(key, {"name": "Иван Петров", "phone": "+79123456789"})
    deliver_events()
    postback = Postback.objects.get()
    assert postback.state == PostbackState.REFUSED and postback.attempts == 1
    assert "loopback" in postback.last_error
    assert postback_server.paths == []


def test_a_host_resolving_to_loopback_is_refused(partner, postback_server, settings):
    row, key = partner
    configure(row, f"http://localhost:{postback_server.port}/pb", statuses=["accepted"])
    submit(key, {"name": "Иван Петров", "phone": "+79123456789"})
    deliver_events()  # the allowlist names 127.0.0.1, not localhost
    assert Postback.objects.get().state == PostbackState.REFUSED
    assert postback_server.paths == []


def test_a_partner_without_a_postback_url_gets_none(partner, postback_server):
    _, key = partner
    submit(key, {"name": "Иван Петров", "phone": "+79123456789"})
    deliver_events()
    assert Postback.objects.count() == 0 and Submission.objects.get().status == "created"
