"""A second audit of the figures: merged cards, test entries and extra costs, in a small world built through the
intake pipeline and the lifecycle services; every expected figure is counted by hand in the test.

The world (Moscow team "Sales"; the web form "Contact us"; the partner "CPA Network", paid 100.00 per lead):

    Jan 10 10:00  Павел Орлов (web form)           a card (A)
    Jan 12 10:00  Павел Орлов, another phone,      a card of its own (B), sent by the partner
                  (partner)
    Jan 14 10:00  Ольга Сидорова (partner)          a card (C); claimed by alice, converted on the 25th
    Jan 15 11:00  "Test Test" (web form)            a test entry: an interest by the pipeline's word, counted nowhere
    Jan 15 12:00  Анна, only info@ (web form)       an interest (a role mailbox, no person's address)
    Jan 20 10:00  the head merges A into B          one person: B survives, keeping A's first touch (10 January,
                                                    the web form); claimed by bob, refused on the 21st

So January has two leads: Павел (the web form's) and Ольга (the partner's). The partner sent two people and one of
them was already a lead: one accepted lead, one duplicate, 100.00 due.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient

from leadflow.accounts.models import User
from leadflow.analytics import reports
from leadflow.analytics.filters import parse_filter
from leadflow.intake import pipeline
from leadflow.intake.models import PayoutModel, SubmissionStatus
from leadflow.leads import services
from leadflow.leads.merging import merge_leads
from leadflow.leads.models import Lead, LeadState, LostReason
from leadflow.marketing.models import CampaignSpend, ExtraCost
from leadflow.partners.report import partner_report

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=MOSCOW)
JANUARY = {"start": "2026-01-01", "end": "2026-01-31"}


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MOSCOW)


def run(key: str, user: User, **params: str):
    return reports.build(key, parse_filter(params, user, now=NOW), user)


@pytest.fixture
def world(time_machine, web_form, partner, sales, head, alice, bob):
    cpa, key = partner
    cpa.payout_model, cpa.price_per_lead = PayoutModel.PER_LEAD, Decimal("100")
    cpa.save()

    def submit(moment: str, via: str, **payload: str) -> pipeline.Outcome:
        time_machine.move_to(msk(moment), tick=False)
        source = {"form": web_form} if via == "form" else {"partner": cpa}
        return pipeline.receive(pipeline.Inbound(channel=via, payload=payload, received_at=msk(moment), **source))

    def at(moment: str) -> None:
        time_machine.move_to(msk(moment), tick=False)

    first = submit("2026-01-10 10:00", "form", name="Павел Орлов", phone="+79161110005")
    second = submit("2026-01-12 10:00", "partner", name="Павел Орлов", phone="+79161110006")
    olga = submit("2026-01-14 10:00", "partner", name="Ольга Сидорова", phone="+79161110004")
    test_entry = submit("2026-01-15 11:00", "form", name="Test Test", phone="+79161110002")
    mailbox = submit("2026-01-15 12:00", "form", name="Анна Смирнова", email="info@example.ru")
    at("2026-01-14 10:30")
    services.claim_lead(lead=olga.lead, by=alice)
    at("2026-01-20 10:00")
    merge_leads(survivor=second.lead, others=[first.lead], by=head)
    services.claim_lead(lead=Lead.objects.get(pk=second.lead.pk), by=bob)
    at("2026-01-21 10:00")
    services.refuse_lead(lead=Lead.objects.get(pk=second.lead.pk), reason=LostReason.objects.order_by("pk").first(),
                         by=bob)
    at("2026-01-25 10:00")
    services.convert_lead(lead=Lead.objects.get(pk=olga.lead.pk), by=alice)
    at("2026-03-01 12:00")
    return {"partner": cpa, "key": key, "form": web_form, "first": first, "second": second, "olga": olga,
            "test": test_entry, "mailbox": mailbox}


def test_the_world_is_what_the_scenario_says(world):
    assert [world[name].status for name in ("first", "second", "olga")] == [SubmissionStatus.CREATED] * 3
    assert (world["test"].status, world["mailbox"].status) == (SubmissionStatus.INTEREST, SubmissionStatus.INTEREST)
    pavel = Lead.objects.get(pk=world["second"].lead.pk)
    assert (pavel.state, pavel.created_at, pavel.channel) == (LeadState.REFUSED, msk("2026-01-10 10:00"), "form")
    assert Lead.objects.get(pk=world["first"].lead.pk).state == LeadState.MERGED


def leads_and_clients(user: User, **slice_by: str) -> dict[str, tuple]:
    """What every cohort report says about the leads of January under a slice."""
    funnel = {r["key"]: r["count"] for r in run("funnel", user, **JANUARY, **slice_by).table("steps").rows}
    (conversion,) = run("conversion", user, **JANUARY, **slice_by).table("total").rows or [{"leads": 0, "clients": 0}]
    (costs,) = run("costs", user, **JANUARY, **slice_by).table("total").rows
    managers = {r["manager"]: (r["new"], r["converted"])
                for r in run("managers", user, **JANUARY, **slice_by).table("leads").rows if r["new"]}
    refused = sum(r["count"] for r in run("refusals", user, **JANUARY, **slice_by).table("reasons").rows)
    (speed,) = run("speed", user, **JANUARY, **slice_by).table("team").rows or [{"leads": 0}]
    return {"funnel": (funnel["leads"], funnel["clients"]), "conversion": (conversion["leads"], conversion["clients"]),
            "costs": (costs["leads"], costs["clients"]), "managers": managers, "refused": refused,
            "speed": speed["leads"]}


def test_a_merged_person_counts_once_for_the_form_or_the_partner_that_brought_them_first(world, admin_user):
    # Unsliced: Павел (refused, bob's) and Ольга (converted, alice's).
    assert leads_and_clients(admin_user) == {
        "funnel": (2, 1), "conversion": (2, 1), "costs": (2, 1), "managers": {"Alice": (1, 1), "Bob": (1, 0)},
        "refused": 1, "speed": 2}
    # The partner's leads: Ольга only. Павел came to the web form first; the partner's card of him was merged into
    # his (before: the survivor held the partner's accepted submission too and counted for both).
    assert leads_and_clients(admin_user, partner=str(world["partner"].pk)) == {
        "funnel": (1, 1), "conversion": (1, 1), "costs": (1, 1), "managers": {"Alice": (1, 1)}, "refused": 0,
        "speed": 1}
    # The web form's: Павел only. The form's and the partner's leads add up to all leads.
    assert leads_and_clients(admin_user, form=str(world["form"].pk)) == {
        "funnel": (1, 0), "conversion": (1, 0), "costs": (1, 0), "managers": {"Bob": (1, 0)}, "refused": 1,
        "speed": 1}


def test_the_same_partner_figures_in_the_api_and_the_csv(world, admin_user, api_as):
    params = f"start=2026-01-01&end=2026-01-31&partner={world['partner'].pk}"
    body = api_as(admin_user).get(f"/api/analytics/conversion?{params}").json()
    (total,) = next(t for t in body["tables"] if t["key"] == "total")["rows"]
    assert (total["leads"], total["clients"]) == (1, 1)
    exported = api_as(admin_user).get(f"/api/analytics/funnel/export?format=csv&table=steps&{params}")
    steps = {line[0]: line[1] for line in csv.reader(io.StringIO(exported.content.decode()))}
    assert (steps["Leads"], steps["New clients"]) == ("1", "1")


def test_the_partner_is_paid_once_for_a_person_already_a_lead(world, head):
    # The partner sent 2 people in January: Ольга (accepted, 100.00) and Павел, who had come through the web form two
    # days before: a duplicate once his cards are merged, as he would have been had his phone matched on arrival.
    # Before: 2 accepted and 200.00 due for the one new lead. Ольга converted: 1 conversion (per-lead terms: 0.00).
    expected = (2, 1, 1, 0, 1, Decimal("100.00"))
    report = partner_report(partners=type(world["partner"]).objects.all(), start=date(2026, 1, 1),
                            end=date(2026, 1, 31), period="month", zone=MOSCOW)
    (row,) = report.rows
    assert (row.submitted, row.accepted, row.duplicates, row.invalid, row.converted, row.amount_due) == expected
    # The partner's own report (its API key) and the head's page say the same.
    own = HttpClient().get("/api/partner/report", {"start": "2026-01-01", "end": "2026-01-31"},
                           headers={"X-Api-Key": world["key"]}).json()
    totals = own["totals"]
    assert (totals["submitted"], totals["accepted"], totals["duplicates"], totals["invalid"], totals["converted"],
            Decimal(str(totals["amount_due"]))) == expected
    client = HttpClient()
    client.force_login(head)
    page = client.get("/partners/", {"start": "2026-01-01", "end": "2026-01-31", "period": "month", "format": "csv"})
    lines = list(csv.reader(io.StringIO(page.content.decode())))
    # The duplicate was found after acceptance; nothing is paid yet, so no adjustment.
    assert lines[1][2:] == ["2", "1", "1", "1", "0", "1", "100.00", "0.00", ""]
    # Its list of submissions tells it the same: Павел a duplicate (no status of his card), Ольга accepted, converted.
    listed = HttpClient().get("/api/partner/submissions", headers={"X-Api-Key": world["key"]}).json()
    assert {item["submission_id"]: (item["decision"], item["lead_status"]) for item in listed} == {
        world["second"].submission.pk: ("duplicate", None), world["olga"].submission.pk: ("accepted", "converted")}


def test_test_entries_are_no_interests_as_they_are_no_leads(world, admin_user, head):
    # January's interests: Анна (a role mailbox only) = 1. "Test Test" is someone trying the form: not a lead, and
    # not anyone's attention either (before: 2, the funnel's only step that counted it).
    for user in (admin_user, head):
        steps = {r["key"]: r["count"] for r in run("funnel", user, **JANUARY).table("steps").rows}
        assert (steps["interests"], steps["leads"]) == (1, 2), user


def test_extra_costs_split_into_periods_add_up_to_the_amount_entered(admin_user, sales):
    # 100.00 over 1..3 January (3 days: 33.33 a day rounded each, 99.99 in all) and 1,000.00 over January (32.26 a
    # day rounded each, 1,000.06 over 31 days). Whatever the cut (days, weeks, the month, one report a day), the parts
    # add up to the 1,100.00 entered, to the cent.
    ExtraCost.objects.create(name="Call tracking", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 3),
                             amount=Decimal("100.00"))
    ExtraCost.objects.create(name="CRM licence", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31),
                             amount=Decimal("1000.00"))
    entered = Decimal("1100.00")

    def extra(start: date, end: date, interval: str = "day"):
        return run("costs", admin_user, start=start.isoformat(), end=end.isoformat(), interval=interval)

    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(31)]
    one_report_a_day = [extra(day, day).table("total").rows[0]["extra"] for day in days]
    assert sum(one_report_a_day) == entered
    assert one_report_a_day[:3] != [one_report_a_day[0]] * 3  # 33.33 + 33.34 + 33.33 (+ the licence's day)
    month = extra(days[0], days[-1])
    assert month.table("total").rows[0]["extra"] == entered
    series = month.table("series").rows
    assert [r["extra"] for r in series] == one_report_a_day  # a day's part is the same in both
    assert sum(r["spend"] for r in series) == entered  # no campaign spend: the extra costs are the budget
    for interval in ("week", "month"):
        assert sum(r["extra"] for r in extra(days[0], days[-1], interval).table("series").rows) == entered, interval
    # Three reports cutting January anywhere add up too: 1..9, 10..22, 23..31.
    cuts = [(days[0], days[8]), (days[9], days[21]), (days[22], days[30])]
    assert sum(extra(a, b).table("total").rows[0]["extra"] for a, b in cuts) == entered


@pytest.mark.parametrize(("amount", "length"), [("0.05", 3), ("100.00", 7), ("999.99", 31), ("1.00", 366),
                                                ("12345.67", 90)])
def test_every_cut_of_an_extra_cost_adds_up_to_it(amount, length):
    starts, total = date(2026, 1, 1), Decimal(amount)
    ends = starts + timedelta(days=length - 1)
    for step in (1, 2, 5, 7, 30):  # periods of `step` days, the last one shorter
        cuts = [(starts + timedelta(days=k), starts + timedelta(days=min(k + step, length) - 1))
                for k in range(0, length, step)]
        parts = [reports.extra_share(total, starts, ends, first, last) for first, last in cuts]
        assert sum(parts) == total, step
        # Each part is within a cent of its exact share.
        for k, part in zip(range(0, length, step), parts, strict=True):
            exact = total * (min(k + step, length) - k) / length
            assert abs(part - exact) <= Decimal("0.01")
    # Days outside the cost hold none of it.
    assert reports.extra_share(total, starts, ends, ends + timedelta(days=1), ends + timedelta(days=9)) == 0


def test_the_cost_series_spend_is_the_campaigns_spend_plus_the_periods_extra(admin_user, sales):
    # A campaign spent 300.00 on 2 January; 70.00 of extra costs over 1..7 January (10.00 a day). Day 2: 310.00.
    from leadflow.marketing.models import Campaign

    spring = Campaign.objects.create(name="Spring", utm_campaign="spring")
    CampaignSpend.objects.create(campaign=spring, day=date(2026, 1, 2), clicks=30, cost=Decimal("300.00"))
    ExtraCost.objects.create(name="Salaries", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 7),
                             amount=Decimal("70.00"))
    report = run("costs", admin_user, start="2026-01-01", end="2026-01-07")
    series = report.table("series").rows
    assert [(r["spend"], r["extra"]) for r in series[:3]] == [
        (Decimal("10.00"), Decimal("10.00")), (Decimal("310.00"), Decimal("10.00")),
        (Decimal("10.00"), Decimal("10.00"))]
    (total,) = report.table("total").rows
    assert sum(r["spend"] for r in series) == total["spend"] == Decimal("370.00")
    # Sliced by campaign, the extra costs are not the campaign's: none in the total, none in the series.
    sliced = run("costs", admin_user, start="2026-01-01", end="2026-01-07", campaign=str(spring.pk))
    assert {r["extra"] for r in sliced.table("series").rows} == {Decimal("0.00")}
    assert sum(r["spend"] for r in sliced.table("series").rows) == Decimal("300.00")
