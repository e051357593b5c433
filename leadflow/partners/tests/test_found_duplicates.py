"""A partner's accepted lead that a later merge finds to be a person who was a lead already: not paid, its place under
the daily cap given back, shown as a duplicate (when and why) to the partner and the marketer (DOMAIN.md 22)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from leadflow.intake.models import Partner, Submission
from leadflow.leads import services
from leadflow.leads.dedupe import scan
from leadflow.leads.merging import merge_leads, undo_merge
from leadflow.leads.models import Lead
from leadflow.matching.compare import UPPER_DEFAULT
from leadflow.partners.models import Postback
from leadflow.partners.postbacks import send_due_postbacks
from leadflow.partners.report import partner_report
from leadflow.partners.tests.conftest import submit
from leadflow.worker import deliver_events

pytestmark = pytest.mark.django_db
MOSCOW = ZoneInfo("Europe/Moscow")


def report_row(partner: Partner):
    today = timezone.now().astimezone(MOSCOW).date()
    report = partner_report(partners=Partner.objects.filter(pk=partner.pk), start=date(today.year, today.month, 1),
                            end=today, period="month", zone=MOSCOW)
    (row,) = report.rows
    return row, report


def own_submissions(key: str) -> dict[int, dict]:
    listed = HttpClient().get("/api/partner/submissions", headers={"X-Api-Key": key}).json()
    return {s["submission_id"]: s for s in listed}


@pytest.fixture
def paid_partner(partner, postback_server):
    """A CPA network paid 150 per lead, told of each accepted lead by a postback."""
    row, key = partner
    Partner.objects.filter(pk=row.pk).update(
        price_per_lead=Decimal("150"), postback_url=postback_server.base + "/pb?cid={click_id}&s={status}&p={payout}",
        postback_statuses=["accepted"])
    row.refresh_from_db()
    return row, key


def test_a_duplicate_merged_after_acceptance_is_not_paid_and_the_partner_sees_why(paid_partner, head,
                                                                                  postback_server):
    row, key = paid_partner
    # The same man twice, with another phone the second time: both accepted (the second a possible duplicate).
    first = submit(key, {"name": "Иван Петров", "phone": "+79161110001", "click_id": "c-1"}).json()
    second = submit(key, {"name": "Иван Петров", "phone": "+79161110002", "click_id": "c-2"}).json()
    assert (first["decision"], second["decision"]) == ("accepted", "accepted")
    deliver_events()
    send_due_postbacks()
    assert row.postbacks.filter(status="accepted").count() == 2
    assert report_row(row)[0].amount_due == Decimal("300.00")

    merge_leads(survivor=Lead.objects.get(pk=first["lead_id"]), others=[Lead.objects.get(pk=second["lead_id"])],
                by=head)

    # The report: one accepted lead and one duplicate found after acceptance, 150 due, and the list says which.
    row_now, report = report_row(row)
    assert (row_now.submitted, row_now.accepted, row_now.duplicates, row_now.found_later, row_now.amount_due) == (
        2, 1, 1, 1, Decimal("150.00"))
    assert [(s.pk, s.duplicate_of_id, s.duplicate_found_by_id) for s in report.found] == [
        (second["submission_id"], first["submission_id"], head.pk)]
    # The partner's status list and the submission's own status say duplicate, when, and that it was its own.
    mine = own_submissions(key)
    assert mine[second["submission_id"]]["decision"] == "duplicate"
    assert mine[second["submission_id"]]["duplicate_reason"] == "own_earlier_submission"
    assert mine[second["submission_id"]]["duplicate_of_submission_id"] == first["submission_id"]
    assert mine[second["submission_id"]]["duplicate_found_at"] is not None
    assert mine[first["submission_id"]]["decision"] == "accepted"
    assert mine[first["submission_id"]]["duplicate_reason"] is None
    status = HttpClient().get(f"/api/submissions/{second['submission_id']}", headers={"X-Api-Key": key}).json()
    assert status["decision"] == "duplicate" and status["duplicate_found_at"] is not None
    # The network was told "accepted, 150": it is told "duplicate, 0" for that click, once.
    deliver_events()
    send_due_postbacks()
    reversal = [parse_qs(urlsplit(path).query) for path in postback_server.paths if "s=duplicate" in path]
    assert reversal == [{"cid": ["c-2"], "s": ["duplicate"], "p": ["0.00"]}]
    # The surviving card's later statuses are the first submission's alone.
    services.convert_lead(lead=Lead.objects.get(pk=first["lead_id"]), by=head)
    deliver_events()
    assert Postback.objects.filter(submission_id=second["submission_id"]).count() == 2  # accepted, duplicate


def test_the_cap_gives_the_place_of_a_duplicate_found_later_back(paid_partner, head):
    row, key = paid_partner
    Partner.objects.filter(pk=row.pk).update(daily_cap=2)
    first = submit(key, {"name": "Иван Петров", "phone": "+79161110001"}).json()
    second = submit(key, {"name": "Иван Петров", "phone": "+79161110002"}).json()
    assert submit(key, {"name": "Анна Смирнова", "phone": "+79161110003"}).status_code == 422  # the cap

    merge_leads(survivor=Lead.objects.get(pk=first["lead_id"]), others=[Lead.objects.get(pk=second["lead_id"])],
                by=head)

    # Two accepted that day, one a duplicate: one paid lead, one place left.
    assert submit(key, {"name": "Анна Смирнова", "phone": "+79161110003"}).status_code == 201
    assert submit(key, {"name": "Олег Сидоров", "phone": "+79161110004"}).status_code == 422
    assert report_row(row)[0].accepted == 2


def test_a_partner_lead_of_a_person_who_came_through_the_website_first_is_not_paid(paid_partner, head, web_form):
    row, key = paid_partner
    body = {"name": "Иван Петров", "phone": "+79161110001", "consents": {"processing": True}}
    assert HttpClient().post("/api/submissions", data=json.dumps(body), content_type="application/json",
                             headers={"X-Form-Key": web_form.public_key}).status_code == 200
    website = Lead.objects.get()
    sent = submit(key, {"name": "Иван Петров", "phone": "+79161110002"}).json()
    # Whichever card the head keeps, the person is the website's first.
    merge_leads(survivor=Lead.objects.get(pk=sent["lead_id"]), others=[website], by=head)

    row_now, _ = report_row(row)
    assert (row_now.accepted, row_now.found_later, row_now.amount_due) == (0, 1, Decimal("0.00"))
    mine = own_submissions(key)[sent["submission_id"]]
    # The partner learns the person was a lead already, not where from.
    assert (mine["decision"], mine["duplicate_reason"], mine["duplicate_of_submission_id"]) == (
        "duplicate", "already_a_lead", None)
    client = HttpClient()
    client.force_login(head)
    page = client.get("/partners/").content.decode()
    assert "Duplicates found after acceptance" in page and "An earlier lead from another source" in page


def test_a_partner_lead_that_came_first_stays_paid_whatever_merges_into_it(paid_partner, head, web_form):
    row, key = paid_partner
    sent = submit(key, {"name": "Иван Петров", "phone": "+79161110002"}).json()
    body = {"name": "Иван Петров", "phone": "+79161110001", "consents": {"processing": True}}
    HttpClient().post("/api/submissions", data=json.dumps(body), content_type="application/json",
                      headers={"X-Form-Key": web_form.public_key})
    website = Lead.objects.get(phone="+79161110001")
    merge_leads(survivor=website, others=[Lead.objects.get(pk=sent["lead_id"])], by=head)
    row_now, report = report_row(row)
    assert (row_now.accepted, row_now.found_later, row_now.amount_due, report.found) == (
        1, 0, Decimal("150.00"), [])
    assert own_submissions(key)[sent["submission_id"]]["decision"] == "accepted"


def test_undoing_the_merge_makes_it_an_accepted_lead_again(paid_partner, head):
    row, key = paid_partner
    first = submit(key, {"name": "Иван Петров", "phone": "+79161110001"}).json()
    second = submit(key, {"name": "Иван Петров", "phone": "+79161110002"}).json()
    deliver_events()  # the network is told "accepted" (queued; its server is not asked in this test)
    merge = merge_leads(survivor=Lead.objects.get(pk=first["lead_id"]),
                        others=[Lead.objects.get(pk=second["lead_id"])], by=head)
    assert Postback.objects.filter(status="duplicate", state="pending").count() == 1

    undo_merge(merge=merge, by=head)

    row_now, report = report_row(row)
    assert (row_now.accepted, row_now.found_later, row_now.amount_due, report.found) == (
        2, 0, Decimal("300.00"), [])
    assert own_submissions(key)[second["submission_id"]]["decision"] == "accepted"
    assert not Postback.objects.filter(status="duplicate").exists()  # not sent yet: dropped
    assert Submission.objects.get(pk=second["submission_id"]).duplicate_found_at is None


def test_the_batch_de_duplication_finds_a_partner_lead_of_a_person_in_an_old_base(paid_partner, admin_user, sales):
    row, key = paid_partner
    sent = submit(key, {"name": "Юлия Смирнова", "phone": "+79161234567"}).json()
    # The old CRM's base is imported afterwards, with its own dates: she was a lead there a year ago.
    old = services.create_lead(
        person=services.PersonFacts(first_name="Yulia", last_name="Smirnova", full_name="Smirnova Yulia",
                                    phone="+79161234567"), touch=services.Touch(channel="import"), team=sales)
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=365))

    report = scan(threshold=UPPER_DEFAULT, merge_as=admin_user)

    assert report.merged == 1 and Lead.objects.get(pk=sent["lead_id"]).state == "merged"
    row_now, found = report_row(row)
    assert (row_now.accepted, row_now.found_later, row_now.amount_due) == (0, 1, Decimal("0.00"))
    assert [(s.pk, s.duplicate_found_by_id) for s in found.found] == [(sent["submission_id"], admin_user.pk)]
    assert own_submissions(key)[sent["submission_id"]]["duplicate_reason"] == "already_a_lead"


def test_a_months_figures_changed_by_a_later_merge_say_which_when_and_why(paid_partner, head, time_machine):
    # Two cards of one man accepted in October (300 due then); the head merges them on 10 November.
    from datetime import datetime

    row, key = paid_partner
    time_machine.move_to(datetime(2026, 10, 20, 12, 0, tzinfo=MOSCOW), tick=False)
    first = submit(key, {"name": "Иван Петров", "phone": "+79161110001"}).json()
    second = submit(key, {"name": "Иван Петров", "phone": "+79161110002"}).json()
    time_machine.move_to(datetime(2026, 11, 10, 12, 0, tzinfo=MOSCOW), tick=False)
    merge_leads(survivor=Lead.objects.get(pk=first["lead_id"]), others=[Lead.objects.get(pk=second["lead_id"])],
                by=head)

    def months(start: date, end: date):
        return partner_report(partners=Partner.objects.filter(pk=row.pk), start=start, end=end, period="month",
                              zone=MOSCOW)

    october = months(date(2026, 10, 1), date(2026, 10, 31))
    (figures,) = october.rows
    assert (figures.accepted, figures.found_later, figures.amount_due) == (1, 1, Decimal("150.00"))
    # October's page lists the lead that left its figures, with the day it was found; November's, what it found.
    assert [(s.pk, s.duplicate_found_at.astimezone(MOSCOW).date()) for s in october.found] == [
        (second["submission_id"], date(2026, 11, 10))]
    november = months(date(2026, 11, 1), date(2026, 11, 30))
    assert november.rows == [] and [s.pk for s in november.found] == [second["submission_id"]]
