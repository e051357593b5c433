"""The tracking snippet's endpoint: origins, limits, per-field errors, and anonymous events joining a lead."""

import json

import pytest
from django.test import Client as HttpClient
from django.test import override_settings

from leadflow.events.services import deliver_pending
from leadflow.intake import pipeline
from leadflow.intake.models import Submission
from leadflow.leads.models import LeadState
from leadflow.warming.models import BehaviourEvent, EventKind, ScoreEntry, TrackingSite, Visitor

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example"


@pytest.fixture
def site(web_form):
    return TrackingSite.objects.create(name="Shop", allowed_origins=f"{SHOP}\nhttps://www.shop.example",
                                       form=web_form)


def post(site, body, *, origin=SHOP, raw=None):
    data = raw if raw is not None else json.dumps(body)
    headers = {"Origin": origin} if origin else {}
    return HttpClient(headers=headers).post(f"/t/{site.public_key}/events", data=data,
                                            content_type="text/plain;charset=UTF-8")


def test_page_view_and_custom_event_are_recorded_for_the_visitor(site):
    response = post(site, {"visitor_id": "abcdef1234", "events": [
        {"kind": "page_view", "url": f"{SHOP}/pricing", "duration_seconds": 42},
        {"kind": "add_to_cart", "url": f"{SHOP}/cart", "properties": {"sku": "T-100", "price": 1200}},
    ]})
    assert response.status_code == 202
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert response.json() == {"status": "received", "events": 2}  # nothing about leads
    events = list(BehaviourEvent.objects.order_by("id").values_list("kind", "visitor_id", "duration_seconds",
                                                                     "properties", "lead"))
    assert events == [("page_view", "abcdef1234", 42, {}, None),
                      ("add_to_cart", "abcdef1234", None, {"sku": "T-100", "price": 1200}, None)]


def test_preflight_answers_only_allowed_origins(site):
    allowed = HttpClient(headers={"Origin": SHOP}).options(f"/t/{site.public_key}/events")
    assert (allowed.status_code, allowed["Access-Control-Allow-Origin"]) == (204, SHOP)
    other = HttpClient(headers={"Origin": "https://evil.example"}).options(f"/t/{site.public_key}/events")
    assert "Access-Control-Allow-Origin" not in other


@pytest.mark.parametrize("origin", ["https://evil.example", ""])
def test_other_origins_are_refused_before_anything_is_stored(site, origin):
    response = post(site, {"visitor_id": "abcdef1234", "events": [{"kind": "page_view"}]}, origin=origin)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert BehaviourEvent.objects.count() == 0


def test_unknown_or_inactive_site_is_not_found(site):
    assert HttpClient().post("/t/lft_nope/events", data="{}", content_type="text/plain").status_code == 404
    site.is_active = False
    site.save()
    assert post(site, {}).status_code == 404


def test_bad_input_gets_errors_per_field_and_nothing_is_stored(site):
    response = post(site, {"visitor_id": "<script>", "events": [
        {"kind": "page_view", "url": "javascript:alert(1)", "duration_seconds": -5},
        {"kind": "email_opened"},
        {"kind": "add_to_cart", "properties": {"note": "x" * 501, "nested": {"a": 1}}},
        "page_view",
    ]})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"visitor_id", "events.0.url", "events.0.duration_seconds", "events.1.kind",
                           "events.2.properties.note", "events.2.properties.nested", "events.3"}
    assert BehaviourEvent.objects.count() == 0


@pytest.mark.parametrize("raw, status, code", [
    ("not json", 400, "bad_json"), ("[1, 2]", 422, "validation_error"), ('{"visitor_id": "abcdef1234"}', 422,
                                                                         "validation_error"),
])
def test_malformed_bodies_are_clear_errors(site, raw, status, code):
    response = post(site, None, raw=raw)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


@override_settings(LEADFLOW_TRACK_MAX_BYTES=200)
def test_too_large_is_refused(site):
    long_page = f"{SHOP}/" + "a" * 300
    response = post(site, {"visitor_id": "abcdef1234", "events": [{"kind": "page_view", "url": long_page}]})
    assert response.status_code == 413
    assert BehaviourEvent.objects.count() == 0


@override_settings(LEADFLOW_TRACK_RATE_PER_IP=3)
def test_rate_limit_per_address_says_when_to_retry(site):
    body = {"visitor_id": "abcdef1234", "events": [{"kind": "page_view"}]}
    assert [post(site, body).status_code for _ in range(3)] == [202, 202, 202]
    refused = post(site, body)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert BehaviourEvent.objects.count() == 3


def test_earlier_anonymous_events_join_the_lead_a_form_submission_identifies(site, web_form, policy, make_rule):
    make_rule(EventKind.PAGE_VIEW, 5)
    make_rule(EventKind.ADD_TO_CART, 10)
    post(site, {"visitor_id": "visitor-77", "events": [{"kind": "page_view", "url": f"{SHOP}/a"},
                                                        {"kind": "add_to_cart"}]})
    post(site, {"visitor_id": "someone-else", "events": [{"kind": "page_view"}]})
    outcome = pipeline.receive(pipeline.Inbound(channel="form", form=web_form, payload={
        "name": "Петров Иван", "phone": "+79161234567", "visitor_id": "visitor-77"}))
    deliver_pending()
    lead = outcome.lead
    assert sorted(lead.behaviour_events.values_list("kind", flat=True)) == ["add_to_cart", "page_view"]
    assert sorted(ScoreEntry.objects.filter(lead=lead).values_list("points", flat=True)) == [5, 10]
    assert Visitor.objects.get(visitor_id="visitor-77").lead == lead
    assert BehaviourEvent.objects.get(visitor_id="someone-else").lead is None
    # Later events of the known visitor join at once.
    post(site, {"visitor_id": "visitor-77", "events": [{"kind": "page_view", "url": f"{SHOP}/b"}]})
    assert lead.behaviour_events.count() == 3
    assert ScoreEntry.objects.filter(lead=lead).count() == 3
    # Delivering the outbox again scores nothing twice.
    deliver_pending()
    pipeline.receive(pipeline.Inbound(channel="form", form=web_form, payload={
        "name": "Петров Иван", "phone": "+79161234567", "visitor_id": "visitor-77"}))
    deliver_pending()
    assert ScoreEntry.objects.filter(lead=lead).count() == 3


def test_a_request_attached_from_a_new_browser_brings_that_browsers_events(site, web_form, make_lead):
    lead = make_lead(phone="+79161234567")
    post(site, {"visitor_id": "laptop-0001", "events": [{"kind": "video_view"}]})
    pipeline.receive(pipeline.Inbound(channel="form", form=web_form, payload={
        "name": "Petrov Ivan1", "phone": "8 916 123-45-67", "visitor_id": "laptop-0001"}))
    deliver_pending()
    assert list(lead.behaviour_events.values_list("kind", flat=True)) == ["video_view"]


def test_a_sign_up_with_contacts_goes_through_intake_and_stays_with_marketing(site, web_form):
    web_form.hand_to_sales = "when_hot"
    web_form.save()
    post(site, {"visitor_id": "reader-0042", "events": [{"kind": "page_view", "url": f"{SHOP}/blog"}]})
    response = post(site, {"visitor_id": "reader-0042", "events": [{"kind": "subscription", "url": f"{SHOP}/news",
                                                                     "properties": {"name": "Анна Кузнецова",
                                                                                    "email": "anna@example.ru",
                                                                                    "list": "news"}}]})
    assert response.status_code == 202
    submission = Submission.objects.get()
    assert submission.payload["email"] == "anna@example.ru"  # journaled first
    deliver_pending()
    lead = submission.lead
    assert (lead.state, lead.email) == (LeadState.NURTURING, "anna@example.ru")
    assert sorted(lead.behaviour_events.values_list("kind", flat=True)) == ["page_view", "subscription"]
    # The contacts live on the lead and in the journal, not in the event's properties.
    assert BehaviourEvent.objects.get(kind="subscription").properties == {"list": "news"}


def test_the_script_is_served_small_and_shares_the_forms_visitor_storage(client):
    response = client.get("/t.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    text = response.content.decode()
    assert len(response.content) < 5000
    assert '"leadflow_visitor"' in text and '"leadflow_vid"' in text  # the keys embed.js uses
    assert "innerHTML" not in text
