"""Web forms: the hosted page /f/<slug>, the embed script's endpoints, and the rules against spam and abuse."""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.test import override_settings

from leadflow.events.models import OutboxEvent
from leadflow.events.services import deliver_pending
from leadflow.intake import webform_rules
from leadflow.intake.models import Form, RateCounter, Submission
from leadflow.intake.pipeline import process
from leadflow.leads.models import Interest, Lead, Notification, Request

pytestmark = pytest.mark.django_db

SITE = "https://shop.example.com"
PERSON = {"name": "Петров Пётр", "phone": "+7 912 345-67-89", "email": "petr@example.ru"}


@pytest.fixture
def form(sales) -> Form:
    return Form.objects.create(
        name="Contact us", slug="contact", team=sales, consent_text="I agree to be called.",
        consent_text_version="v3", thank_you_text="Thanks, we will call you.", allowed_origins=f"{SITE}\n",
        fields=[{"name": "name", "required": True}, {"name": "phone", "required": True},
                {"name": "email", "required": False}, {"name": "message", "required": False}],
    )


def aged_token(form: Form, seconds: float = 30) -> str:
    """A render token as if the form had been shown `seconds` ago."""
    return webform_rules.issue_token(form, now=time.time() - seconds)


def post_page(form: Form, data: dict[str, Any], *, client: HttpClient | None = None, **extra: Any):
    body = {"_ts": aged_token(form), "consent": "on", **data}
    return (client or HttpClient()).post(f"/f/{form.slug}", data=body, **extra)


def post_json(form: Form, body: dict[str, Any], *, origin: str = SITE, raw: bytes | None = None, **headers: str):
    data = raw if raw is not None else json.dumps({"_ts": aged_token(form), "consent": True, **body})
    return HttpClient().post(f"/f/{form.slug}/submit", data=data, content_type="application/json",
                             headers={"Origin": origin, **headers})


# ---------------------------------------------------------------- the hosted page


def test_hosted_page_shows_the_fields_consent_and_a_hidden_honeypot(form):
    response = HttpClient().get("/f/contact?utm_source=google&utm_campaign=spring",
                                headers={"Referer": "https://search.example/?q=x"})
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("name", "phone", "email", "message"):
        assert f'name="{name}"' in page
    assert 'name="website_url"' in page and 'tabindex="-1"' in page
    assert "I agree to be called." in page and 'name="consent"' in page
    assert 'name="utm_source" value="google"' in page and 'name="utm_campaign" value="spring"' in page
    assert 'name="referrer" value="https://search.example/?q=x"' in page
    token = page.split('name="_ts" value="', 1)[1].split('"', 1)[0]
    assert webform_rules.shown_at(form, token) == pytest.approx(time.time(), abs=5)
    assert len(response.cookies["leadflow_vid"].value) == 32


def test_hosted_page_speaks_the_forms_language(form):
    form.language = "ru"
    form.fields = [{"name": "last_name", "required": True}, {"name": "phone", "required": True},
                   {"name": "company", "required": False, "label": "Organisation"}]
    form.save()
    page = HttpClient().get("/f/contact", headers={"Accept-Language": "en"}).content.decode()
    assert 'lang="ru"' in page
    assert ">Фамилия *</label>" in page and ">Телефон *</label>" in page
    assert ">Organisation</label>" in page  # the admin's own label is shown as typed
    form.language = "en"
    form.save()
    page = HttpClient().get("/f/contact", headers={"Accept-Language": "ru"}).content.decode()
    assert ">Surname *</label>" in page and ">Phone *</label>" in page


def test_unknown_or_inactive_form_is_404(form):
    assert HttpClient().get("/f/nope").status_code == 404
    form.is_active = False
    form.save()
    assert HttpClient().get("/f/contact").status_code == 404
    assert post_page(form, PERSON).status_code == 404
    assert Submission.objects.count() == 0


def test_hosted_post_makes_a_lead_with_touch_consent_and_visitor(form):
    client = HttpClient()
    client.get("/f/contact?utm_source=google&utm_medium=cpc")
    visitor = client.cookies["leadflow_vid"].value
    response = post_page(form, {**PERSON, "utm_source": "newsletter", "landing_page": "http://testserver/f/contact"},
                         client=client)
    assert response.status_code == 200
    assert "Thanks, we will call you." in response.content.decode()
    lead = Lead.objects.get()
    assert lead.phone == "+79123456789" and lead.team == form.team and lead.channel == "form"
    assert lead.consent_given and lead.consent_text_version == "v3" and lead.consent_channel == "form:contact"
    # The card keeps the first visit (google / cpc), the request this one (newsletter).
    assert (lead.utm_source, lead.utm_medium) == ("google", "cpc")
    request = Request.objects.get(lead=lead)
    assert (request.utm_source, request.utm_medium) == ("newsletter", "")
    assert lead.visitor_id == request.visitor_id == visitor
    submission = Submission.objects.get()
    assert submission.status == "created" and submission.payload["visitor_id"] == visitor


def test_hosted_post_redirects_when_the_form_says_so(form):
    form.redirect_url = "https://shop.example.com/thanks"
    form.save()
    response = post_page(form, PERSON)
    assert response.status_code == 302 and response["Location"] == "https://shop.example.com/thanks"
    assert Lead.objects.count() == 1


def test_required_fields_and_consent_are_reported_next_to_each_field(form):
    response = post_page(form, {"name": "", "email": "petr@example.ru", "consent": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="lf-name-error"' in page and 'id="lf-phone-error"' in page and 'id="lf-email-error"' not in page
    assert "This field is required." in page and "Please agree to be contacted" in page
    assert 'value="petr@example.ru"' in page  # what was typed stays
    # The corrected form counts its fill time from the first showing, so fixing it quickly is not spam.
    posted_token = Submission.objects.get().payload["_ts"]
    assert f'name="_ts" value="{posted_token}"' in page
    submission = Submission.objects.get()
    assert submission.status == "invalid"
    assert set(submission.errors["fields"]) == {"name", "phone", "consent"}
    assert Lead.objects.count() == 0


def test_a_bad_phone_is_shown_on_the_phone_field(form):
    response = post_page(form, {**PERSON, "phone": "12"})
    assert response.status_code == 422
    assert 'id="lf-phone-error"' in response.content.decode()
    assert Lead.objects.count() == 0


def test_what_the_visitor_typed_is_shown_escaped(form):
    form.title = "<b>Title</b>"
    form.consent_text = "<script>alert(1)</script>"
    form.fields = [{"name": "name", "required": True, "label": "<img src=x onerror=alert(2)>"},
                   {"name": "phone", "required": True}]
    form.save()
    page = post_page(form, {"name": '"><script>alert(3)</script>', "phone": ""}).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Title" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x" in page
    assert "&quot;&gt;&lt;script&gt;alert(3)" in page


# ---------------------------------------------------------------- spam


def assert_spam_only(reason_part: str) -> Submission:
    submission = Submission.objects.get()
    assert submission.status == "spam" and reason_part in submission.errors["reason"]
    assert Lead.objects.count() == 0 and Interest.objects.count() == 0 and Request.objects.count() == 0
    assert Notification.objects.count() == 0 and not OutboxEvent.objects.exists()
    deliver_pending()
    assert mail.outbox == []
    return submission


def test_a_form_sent_faster_than_the_minimum_fill_time_is_spam(form, alice):
    form.min_fill_seconds = 5
    form.save()
    response = post_page(form, {**PERSON, "_ts": aged_token(form, seconds=1)})
    assert response.status_code == 200  # the bot is not told
    submission = assert_spam_only("minimum 5 s")
    # Replaying it from the journal judges by the time it arrived, not now.
    process(submission)
    submission.refresh_from_db()
    assert submission.status == "spam"


def test_a_form_filled_in_time_passes(form):
    form.min_fill_seconds = 5
    form.save()
    post_page(form, {**PERSON, "_ts": aged_token(form, seconds=6)})
    assert Submission.objects.get().status == "created"


def test_a_person_who_sends_too_fast_with_an_empty_field_sees_the_error_first(form):
    form.min_fill_seconds = 5
    form.save()
    response = post_page(form, {"name": "Петров Пётр", "phone": "", "_ts": aged_token(form, seconds=1)})
    assert response.status_code == 422 and 'id="lf-phone-error"' in response.content.decode()
    assert Submission.objects.get().status == "invalid"


@pytest.mark.parametrize("token", ["", "forged", "from-another-form"])
def test_a_missing_forged_or_foreign_token_is_spam(form, sales, token):
    if token == "from-another-form":
        other = Form.objects.create(name="Other", slug="other", team=sales)
        token = aged_token(other)
    post_page(form, {**PERSON, "_ts": token})
    assert_spam_only("form token missing or forged")


def test_a_filled_honeypot_is_spam_even_with_invalid_fields(form):
    post_page(form, {"name": "", "phone": "", "website_url": "http://spam.example"})
    assert_spam_only("honeypot")


def test_spam_through_the_embed_endpoint_is_journaled_and_answered_like_a_lead(form):
    response = post_json(form, {**PERSON, "website_url": "x"})
    assert response.status_code == 200 and response.json()["status"] == "received"
    assert_spam_only("honeypot")


# ---------------------------------------------------------------- rate limits, size, double submit


@override_settings(LEADFLOW_FORM_RATE_PER_IP=3, LEADFLOW_FORM_RATE_PER_FORM=100, LEADFLOW_FORM_RATE_WINDOW=600)
def test_too_many_submissions_from_one_address_get_429_with_retry_after(form):
    for n in range(3):
        assert post_page(form, {**PERSON, "phone": f"+7912000000{n}"}).status_code == 200
    response = post_page(form, {**PERSON, "phone": "+79120000009"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert "Too many submissions" in response.content.decode()
    json_answer = post_json(form, {**PERSON, "phone": "+79120000008"})
    assert json_answer.status_code == 429 and json_answer.json()["error"]["code"] == "rate_limited"
    assert json_answer["Access-Control-Allow-Origin"] == SITE and "Retry-After" in json_answer
    assert Submission.objects.count() == 3
    # Another address is not held back.
    assert post_page(form, PERSON, REMOTE_ADDR="10.0.0.2").status_code == 200


@override_settings(LEADFLOW_FORM_RATE_PER_IP=100, LEADFLOW_FORM_RATE_PER_FORM=2)
def test_the_per_form_limit_holds_across_addresses(form, sales):
    for n in range(2):
        post_page(form, {**PERSON, "phone": f"+7912000000{n}"}, REMOTE_ADDR=f"10.0.0.{n + 1}")
    assert post_page(form, PERSON, REMOTE_ADDR="10.0.0.9").status_code == 429
    other = Form.objects.create(name="Other", slug="other", team=sales)
    assert post_page(other, PERSON, REMOTE_ADDR="10.0.0.9").status_code == 200


@override_settings(LEADFLOW_FORM_RATE_PER_IP=2, LEADFLOW_FORM_RATE_WINDOW=60)
def test_the_window_slides(form):
    t0 = 1_000_020.0  # 20 s into a 60 s window
    assert webform_rules.rate_limited(form, "1.2.3.4", now=t0) == 0
    assert webform_rules.rate_limited(form, "1.2.3.4", now=t0 + 1) == 0
    assert webform_rules.rate_limited(form, "1.2.3.4", now=t0 + 2) > 0
    # Early in the next window most of the last one still counts; a window later it is all forgotten.
    assert webform_rules.rate_limited(form, "1.2.3.4", now=t0 + 45) > 0
    assert webform_rules.rate_limited(form, "1.2.3.4", now=t0 + 130) == 0
    assert not RateCounter.objects.filter(window_start__lt=1_000_080).exists()


@override_settings(LEADFLOW_FORM_RATE_WINDOW=60)
def test_each_hit_counts_once_when_one_key_opens_its_window_and_another_has_it_open(form):
    now = 1_000_020.0
    webform_rules.count_hits({"ip:1.2.3.4": 10}, now=now)  # this address's window is open
    webform_rules.count_hits({"ip:1.2.3.4": 10, "ip:5.6.7.8": 10}, now=now + 1)  # the other opens its own
    webform_rules.count_hits({"ip:1.2.3.4": 10, "ip:5.6.7.8": 10}, now=now + 2)
    hits = dict(RateCounter.objects.values_list("key", "hits"))
    assert hits == {"ip:1.2.3.4": 3, "ip:5.6.7.8": 2}


@override_settings(LEADFLOW_FORM_MAX_BYTES=2000)
def test_an_oversized_form_gets_413_and_is_not_journaled(form):
    response = post_page(form, {**PERSON, "message": "x" * 3000})
    assert response.status_code == 413 and "too large" in response.content.decode()
    answer = post_json(form, {**PERSON, "message": "x" * 3000})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"
    assert Submission.objects.count() == 0


def test_an_overlong_field_is_cut_and_kept_whole_with_a_warning(form):
    # a visitor is not refused for a long text (realdata6): the field has its beginning, the whole is kept as given
    answer = post_json(form, {**PERSON, "name": "Петров Пётр " + "x" * 300})
    assert answer.status_code == 200
    assert [(w["field"], w["code"]) for w in answer.json()["warnings"]] == [("name", "too_long")]


def test_a_double_submit_is_one_submission_and_one_lead(form):
    token = aged_token(form)
    first = post_json(form, {**PERSON, "_ts": token, "visitor_id": "v1"})
    # The second click on the same showing of the form: same content (spacing and case differ).
    second = post_json(form, {**PERSON, "name": " петров  пётр ", "_ts": token, "visitor_id": "v1"})
    assert first.status_code == second.status_code == 200
    assert Submission.objects.count() == 1 and Lead.objects.count() == 1 and Request.objects.count() == 1
    # A different message on the same showing is a new submission (attached to the same card) ...
    post_json(form, {**PERSON, "_ts": token, "message": "and a question", "visitor_id": "v1"})
    # ... and so is the same content sent from a new showing of the form.
    post_json(form, {**PERSON, "visitor_id": "v1"})
    assert list(Submission.objects.order_by("pk").values_list("status", flat=True)) == [
        "created", "attached", "attached"]
    assert Lead.objects.count() == 1


def test_a_resent_hosted_form_is_one_submission(form):
    data = {**PERSON, "_ts": aged_token(form)}
    assert post_page(form, data).status_code == post_page(form, data).status_code == 200
    assert Submission.objects.count() == 1 and Lead.objects.count() == 1


def test_the_same_content_from_another_visitor_is_not_collapsed(form):
    token = aged_token(form)
    post_json(form, {**PERSON, "_ts": token, "visitor_id": "v1"})
    post_json(form, {**PERSON, "_ts": token, "visitor_id": "v2"})
    assert Submission.objects.count() == 2


def test_a_double_submit_after_the_window_is_new(form, settings):
    keys_now = webform_rules.duplicate_keys(form, PERSON, visitor="v1", now=1_000_000.0)
    keys_later = webform_rules.duplicate_keys(form, PERSON, visitor="v1",
                                              now=1_000_000.0 + 2 * settings.LEADFLOW_FORM_DUPLICATE_SECONDS)
    assert not set(keys_now) & set(keys_later)


# ---------------------------------------------------------------- the embed endpoints and CORS


def test_config_is_given_to_an_allowed_origin_only(form):
    response = HttpClient().get("/f/contact/config", headers={"Origin": SITE})
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == SITE
    data = response.json()
    assert [f["name"] for f in data["fields"]] == ["name", "phone", "email", "message"]
    assert [f["required"] for f in data["fields"]] == [True, True, False, False]
    assert data["consent_text"] == "I agree to be called." and data["honeypot"] == "website_url"
    assert webform_rules.shown_at(form, data["token"]) is not None
    refused = HttpClient().get("/f/contact/config", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


def test_preflight_allows_the_forms_origins_only(form):
    ok = HttpClient().options("/f/contact/submit", headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert ok.status_code == 204 and ok["Access-Control-Allow-Origin"] == SITE
    assert "POST" in ok["Access-Control-Allow-Methods"] and "Content-Type" in ok["Access-Control-Allow-Headers"]
    other = HttpClient().options("/f/contact/submit", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other and "Access-Control-Allow-Methods" not in other


def test_origins_compare_as_origins(form):
    form.allowed_origins = "https://Shop.Example.com:443/\nhttp://localhost:8080"
    form.save()
    assert form.allows_origin("https://shop.example.com")
    assert form.allows_origin("http://localhost:8080")
    assert not form.allows_origin("http://shop.example.com")
    assert not form.allows_origin("https://shop.example.com.evil.example")
    assert not form.allows_origin("null")


def test_a_post_from_another_origin_is_refused_before_the_journal(form):
    response = post_json(form, PERSON, origin="https://evil.example")
    assert response.status_code == 403 and "Access-Control-Allow-Origin" not in response
    assert Submission.objects.count() == 0


def test_embed_submission_keeps_first_and_last_touch(form):
    first_visit = {"utm_source": "yandex", "utm_campaign": "winter", "landing_page": f"{SITE}/sale",
                   "referrer": "https://ya.ru/"}
    response = post_json(form, {**PERSON, "utm_source": "email", "utm_campaign": "spring",
                                "landing_page": f"{SITE}/spring", "visitor_id": "a1b2c3", "first_touch": first_visit,
                                "unknown_key": "dropped", "product_interest": "not on this form"})
    assert response.status_code == 200
    assert response.json() == {"status": "received", "thank_you_text": "Thanks, we will call you.", "redirect_url": ""}
    lead = Lead.objects.get()
    assert (lead.utm_source, lead.utm_campaign, lead.landing_page, lead.referrer) == (
        "yandex", "winter", f"{SITE}/sale", "https://ya.ru/")
    request = Request.objects.get()
    assert (request.utm_source, request.utm_campaign, request.landing_page) == ("email", "spring", f"{SITE}/spring")
    assert lead.visitor_id == request.visitor_id == "a1b2c3"
    assert "unknown_key" not in Submission.objects.get().payload and lead.product_interest == ""
    # A later request from the same person keeps the card's first touch and records its own.
    post_json(form, {**PERSON, "message": "again", "utm_source": "partner", "visitor_id": "a1b2c3",
                     "first_touch": first_visit})
    lead.refresh_from_db()
    assert lead.utm_source == "yandex"
    assert Request.objects.order_by("-pk").first().utm_source == "partner"


def test_a_bad_first_touch_is_dropped_not_refused(form):
    response = post_json(form, {**PERSON, "utm_source": "google",
                                "first_touch": {"referrer": "javascript:alert(1)", "utm_source": {"x": 1}}})
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert lead.utm_source == "google" and lead.referrer == ""


def test_embed_errors_name_the_field(form):
    response = post_json(form, {"name": "Петров Пётр", "phone": "", "consent": False})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert fields["phone"] == ["This field is required."] and "consent" in fields
    assert response["Access-Control-Allow-Origin"] == SITE
    assert post_json(form, {}, raw=b"{not json").status_code == 400
    assert post_json(form, {}, raw=b"[1]").status_code == 422


def test_the_answer_is_the_same_for_a_new_lead_and_a_known_person(form):
    first = post_json(form, {**PERSON, "visitor_id": "a"})
    again = post_json(form, {**PERSON, "message": "second", "visitor_id": "b"})
    assert first.json() == again.json()
    assert list(Submission.objects.order_by("pk").values_list("status", flat=True)) == ["created", "attached"]


def test_embed_script_is_served_small_and_builds_no_html_from_strings(form):
    response = HttpClient().get("/f/embed.js")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    script = response.content.decode()
    assert len(script.encode()) < 8 * 1024
    compressed = HttpClient().get("/f/embed.js", headers={"Accept-Encoding": "gzip, br"})
    assert compressed["Content-Encoding"] == "gzip" and len(compressed.content) < 4 * 1024
    assert gzip.decompress(compressed.content).decode() == script
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "document.write" not in script
    assert "textContent" in script


# ---------------------------------------------------------------- settings of a form


def test_form_settings_are_checked(form):
    form.redirect_url = "javascript:alert(1)"
    form.allowed_origins = "https://ok.example\nhttps://bad.example/path"
    form.fields = [{"name": "phone"}, {"name": "salary"}]
    with pytest.raises(ValidationError) as error:
        form.full_clean()
    assert set(error.value.message_dict) == {"redirect_url", "allowed_origins", "fields"}
    assert "salary" in error.value.message_dict["fields"][0]
    form.redirect_url = "https://shop.example.com/thanks"
    form.allowed_origins = "https://ok.example"
    form.fields = [{"name": "phone", "required": True, "label": "Ваш телефон"}]
    form.full_clean()
    assert form.shown_fields() == [{"name": "phone", "type": "tel", "required": True, "label": "Ваш телефон"}]


def test_admin_shows_the_embed_snippet(form, admin_user):
    client = HttpClient()
    client.force_login(admin_user)
    page = client.get(f"/admin/intake/form/{form.pk}/change/").content.decode()
    assert '&lt;script src=&quot;http://127.0.0.1:8000/f/embed.js&quot; data-leadflow-form=&quot;contact&quot;' in page
    assert 'href="http://127.0.0.1:8000/f/contact"' in page


def test_the_api_takes_a_first_touch_too_and_skips_the_page_rules(form):
    # Server-side integrations post with the form's key: no render token, so no fill-time or required-field
    # rules of the page; the pipeline's own validation still applies.
    response = HttpClient().post("/api/submissions", content_type="application/json", data=json.dumps({
        "name": "Петров Пётр", "email": "petr@example.ru", "utm_source": "email", "visitor_id": "srv-1",
        "first_touch": {"utm_source": "yandex", "utm_medium": "cpc"}}), headers={"X-Form-Key": form.public_key})
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert (lead.utm_source, lead.utm_medium, lead.visitor_id) == ("yandex", "cpc", "srv-1")
    assert Request.objects.get().utm_source == "email"
    assert Submission.objects.get().status == "created"


@override_settings(LEADFLOW_FORM_RATE_PER_IP=2)
def test_the_form_key_through_the_api_is_rate_limited_like_the_page(form):
    def send(n: int):
        return HttpClient().post("/api/submissions", data=json.dumps({"name": f"Иван Петров {n}", "phone":
                                 f"+7912345670{n}"}), content_type="application/json",
                                 headers={"X-Form-Key": form.public_key})

    assert [send(n).status_code for n in range(2)] == [200, 200]
    refused = send(2)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "rate_limited"
    assert Submission.objects.count() == 2  # the two accepted ones stay; the refused one was never taken


@pytest.mark.django_db
@pytest.mark.parametrize(("site", "spoken"), [("ru", "ru"), ("en", "en"), ("ru-ru", "ru"), ("de", "en")])
def test_a_new_form_speaks_the_sites_language(settings, client, site, spoken):
    """A Russian installation's new form said "Your name", "Send" and "Thank you!" until someone changed it."""
    settings.LANGUAGE_CODE = site
    form = Form.objects.create(name="Заявка", slug=f"zayavka-{site}")
    assert form.language == spoken
    if spoken == "ru":
        assert "Отправить" in client.get(f"/f/{form.slug}/").content.decode()
