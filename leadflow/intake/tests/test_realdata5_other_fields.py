"""A field besides the contacts that does not read no longer costs the person where refusing would lose them
(realdata5).

On an asynchronous channel (a file import here; the inbox and telephony build their payloads themselves) a deal type,
URL, visitor id, UTM tag or company size that does not read is kept as given with a warning and the lead is created;
on a web form, so are the tracking fields its script sends (the visitor cannot correct them). The synchronous API
keeps its per-field 422, and a field the partner's terms require is never loosened."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.imports import services as imports
from leadflow.imports.models import ImportJob
from leadflow.intake import pipeline, webform_rules
from leadflow.intake.models import Form
from leadflow.intake.tests.realdata import post
from leadflow.leads.models import Lead, Request

pytestmark = pytest.mark.django_db


def import_rows(tmp_path: Path, by: User, data: str) -> ImportJob:
    path = tmp_path / "expo.csv"
    path.write_bytes(data.encode("cp1251"))
    job = imports.create_job(upload=path, by=by)
    job = imports.set_mapping(job=job, mapping=job.mapping, source=None, campaign=None, by=by)
    imports.run_import(job)
    return ImportJob.objects.get(pk=job.pk)


@pytest.mark.parametrize(("language", "label"), [("en", "Deal type, as given"), ("ru", "Тип сделки, как указан")])
def test_an_imported_row_with_a_deal_type_that_does_not_read_is_a_lead_with_it_kept(tmp_path, head, language,
                                                                                    label):
    job = import_rows(tmp_path, head, "ФИО;Телефон;Тип сделки\r\n"
                                      "Сергеев Пётр;+7 916 100-00-01;мелкий <опт>\r\n"
                                      "Орлова Мария;+7 916 100-00-02;Опт\r\n")

    assert job.counts["created"] == 2 and job.counts["invalid"] == 0
    [row] = job.report
    assert row["row"] == 2 and row["warning"].startswith("«Тип сделки» (deal_type): “мелкий <опт>” could not be read")
    petr, maria = Lead.objects.get(last_name="Сергеев"), Lead.objects.get(last_name="Орлова")
    assert (petr.deal_type, maria.deal_type) == ("", "wholesale")  # "Опт" is wholesale in Russian
    [kept] = Request.objects.get(lead=petr).facts["unreadable"]
    assert (kept["field"], kept["value"]) == ("deal_type", "мелкий <опт>")
    head.language = language
    head.save(update_fields=["language"])
    http = HttpClient()
    http.force_login(head)
    page = http.get(f"/leads/{petr.pk}/").content.decode()
    assert label in page and "«мелкий &lt;опт&gt;»" in page and "<опт>" not in page


def test_an_asynchronous_channel_keeps_every_other_field_that_does_not_read(sales):
    outcome = pipeline.receive(pipeline.Inbound(channel="email", payload={
        "name": "Иванов Иван", "email": "ivan@mail.ru", "deal_type": "bulk", "company_size": "около 50",
        "landing_page": "shop.example/price", "referrer": "javascript:alert(1)", "visitor_id": "a b",
        "utm_campaign": "x" * 200}))

    assert outcome.status == "created" and outcome.lead.email == "ivan@mail.ru"
    kept = {item["field"]: item["value"] for item in outcome.warnings}
    assert kept == {"deal_type": "bulk", "company_size": "около 50", "landing_page": "shop.example/price",
                    "referrer": "javascript:alert(1)", "visitor_id": "a b", "utm_campaign": "x" * 200}
    lead = outcome.lead
    assert (lead.deal_type, lead.company_size, lead.landing_page, lead.referrer, lead.visitor_id,
            lead.utm_campaign) == ("", None, "", "", "", "")


def test_the_api_still_answers_a_bad_field_per_field(partner):
    status, answer = post({"name": "Иванов Иван", "email": "ivan@mail.ru", "landing_page": "shop.example"},
                          {"X-Api-Key": partner[1]})
    assert status == 422 and set(answer["error"]["fields"]) == {"landing_page"}
    assert not Lead.objects.exists()


@pytest.fixture
def form(sales) -> Form:
    return Form.objects.create(name="Contact", slug="contact", team=sales, allowed_origins="https://shop.example\n",
                               fields=[{"name": "name", "required": True}, {"name": "phone", "required": True}])


def test_a_web_form_visitor_is_not_refused_for_a_tracking_field_the_page_sent(form):
    token = webform_rules.issue_token(form, now=time.time() - 30)
    response = HttpClient().post("/f/contact", {"_ts": token, "name": "Иванов Иван", "phone": "+7 916 100-00-01",
                                                "visitor_id": "ga 1.2 <x>"})

    assert response.status_code == 200
    assert "could not read" not in response.content.decode()  # the page's matter, not the visitor's
    lead = Lead.objects.get()
    [kept] = Request.objects.get(lead=lead).facts["unreadable"]
    assert (kept["field"], kept["value"], lead.visitor_id) == ("visitor_id", "ga 1.2 <x>", "")


def test_the_embed_script_takes_the_visitor_with_a_landing_page_it_could_not_send_right(form):
    status, answer = post({"name": "Иванов Иван", "phone": "+7 916 100-00-01", "landing_page": "shop.example/x"},
                          {"X-Form-Key": form.public_key})
    assert (status, answer["status"]) == (200, "received"), answer  # a public form's answer says no more
    [warning] = answer["warnings"]
    assert (warning["field"], warning["value"]) == ("landing_page", "shop.example/x")
    assert Lead.objects.get().landing_page == ""


def test_a_field_the_partners_terms_require_is_never_kept_as_given(partner):
    row, _key = partner
    row.required_fields = ["deal_type"]
    row.save()
    outcome = pipeline.receive(pipeline.Inbound(channel="import", partner=row, payload={
        "name": "Иванов Иван", "email": "ivan@mail.ru", "deal_type": "bulk"}))
    assert outcome.status == "invalid" and set(outcome.errors) == {"deal_type"}
