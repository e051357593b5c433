"""The partner report: submitted, accepted, duplicates, invalid, converted and amount due, per period."""

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient

from leadflow.intake.models import Partner, PayoutModel, Submission
from leadflow.leads import services
from leadflow.leads.models import Lead
from leadflow.partners.tests.conftest import submit

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=MSK)


@pytest.fixture
def history(partner, head):
    """October: 3 accepted, 1 duplicate, 2 invalid; one of October's leads converts in November,
    where 1 more is accepted. Another partner, paid per client, has one lead converted in November."""
    row, key = partner
    Partner.objects.filter(pk=row.pk).update(name="=HYPERLINK(\"http://evil\")", price_per_lead=Decimal("150"))
    people = [("Иван Петров", "+79123456781"), ("Анна Смирнова", "+79123456782"), ("Олег Сидоров", "+79123456783")]
    for name, phone in people:
        submit(key, {"name": name, "phone": phone})
    submit(key, {"name": "Иван Петров", "phone": "8 912 345-67-81"})  # duplicate
    submit(key, {"name": "Пётр", "phone": "not a phone"})  # invalid
    submit(key, {"name": "Аноним", "email": "info@example.ru"})  # interest: invalid for the partner
    Submission.objects.update(received_at=at("2026-10-15"))
    submit(key, {"name": "Мария Кузнецова", "phone": "+79123456784"})
    Submission.objects.filter(payload__phone="+79123456784").update(received_at=at("2026-11-02"))
    converted = Lead.objects.get(phone="+79123456782")
    services.convert_lead(lead=converted, by=head)
    Lead.objects.filter(pk=converted.pk).update(converted_at=at("2026-11-03"))

    per_client = Partner.objects.create(name="Dealer", payout_model=PayoutModel.PER_CLIENT,
                                        price_per_lead=Decimal("999"), price_per_client=Decimal("1000.50"))
    dealer_key = per_client.issue_key()
    submit(dealer_key, {"name": "Юлия Белова", "phone": "+79123456785"})
    Submission.objects.filter(partner=per_client).update(received_at=at("2026-10-31", 23))  # still October in Moscow
    lead = Lead.objects.get(phone="+79123456785")
    services.convert_lead(lead=lead, by=head)
    Lead.objects.filter(pk=lead.pk).update(converted_at=at("2026-11-01", 0))
    return row, key, per_client


def rows_of(response) -> list[list[str]]:
    """The CSV's rows in the dialect it was written in: `;` after a BOM (a Russian spreadsheet's), else `,`."""
    body = response.content.decode()
    russian = body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";" if russian else ","))


def test_head_downloads_the_monthly_report_as_csv_with_formulas_neutralised(client, head, history):
    client.force_login(head)
    response = client.get("/partners/", {"start": "2026-10-01", "end": "2026-11-30", "period": "month",
                                         "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert not response.content.startswith("\ufeff".encode())  # an English spreadsheet's file: `,`, 450.00
    assert rows_of(response) == [
        ["Period", "Partner", "Submitted", "Accepted", "Duplicates", "Of them found after acceptance", "Invalid",
         "Converted", "Amount due", "Of it, adjustments to paid periods", "Paid"],
        ["2026-10-01", "'=HYPERLINK(\"http://evil\")", "6", "3", "1", "0", "2", "0", "450.00", "0.00", ""],
        ["2026-10-01", "Dealer", "1", "1", "0", "0", "0", "0", "0.00", "0.00", ""],
        ["2026-11-01", "'=HYPERLINK(\"http://evil\")", "1", "1", "0", "0", "0", "1", "150.00", "0.00", ""],
        ["2026-11-01", "Dealer", "0", "0", "0", "0", "0", "1", "1000.50", "0.00", ""],
        ["", "Total", "8", "5", "1", "0", "2", "2", "1600.50", "0.00", ""],
    ]


def test_one_partner_per_day(client, head, history):
    row, _, _ = history
    client.force_login(head)
    response = client.get("/partners/", {"partner": row.pk, "start": "2026-10-15", "end": "2026-11-02",
                                         "period": "day", "format": "csv"})
    assert [r[0] for r in rows_of(response)[1:]] == ["2026-10-15", "2026-11-02", ""]


def test_the_page_shows_the_figures_escaped(client, head, history, django_assert_max_num_queries):
    client.force_login(head)
    with django_assert_max_num_queries(13):  # one for the list of duplicates found after acceptance
        response = client.get("/partners/", {"start": "2026-10-01", "end": "2026-11-30"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "=HYPERLINK(&quot;http://evil&quot;)" in page and "1,600.50" in page


def test_a_bad_period_names_the_field(client, head, history):
    client.force_login(head)
    response = client.get("/partners/", {"start": "2026-11-30", "end": "2026-10-01", "period": "year"})
    assert response.status_code == 400
    assert "The end is before the start." in response.content.decode()
    assert "Select a valid choice" in response.content.decode()
    per_day = client.get("/partners/", {"start": "2026-01-01", "end": "2026-06-30", "period": "day"})
    assert per_day.status_code == 400
    assert "Per day, at most 93 days at a time" in per_day.content.decode()


def test_managers_do_not_see_the_report(client, alice, history):
    client.force_login(alice)
    assert client.get("/partners/").status_code == 403


def test_a_partner_reads_its_own_figures_with_its_key(history):
    _, key, _ = history
    response = HttpClient().get("/api/partner/report", {"start": "2026-10-01", "end": "2026-11-30"},
                                headers={"X-Api-Key": key})
    assert response.status_code == 200
    body = response.json()
    assert [(r["period"], r["submitted"], r["accepted"], r["duplicates"], r["invalid"], r["converted"],
             Decimal(r["amount_due"])) for r in body["rows"]] == [
        ("2026-10-01", 6, 3, 1, 2, 0, Decimal("450")), ("2026-11-01", 1, 1, 0, 0, 1, Decimal("150"))]
    assert body["totals"]["submitted"] == 7 and body["payout_model"] == "lead"


def test_the_partner_api_needs_a_key_and_checks_its_parameters(history):
    assert HttpClient().get("/api/partner/report").status_code == 401
    _, key, _ = history
    response = HttpClient().get("/api/partner/report", {"period": "decade"}, headers={"X-Api-Key": key})
    assert response.status_code == 422 and list(response.json()["error"]["fields"]) == ["period"]


def test_a_partner_lists_its_own_submissions_with_their_statuses(history, head):
    row, key, _ = history
    submit(key, {"name": "Ольга Орлова", "phone": "+79123456786", "click_id": "c-9"})
    response = HttpClient().get("/api/partner/submissions", headers={"X-Api-Key": key})
    listed = response.json()
    assert response.status_code == 200 and len(listed) == 8
    assert all(Submission.objects.get(pk=s["submission_id"]).partner_id == row.pk for s in listed)
    assert sorted((s["decision"], s["lead_status"]) for s in listed) == sorted([
        ("accepted", "accepted"), ("accepted", "accepted"), ("accepted", "converted"), ("accepted", "accepted"),
        ("accepted", "accepted"), ("duplicate", None), ("invalid", None), ("invalid", None)])
    one = HttpClient().get("/api/partner/submissions", {"click_id": "c-9"}, headers={"X-Api-Key": key}).json()
    assert [(s["click_id"], s["decision"]) for s in one] == [("c-9", "accepted")]


@pytest.mark.parametrize("since", ["0", "1700000000", "0.5", "-1"])
def test_a_number_is_not_a_date_since_which_to_list(history, since):
    """pydantic would read a number as a Unix time (`since=0`: 1970, so every submission); the document promises a
    date and time, so a number is refused, naming `since`."""
    _, key, _ = history
    response = HttpClient().get("/api/partner/submissions", {"since": since}, headers={"X-Api-Key": key})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"since": ["Must be a date (and time) in ISO 8601, not a number."]}
    listed = HttpClient().get("/api/partner/submissions", {"since": "2026-11-01"}, headers={"X-Api-Key": key})
    assert listed.status_code == 200 and len(listed.json()) == 1


def test_without_a_query_the_form_shows_the_last_three_months_per_month(client, head, history):
    from leadflow.partners.forms import default_range

    client.force_login(head)
    response = client.get("/partners/")
    form = response.context["form"]
    from django.utils import timezone

    from leadflow.accounts.middleware import zone_name_of

    with timezone.override(ZoneInfo(zone_name_of(head))):  # "today" is the head's, as the page reads it
        start, end = default_range()
    assert (form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["period"]) == (
        start, end, "month")
    assert start.day == 1 and (end.year * 12 + end.month) - (start.year * 12 + start.month) == 2
    assert f'value="{start.isoformat()}"' in response.content.decode()


def test_a_change_of_prices_does_not_rewrite_what_was_earned(partner, head):
    """Leads accepted at 150 stay at 150 when the price becomes 200; a conversion earns the per-client price in
    force when the lead converted, and the postback said the same amount."""
    from leadflow.events.services import deliver_pending
    from leadflow.partners.models import Postback

    row, key = partner
    Partner.objects.filter(pk=row.pk).update(price_per_lead=Decimal("150"))
    submit(key, {"name": "Иван Петров", "phone": "+79123456781"})
    row.refresh_from_db()
    row.price_per_lead = Decimal("200")
    row.save()  # through the admin's path: the key's memo forgets the old terms
    submit(key, {"name": "Анна Смирнова", "phone": "+79123456782"})
    Submission.objects.update(received_at=at("2026-10-15"))

    dealer = Partner.objects.create(name="Dealer", payout_model=PayoutModel.PER_CLIENT,
                                    price_per_client=Decimal("1000"), postback_url="http://127.0.0.1:9/pb?p={payout}",
                                    postback_statuses=["converted"])
    submit(dealer.issue_key(), {"name": "Юлия Белова", "phone": "+79123456785"})
    Submission.objects.filter(partner=dealer).update(received_at=at("2026-10-20"))
    lead = Lead.objects.get(phone="+79123456785")
    services.convert_lead(lead=lead, by=head)
    Lead.objects.filter(pk=lead.pk).update(converted_at=at("2026-10-21"))
    deliver_pending()  # the worker prices the conversion (and queues the postback) at today's 1000
    Partner.objects.filter(pk=dealer.pk).update(price_per_client=Decimal("5000"), price_per_lead=Decimal("1"))

    from leadflow.partners.report import partner_report

    report = partner_report(partners=Partner.objects.all(), start=datetime(2026, 10, 1).date(),
                            end=datetime(2026, 10, 31).date(), period="month", zone=MSK)
    assert {(r.partner, r.accepted, r.converted, r.amount_due) for r in report.rows} == {
        ("CPA Network", 2, 0, Decimal("350.00")), ("Dealer", 1, 1, Decimal("1000.00"))}
    assert Postback.objects.get(partner=dealer).payout == Decimal("1000.00")


def test_the_russian_report_heads_its_count_columns_in_the_plural(client, head, history):
    """The columns read "Принят", "Некорректная", "Конвертирован": a single lead's or submission's status words
    heading counts of them ("Дубли" next to them was plural)."""
    client.force_login(head)
    russian = {"Accept-Language": "ru"}
    query = {"start": "2026-10-01", "end": "2026-11-30"}
    page = client.get("/partners/", query, headers=russian).content.decode()
    assert "<th>Приняты</th>" in page and "<th>Некорректные</th>" in page and "<th>Конвертированы</th>" in page
    header = rows_of(client.get("/partners/", {**query, "format": "csv"}, headers=russian))[0]
    assert header[3:8] == ["Приняты", "Дубли", "Из них найдены после приёма", "Некорректные", "Конвертированы"]


def test_a_russian_reader_gets_the_report_their_spreadsheet_splits_with_amounts_as_numbers(client, head, history):
    """Russian Excel splits on `;`, reads 1000,50 as a number and needs a BOM to read UTF-8; the `,` file with
    1000.50 opened there as one column, as the analytics CSV once did."""
    client.force_login(head)
    response = client.get("/partners/", {"start": "2026-10-01", "end": "2026-11-30", "format": "csv"},
                          headers={"Accept-Language": "ru"})

    assert response.content.startswith("\ufeff".encode())
    rows = rows_of(response)
    assert rows[1] == ["2026-10-01", "'=HYPERLINK(\"http://evil\")", "6", "3", "1", "0", "2", "0", "450,00", "0,00", ""]
    assert rows[-1] == ["", "Итого", "8", "5", "1", "0", "2", "2", "1600,50", "0,00", ""]
