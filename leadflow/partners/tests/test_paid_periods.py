"""A partner's period marked paid keeps the figures paid; what changes later is an adjustment in the next open period,
the same on the page, in the CSV and in the partner's own report (DOMAIN.md 22)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient

from leadflow.intake.models import Partner, PayoutModel, Submission
from leadflow.leads import services
from leadflow.leads.merging import merge_leads, undo_merge
from leadflow.leads.models import Lead
from leadflow.partners.models import PaidItem, PaidPeriod
from leadflow.partners.report import partner_report
from leadflow.partners.tests.conftest import submit

pytestmark = pytest.mark.django_db
MOSCOW = ZoneInfo("Europe/Moscow")


def moment(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=MOSCOW)


def figures(partner: Partner, start: str, end: str):
    return partner_report(partners=Partner.objects.filter(pk=partner.pk), start=date.fromisoformat(start),
                          end=date.fromisoformat(end), period="month", zone=MOSCOW)


def mark_paid(client, partner: Partner, start: str, end: str, amount: str | None = None):
    """What the admin does: open the confirmation (it shows the amount) and confirm that amount."""
    query = {"partner": partner.pk, "start": start, "end": end}
    page = client.get("/partners/mark-paid/", query)
    assert page.status_code == 200, page.content.decode()
    shown = amount if amount is not None else str(page.context["amount"])
    return client.post("/partners/mark-paid/", {**query, "amount": shown})


@pytest.fixture
def october(partner, time_machine):
    """A CPA network paid 150 per lead: in October it sent one man twice (another phone: both accepted) and Анна."""
    row, key = partner
    Partner.objects.filter(pk=row.pk).update(price_per_lead=Decimal("150"))
    row.refresh_from_db()
    time_machine.move_to(moment("2026-10-20"), tick=False)
    first = submit(key, {"name": "Иван Петров", "phone": "+79161110001", "click_id": "c-1"}).json()
    second = submit(key, {"name": "Иван Петров", "phone": "+79161110002", "click_id": "c-2"}).json()
    anna = submit(key, {"name": "Анна Смирнова", "phone": "+79161110003", "click_id": "c-3"}).json()
    assert {first["decision"], second["decision"], anna["decision"]} == {"accepted"}
    time_machine.move_to(moment("2026-11-05"), tick=False)
    return row, key, first, second


def merge(first: dict, second: dict, by):
    return merge_leads(survivor=Lead.objects.get(pk=first["lead_id"]), others=[Lead.objects.get(pk=second["lead_id"])],
                       by=by)


def test_a_paid_month_keeps_its_figures_and_a_later_duplicate_is_taken_back_in_the_next(
        october, admin_user, head, time_machine):
    row, key, first, second = october
    client = HttpClient()
    client.force_login(admin_user)
    response = mark_paid(client, row, "2026-10-01", "2026-10-31")
    assert response.status_code == 302
    (paid,) = PaidPeriod.objects.all()
    assert (paid.partner_id, paid.start, paid.end, paid.amount, paid.closed_by_id) == (
        row.pk, date(2026, 10, 1), date(2026, 10, 31), Decimal("450.00"), admin_user.pk)
    assert paid.closed_at == moment("2026-11-05")

    time_machine.move_to(moment("2026-11-10"), tick=False)
    merge(first, second, head)

    report = figures(row, "2026-10-01", "2026-11-30")
    oct_row, nov_row = report.rows
    # October stays as paid: three accepted, 450, whatever was found since.
    assert (oct_row.accepted, oct_row.found_later, oct_row.amount_due, oct_row.paid) == (3, 0, Decimal("450.00"), True)
    # November takes back the 150 paid for the man's second card, and says which and why.
    assert (nov_row.accepted, nov_row.amount_due, nov_row.adjustments, nov_row.paid) == (
        0, Decimal("-150.00"), Decimal("-150.00"), False)
    assert [(a.submission_id, a.earning, a.reason, a.amount, a.paid_in) for a in report.adjustments] == [
        (second["submission_id"], "lead", "duplicate_found_later", Decimal("-150.00"), None)]
    assert report.totals.amount_due == Decimal("300.00")

    # The page, the CSV and the partner's own report say the same.
    page = client.get("/partners/", {"start": "2026-10-01", "end": "2026-11-30"}).content.decode()
    assert 'data-testid="adjustments"' in page and "Found to be a duplicate after the period was paid" in page
    assert f"#{second['submission_id']}" in page and "-150.00" in page
    lines = list(csv.reader(io.StringIO(client.get("/partners/", {"start": "2026-10-01", "end": "2026-11-30",
                                                                  "format": "csv"}).content.decode())))
    assert lines[1][8:] == ["450.00", "0.00", "paid"]
    assert lines[2][8:] == ["-150.00", "-150.00", ""]
    assert lines[3][8] == "300.00"
    assert lines[-1] == [row.name, str(second["submission_id"]), str(first["lead_id"]), "c-2", "Accepted lead",
                         "Found to be a duplicate after the period was paid: not paid, taken back.", "-150.00", ""]
    own = HttpClient().get("/api/partner/report", {"start": "2026-10-01", "end": "2026-11-30"},
                           headers={"X-Api-Key": key}).json()
    assert [(r["period"], Decimal(r["amount_due"]), Decimal(r["adjustments"]), r["paid"]) for r in own["rows"]] == [
        ("2026-10-01", Decimal("450"), Decimal("0"), True), ("2026-11-01", Decimal("-150"), Decimal("-150"), False)]
    assert [(a["submission_id"], a["click_id"], a["reason"], Decimal(a["amount"]), a["paid_in_period_start"])
            for a in own["adjustments"]] == [(second["submission_id"], "c-2", "duplicate_found_later",
                                              Decimal("-150"), None)]
    assert [(p["start"], Decimal(p["amount"])) for p in own["paid_periods"]] == [("2026-10-01", Decimal("450"))]

    # November paid (the 150 taken back with it): the adjustment is settled, nothing is pending any more.
    time_machine.move_to(moment("2026-12-02"), tick=False)
    client.force_login(admin_user)  # a new session a month later
    assert mark_paid(client, row, "2026-11-01", "2026-11-30").status_code == 302
    november = PaidPeriod.objects.get(start=date(2026, 11, 1))
    assert november.amount == Decimal("-150.00")
    report = figures(row, "2026-10-01", "2026-12-31")
    assert [(r.period, r.amount_due, r.paid) for r in report.rows] == [
        (date(2026, 10, 1), Decimal("450.00"), True), (date(2026, 11, 1), Decimal("-150.00"), True)]
    assert [(a.reason, a.amount, a.paid_in) for a in report.adjustments] == [
        ("duplicate_found_later", Decimal("-150.00"), november)]


def test_a_merge_undone_after_payment_is_paid_again_in_the_next_open_period(october, admin_user, head,
                                                                            time_machine):
    row, _, first, second = october
    time_machine.move_to(moment("2026-10-25"), tick=False)
    merged = merge(first, second, head)
    time_machine.move_to(moment("2026-11-05"), tick=False)
    client = HttpClient()
    client.force_login(admin_user)
    assert mark_paid(client, row, "2026-10-01", "2026-10-31").status_code == 302
    assert PaidPeriod.objects.get().amount == Decimal("300.00")
    undo_merge(merge=merged, by=head)

    report = figures(row, "2026-10-01", "2026-11-30")
    assert [(r.period, r.accepted, r.found_later, r.amount_due) for r in report.rows] == [
        (date(2026, 10, 1), 2, 1, Decimal("300.00")), (date(2026, 11, 1), 0, 0, Decimal("150.00"))]
    assert [(a.submission_id, a.reason, a.amount) for a in report.adjustments] == [
        (second["submission_id"], "accepted_after_payment", Decimal("150.00"))]


def test_a_conversion_moved_out_of_a_paid_month_is_not_paid_twice(partner, admin_user, head, time_machine):
    row, key = partner
    Partner.objects.filter(pk=row.pk).update(payout_model=PayoutModel.PER_CLIENT, price_per_client=Decimal("1000"))
    time_machine.move_to(moment("2026-10-10"), tick=False)
    sent = submit(key, {"name": "Юлия Белова", "phone": "+79161110009"}).json()
    services.convert_lead(lead=Lead.objects.get(pk=sent["lead_id"]), by=head)
    time_machine.move_to(moment("2026-11-02"), tick=False)
    client = HttpClient()
    client.force_login(admin_user)
    assert mark_paid(client, row, "2026-10-01", "2026-10-31").status_code == 302
    assert PaidPeriod.objects.get().amount == Decimal("1000.00")
    # The conversion's date is corrected to November: November counts it, and takes back what October paid.
    Lead.objects.filter(pk=sent["lead_id"]).update(converted_at=moment("2026-11-01"))

    report = figures(row, "2026-10-01", "2026-11-30")
    assert [(r.period, r.converted, r.amount_due, r.adjustments) for r in report.rows] == [
        (date(2026, 10, 1), 1, Decimal("1000.00"), Decimal("0.00")),
        (date(2026, 11, 1), 1, Decimal("0.00"), Decimal("-1000.00"))]
    assert [(a.earning, a.reason, a.amount) for a in report.adjustments] == [
        ("client", "conversion_undone", Decimal("-1000.00"))]


def test_figures_changed_since_the_page_was_shown_are_not_marked_paid(october, admin_user, head):
    row, _, first, second = october
    client = HttpClient()
    client.force_login(admin_user)
    query = {"partner": row.pk, "start": "2026-10-01", "end": "2026-10-31"}
    assert client.get("/partners/mark-paid/", query).context["amount"] == Decimal("450.00")
    merge(first, second, head)  # meanwhile someone merges: 300 is due now
    response = client.post("/partners/mark-paid/", {**query, "amount": "450.00"})
    assert response.status_code == 400
    assert "The figures changed since the page was shown: 300.00 is due now." in response.content.decode()
    assert not PaidPeriod.objects.exists() and not PaidItem.objects.exists()


def test_only_the_administrator_marks_a_period_paid(october, head, client):
    row = october[0]
    client.force_login(head)
    query = {"partner": row.pk, "start": "2026-10-01", "end": "2026-10-31"}
    assert client.get("/partners/mark-paid/", query).status_code == 403
    assert client.post("/partners/mark-paid/", {**query, "amount": "450.00"}).status_code == 403
    assert not PaidPeriod.objects.exists()
    # The head sees the figures, without the button.
    page = client.get("/partners/", {"start": "2026-10-01", "end": "2026-10-31"}).content.decode()
    assert "450.00" in page and 'data-testid="mark-paid"' not in page


def test_periods_are_paid_in_order_and_only_when_over(october, admin_user, client):
    row = october[0]
    client.force_login(admin_user)
    page = client.get("/partners/", {"start": "2026-10-01", "end": "2026-11-30"}).content.decode()
    assert page.count('data-testid="mark-paid"') == 1  # October; November is not over
    not_over = client.get("/partners/mark-paid/", {"partner": row.pk, "start": "2026-11-01", "end": "2026-11-30"})
    assert "Only a period that is over can be marked paid" in not_over.content.decode()
    refused = client.post("/partners/mark-paid/", {"partner": row.pk, "start": "2026-11-01", "end": "2026-11-30",
                                                   "amount": "0"})
    assert refused.status_code == 400 and not PaidPeriod.objects.exists()
    assert mark_paid(client, row, "2026-10-01", "2026-10-15").status_code == 302
    gap = client.post("/partners/mark-paid/", {"partner": row.pk, "start": "2026-10-20", "end": "2026-10-31",
                                               "amount": "450.00"})
    assert gap.status_code == 400
    assert "Paid up to 2026-10-15: the next paid period starts on 2026-10-16." in gap.content.decode()
    assert PaidPeriod.objects.count() == 1
    bad = client.post("/partners/mark-paid/", {"partner": row.pk, "start": "soon", "end": "2026-10-31"})
    assert bad.status_code == 400 and "Enter a valid date." in bad.content.decode()


def test_a_paid_partner_cannot_be_deleted(october, admin_user, client):
    row = october[0]
    client.force_login(admin_user)
    assert mark_paid(client, row, "2026-10-01", "2026-10-31").status_code == 302
    response = client.post(f"/admin/intake/partner/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200
    assert Partner.objects.filter(pk=row.pk).exists() and Submission.objects.filter(partner=row).count() == 3


def test_the_latest_paid_period_marked_by_mistake_is_reopened_by_the_administrator(october, admin_user, head,
                                                                                   time_machine):
    """Marked paid by mistake (a wrong month, money not sent): without a way back its figures stayed frozen."""
    row, _key, first, second = october
    admin = HttpClient()
    admin.force_login(admin_user)
    assert mark_paid(admin, row, "2026-10-01", "2026-10-15").status_code == 302
    assert mark_paid(admin, row, "2026-10-16", "2026-10-31").status_code == 302
    early, late = PaidPeriod.objects.order_by("start")

    # Not the earlier one (the later was paid on top of it), and never by the head of sales.
    assert admin.post(f"/admin/partners/paidperiod/{early.pk}/delete/", {"post": "yes"}).status_code == 403
    as_head = HttpClient()
    as_head.force_login(head)
    assert as_head.post(f"/admin/partners/paidperiod/{late.pk}/delete/", {"post": "yes"}).status_code in (302, 403)
    assert PaidPeriod.objects.count() == 2

    time_machine.move_to(moment("2026-11-10"), tick=False)
    merge(first, second, head)  # found since: the reopened dates count the duplicate as it is now
    assert admin.post(f"/admin/partners/paidperiod/{late.pk}/delete/", {"post": "yes"}).status_code == 302
    assert list(PaidPeriod.objects.all()) == [early]
    assert not PaidItem.objects.filter(period_id=late.pk).exists()
    october_now = figures(row, "2026-10-01", "2026-10-31").rows[0]
    assert (october_now.amount_due, october_now.paid) == (Decimal("300.00"), False)
    from django.contrib.admin.models import DELETION, LogEntry
    assert LogEntry.objects.filter(action_flag=DELETION, user=admin_user, object_id=str(late.pk)).exists()
    # And it can be marked paid again, now with the figure owed.
    assert mark_paid(admin, row, "2026-10-16", "2026-10-31").status_code == 302


def test_a_price_with_kopecks_taken_back_and_paid_again_leaves_nothing_pending(october, admin_user, head,
                                                                              time_machine):
    """333.33 paid, taken back, paid again: on SQLite the database sums such amounts as floating point, and a
    difference of a billionth of a kopeck must not show as an adjustment the partner and the company disagree on."""
    row, _key, first, second = october
    Partner.objects.filter(pk=row.pk).update(price_per_lead=Decimal("333.33"))
    Submission.objects.filter(partner=row).update(payout_lead=Decimal("333.33"))
    admin = HttpClient()
    admin.force_login(admin_user)
    assert mark_paid(admin, row, "2026-10-01", "2026-10-31").status_code == 302
    merged = merge(first, second, head)
    time_machine.move_to(moment("2026-12-02"), tick=False)
    admin.force_login(admin_user)
    assert mark_paid(admin, row, "2026-11-01", "2026-11-30").status_code == 302
    undo_merge(merge=merged, by=head)
    time_machine.move_to(moment("2027-01-05"), tick=False)
    admin.force_login(admin_user)
    assert mark_paid(admin, row, "2026-12-01", "2026-12-31").status_code == 302
    assert [p.amount for p in PaidPeriod.objects.order_by("start")] == [
        Decimal("999.99"), Decimal("-333.33"), Decimal("333.33")]

    report = figures(row, "2026-10-01", "2027-01-31")
    assert [(r.period, r.amount_due, r.adjustments) for r in report.rows] == [
        (date(2026, 10, 1), Decimal("999.99"), Decimal("0.00")),
        (date(2026, 11, 1), Decimal("-333.33"), Decimal("-333.33")),
        (date(2026, 12, 1), Decimal("333.33"), Decimal("333.33"))]
    assert [(a.reason, a.amount, a.paid_in.start) for a in report.adjustments] == [
        ("duplicate_found_later", Decimal("-333.33"), date(2026, 11, 1)),
        ("accepted_after_payment", Decimal("333.33"), date(2026, 12, 1))]
    assert report.totals.amount_due == Decimal("999.99")
