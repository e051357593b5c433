"""An audit of the figures: a small world built through the intake pipeline and the lifecycle services, every
expected figure counted by hand in the test, and compared wherever it is shown (report, API, CSV, XLSX, page).

The world (Moscow team "Sales", campaign "Spring" bought from 25 January to 5 February, 1,000 and 10 clicks a day):

    Jan 10 10:00  Ivan (form, spring)        claimed by alice, called 10:05, converted on 3 February
    Jan 12 11:00  "Test Test" (form)         an interest (someone trying the form), not a lead
    Jan 13 11:00  a bot (honeypot filled)    spam, not a lead
    Jan 14 11:00  bad e-mail only            invalid, not a lead
    Jan 15 12:00  Olga (form, spring)        claimed by bob, refused 16th, reopened 20th, reassigned to alice
                                             by the head on the 21st, converted by alice on the 25th
    Jan 18 09:00  Pavel (form, spring)       a card of its own ...
    Jan 19 09:00  Pasha (form, spring)       ... and another one, merged into Pavel's by the head on the 22nd
    Jan 20 15:00  Ivan again, phone typed another way: attached to his card, not a lead
    Jan 31 23:30  Marina (form, spring)      23:30 in Moscow on the last day of January (20:30 UTC)
    Feb  1 00:30  Nina (form, spring)        00:30 in Moscow on 1 February (21:30 UTC on 31 January)
    Feb 10 12:00  Ivan, now a client, again: attached to the client, not a lead
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from openpyxl import load_workbook

from leadflow.accounts.models import Role, User
from leadflow.analytics import reports
from leadflow.analytics.filters import parse_filter
from leadflow.intake import pipeline
from leadflow.intake.models import SubmissionStatus
from leadflow.leads import services
from leadflow.leads.merging import merge_leads
from leadflow.leads.models import ActivityKind, Lead, LeadState, LostReason
from leadflow.marketing.models import Campaign, CampaignSpend, Source

MOSCOW = ZoneInfo("Europe/Moscow")
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=MOSCOW)


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MOSCOW)


def logged_in(user: User) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


@pytest.fixture
def marketer(db: None) -> User:
    return User.objects.create_user(username="mary", password="pw", role=Role.MARKETER, first_name="Mary")


@pytest.fixture
def world(time_machine, web_form, sales, head, alice, bob):
    source = Source.objects.create(name="Yandex", utm_source="yandex", medium="cpc")
    spring = Campaign.objects.create(name="Spring", utm_campaign="spring", source=source)
    for day in range(25, 32):
        CampaignSpend.objects.create(campaign=spring, day=date(2026, 1, day), clicks=10, cost=Decimal("1000"))
    for day in range(1, 6):
        CampaignSpend.objects.create(campaign=spring, day=date(2026, 2, day), clicks=10, cost=Decimal("1000"))
    refused = LostReason.objects.order_by("pk").first()

    def submit(moment: str, **payload: str) -> pipeline.Outcome:
        time_machine.move_to(msk(moment), tick=False)
        payload.setdefault("utm_source", "yandex")
        payload.setdefault("utm_campaign", "spring")
        return pipeline.receive(pipeline.Inbound(channel="form", form=web_form, payload=payload,
                                                 received_at=msk(moment)))

    def at(moment: str) -> None:
        time_machine.move_to(msk(moment), tick=False)

    ivan = submit("2026-01-10 10:00", name="Иван Петров", phone="+79161110001", email="ivan@example.ru").lead
    at("2026-01-10 10:01")
    services.claim_lead(lead=ivan, by=alice)
    at("2026-01-10 10:05")
    services.log_activity(lead=ivan, kind=ActivityKind.CALL, by=alice, subject="call")
    test_entry = submit("2026-01-12 11:00", name="Test Test", phone="+79161110002")
    spam = submit("2026-01-13 11:00", name="Bot Botov", phone="+79161110003", _hp="x")
    invalid = submit("2026-01-14 11:00", name="Анна Смирнова", email="not an e-mail")

    olga = submit("2026-01-15 12:00", name="Ольга Сидорова", phone="+79161110004").lead
    at("2026-01-15 12:30")
    services.claim_lead(lead=olga, by=bob)
    at("2026-01-16 10:00")
    services.refuse_lead(lead=olga, reason=refused, by=bob)
    at("2026-01-20 10:00")
    services.reopen_lead(lead=olga, by=bob)
    at("2026-01-21 10:00")
    services.assign_lead(lead=Lead.objects.get(pk=olga.pk), to=alice, by=head)
    at("2026-01-25 10:00")
    services.convert_lead(lead=Lead.objects.get(pk=olga.pk), by=alice)

    pavel = submit("2026-01-18 09:00", name="Павел Орлов", phone="+79161110005").lead
    pasha = submit("2026-01-19 09:00", name="Паша Орлов", phone="+79161110006").lead
    at("2026-01-22 10:00")
    merge_leads(survivor=pavel, others=[pasha], by=head)

    again = submit("2026-01-20 15:00", name="Иван Петров", phone="8 (916) 111-00-01")
    marina = submit("2026-01-31 23:30", name="Марина Кузнецова", phone="+79161110007").lead
    nina = submit("2026-02-01 00:30", name="Нина Волкова", phone="+79161110008").lead
    at("2026-02-03 10:00")
    services.convert_lead(lead=Lead.objects.get(pk=ivan.pk), by=alice)
    back = submit("2026-02-10 12:00", name="Иван Петров", phone="+7 916 111 00 01")
    at("2026-03-01 12:00")
    return {
        "spring": spring, "ivan": ivan, "olga": olga, "pavel": pavel, "pasha": pasha, "marina": marina, "nina": nina,
        "test": test_entry, "spam": spam, "invalid": invalid, "again": again, "back": back,
    }


def run(key: str, user: User, **params: str):
    return reports.build(key, parse_filter(params, user, now=NOW), user)


def test_the_world_is_what_the_scenario_says(world):
    assert world["test"].status == SubmissionStatus.INTEREST
    assert world["spam"].status == SubmissionStatus.SPAM
    assert world["invalid"].status == SubmissionStatus.INVALID
    assert world["again"].status == SubmissionStatus.ATTACHED and world["again"].lead == world["ivan"]
    assert world["back"].status == SubmissionStatus.ATTACHED and world["back"].client is not None
    assert Lead.objects.get(pk=world["pasha"].pk).state == LeadState.MERGED
    assert Lead.objects.get(pk=world["olga"].pk).state == LeadState.CONVERTED
    assert Lead.objects.get(pk=world["olga"].pk).owner.username == "alice"
    assert Lead.objects.filter(campaign=world["spring"]).count() == 6  # Pasha's merged card among them


def january_costs(report) -> dict:
    (row,) = report.table("campaigns").rows
    return row


def test_cost_per_lead_counts_only_new_leads(world, admin_user):
    # January's leads: Ivan, Olga, Pavel (Pasha merged into him), Marina = 4.
    # Not leads: the test entry (interest), the bot (spam), the bad e-mail (invalid), Ivan's repeat request.
    # Spend in January: 25..31 January = 7 days x 1,000 = 7,000 and 70 clicks.
    # Cost per lead 7,000 / 4 = 1,750.00; cost per click 7,000 / 70 = 100.00; site conversion 4 / 70 = 5.7 %.
    # Clients of the cohort: Ivan (converted in February) and Olga = 2, so 3,500.00 per client.
    row = january_costs(run("costs", admin_user, start="2026-01-01", end="2026-01-31"))
    assert (row["clicks"], row["spend"], row["leads"], row["clients"]) == (70, Decimal("7000"), 4, 2)
    assert (row["cpl"], row["cpc"], row["site_conversion"]) == (Decimal("1750.00"), Decimal("100.00"),
                                                                Decimal("5.7"))
    assert row["cost_per_client"] == Decimal("3500.00")


def test_february_has_one_lead_and_no_client(world, admin_user):
    # February: only Nina (00:30 Moscow on 1 Feb). Ivan's return as a client is not a new lead.
    # Spend 1..5 February = 5,000; cost per lead 5,000 / 1; no client: cost per client "—" (None), not 0.
    row = january_costs(run("costs", admin_user, start="2026-02-01", end="2026-02-28"))
    assert (row["spend"], row["leads"], row["clients"]) == (Decimal("5000"), 1, 0)
    assert row["cpl"] == Decimal("5000.00")
    assert row["cost_per_client"] is None


def test_a_period_cutting_the_spend_range_takes_its_days_only(world, admin_user):
    # 20 January .. 2 February: spend of 25 Jan .. 2 Feb = 9 days = 9,000; leads created in it: Marina, Nina = 2.
    row = january_costs(run("costs", admin_user, start="2026-01-20", end="2026-02-02"))
    assert (row["spend"], row["leads"], row["cpl"]) == (Decimal("9000"), 2, Decimal("4500.00"))


def test_a_conversion_counts_for_the_cohort_the_lead_was_created_in(world, admin_user):
    # Ivan was created in January and converted in February: January's conversion (cohort), not February's.
    # January: 2 of 4 converted = 50.0 %; February: 0 of 1 = 0.0 %.
    (january,) = run("conversion", admin_user, start="2026-01-01", end="2026-01-31").table("total").rows
    (february,) = run("conversion", admin_user, start="2026-02-01", end="2026-02-28").table("total").rows
    assert (january["leads"], january["clients"], january["conversion"]) == (4, 2, Decimal("50.0"))
    assert (february["leads"], february["clients"], february["conversion"]) == (1, 0, Decimal("0.0"))
    # Cohorts over both months: January's converted 1 of 4 by its own month's end (Olga), 2 of 4 by February's.
    cohorts = run("conversion", admin_user, start="2026-01-01", end="2026-02-28").table("cohorts").rows
    assert [(r["month"], r["leads"], r["m0"], r["m1"]) for r in cohorts] == [
        (date(2026, 1, 1), 4, Decimal("25.0"), Decimal("50.0")), (date(2026, 2, 1), 1, Decimal("0.0"),
                                                                    Decimal("0.0"))]


def test_the_last_evening_of_a_month_stays_in_that_month(world, admin_user):
    # Marina (23:30 Moscow, 31 Jan) is January's; Nina (00:30 Moscow, 1 Feb) February's, per month.
    series = run("funnel", admin_user, start="2026-01-01", end="2026-02-28", interval="month").table("series")
    assert [(r["period"], r["leads"], r["clients"]) for r in series.rows] == [
        (date(2026, 1, 1), 4, 2), (date(2026, 2, 1), 1, 0)]


def test_a_london_reader_sees_the_same_last_evening_in_january(world, admin_user):
    # Decision: days are the reader's days (docs/analytics.md). Marina's 23:30 Moscow is 20:30 in London: still
    # 31 January for both. Nina's 00:30 Moscow on 1 Feb is 21:30 in London on 31 January: January for a London
    # reader (5 leads), February for a Moscow one.
    admin_user.time_zone = "Europe/London"
    admin_user.save()
    series = run("funnel", admin_user, start="2026-01-01", end="2026-02-28", interval="month").table("series")
    assert [(r["period"], r["leads"]) for r in series.rows] == [(date(2026, 1, 1), 5), (date(2026, 2, 1), 0)]


def test_refused_then_reopened_and_converted_is_not_a_refusal(world, admin_user):
    # Olga was refused on the 16th and reopened: she is not among January's refusals any more.
    report = run("refusals", admin_user, start="2026-01-01", end="2026-01-31")
    assert report.table("reasons").rows == []


def test_a_reassigned_lead_counts_for_its_owner_now(world, admin_user, head):
    # Decision: conversion per manager is per the lead's current owner (docs/analytics.md). Olga was bob's
    # (claimed, refused, reopened) and converted by alice after the head reassigned her.
    # alice: Ivan, Olga = 2 leads, 2 clients; the pool: Pavel, Marina = 2 leads, 0 clients; bob: none.
    rows = run("conversion", head, start="2026-01-01", end="2026-01-31").table("manager").rows
    assert {str(r["label"]): (r["leads"], r["clients"]) for r in rows} == {"Alice": (2, 2), "(pool)": (2, 0)}


def test_every_place_shows_the_same_cost_per_lead(world, admin_user, marketer, api_as):
    params = "start=2026-01-01&end=2026-01-31"
    api = api_as(marketer).get(f"/api/analytics/costs?{params}").json()
    (row,) = next(t for t in api["tables"] if t["key"] == "campaigns")["rows"]
    assert (row["leads"], row["spend"], row["cpl"], row["cost_per_client"]) == (4, 7000.0, 1750.0, 3500.0)

    exported = api_as(marketer).get(f"/api/analytics/costs/export?format=csv&table=campaigns&{params}")
    (header, line) = list(csv.reader(io.StringIO(exported.content.decode())))
    line = dict(zip(header, line, strict=True))
    assert (line["Leads"], Decimal(line["Budget"]), Decimal(line["Cost per lead"])) == ("4", Decimal("7000"),
                                                                                       Decimal("1750.00"))
    page_csv = logged_in(marketer).get(f"/analytics/costs/export.csv?table=campaigns&{params}").content.decode()
    assert page_csv == exported.content.decode()

    book = load_workbook(io.BytesIO(api_as(marketer).get(f"/api/analytics/costs/export?format=xlsx&{params}").content))
    sheet = book["By campaign"]
    values = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]], strict=True))
    assert (values["Leads"], Decimal(str(values["Cost per lead"]))) == (4, Decimal("1750"))

    html = logged_in(marketer).get(f"/analytics/costs/?{params}").content.decode()
    assert "1,750.00" in html and "3,500.00" in html


def test_a_russian_readers_csv_opens_in_their_spreadsheet_with_numbers_as_numbers(world, marketer):
    """Russian Excel splits on ';' and reads 1750,00: the ','-separated file with 1750.00 sat in one column, and
    without a BOM its Cyrillic headers were read as windows-1251."""
    marketer.language = "ru"
    marketer.save()
    params = "start=2026-01-01&end=2026-01-31"
    body = logged_in(marketer).get(f"/analytics/costs/export.csv?table=campaigns&{params}").content.decode()
    assert body.startswith("\ufeff")
    (header, line) = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    line = dict(zip(header, line, strict=True))
    assert (line["Лиды"], line["Бюджет"], line["Стоимость лида"]) == ("4", "7000,00", "1750,00")


def test_february_cost_per_client_is_a_dash_everywhere(world, marketer, api_as):
    params = "start=2026-02-01&end=2026-02-28"
    api = api_as(marketer).get(f"/api/analytics/costs?{params}").json()
    (row,) = next(t for t in api["tables"] if t["key"] == "campaigns")["rows"]
    assert (row["cpl"], row["cost_per_client"]) == (5000.0, None)
    exported = api_as(marketer).get(f"/api/analytics/costs/export?format=csv&table=campaigns&{params}")
    (header, line) = list(csv.reader(io.StringIO(exported.content.decode())))
    assert dict(zip(header, line, strict=True))["Cost per client"] == ""
    html = logged_in(marketer).get(f"/analytics/costs/?{params}").content.decode()
    assert "5,000.00" in html and "—" in html


def test_a_manager_who_left_stays_in_the_reports_of_the_months_they_worked(world, admin_user, head, alice, bob):
    # Bob took one lead on 20 January and called it, then left. January's managers' report keeps his row
    # (1 lead created, 1 activity); while the lead still waits on him he shows in every period (open leads now: 1).
    lead = Lead.objects.create(full_name="Bob's lead", team=bob.team, owner=bob, created_at=msk("2026-01-20 10:00"),
                               stage=services.initial_stage())
    services.log_activity(lead=lead, kind=ActivityKind.CALL, by=bob, occurred_at=msk("2026-01-20 10:10"))
    bob.is_active = False
    bob.save()

    def bob_in(user: User, start: str, end: str) -> tuple | None:
        rows = run("managers", user, start=start, end=end).table("leads").rows
        row = next((r for r in rows if r["manager"] == "Bob"), None)
        return row and (row["open"], row["new"], row["activities"])

    for user in (admin_user, head):
        assert bob_in(user, "2026-01-01", "2026-01-31") == (1, 1, 1), user
        assert bob_in(user, "2026-02-01", "2026-02-28") == (1, 0, 0), user
    services.assign_lead(lead=lead, to=alice, by=head)
    # The lead is alice's now (leads count for their owner now); bob's call stays his.
    assert bob_in(head, "2026-01-01", "2026-01-31") == (0, 0, 1)
    assert bob_in(head, "2026-02-01", "2026-02-28") is None


def test_costs_sliced_by_team_do_not_divide_the_whole_budget_by_one_teams_leads(world, admin_user, carol):
    # Spend is bought per campaign, not per team (the funnel hides traffic under such a slice too). Carol's team
    # got one spring lead in January; dividing January's 7,000 by it would say 7,000 per lead. The slice shows
    # the team's leads and clients, and no budget, clicks or cost per lead ("—"), rather than a wrong figure.
    time_machine_lead = Lead.objects.create(full_name="Carol's lead", team=carol.team, owner=carol,
                                            campaign=world["spring"], created_at=msk("2026-01-12 10:00"),
                                            stage=services.initial_stage())
    assert time_machine_lead.pk
    for slice_by in ({"team": str(carol.team_id)}, {"manager": str(carol.pk)}):
        report = run("costs", admin_user, start="2026-01-01", end="2026-01-31", **slice_by)
        (row,) = report.table("campaigns").rows
        assert (row["leads"], row["clicks"], row["spend"], row["cpl"], row["cpc"]) == (1, None, None, None, None)
        (total,) = report.table("total").rows
        assert (total["leads"], total["spend"], total["cpl"], total["extra"]) == (1, None, None, None)
        assert {r["spend"] for r in report.table("series").rows} == {None}
    # Unsliced, carol's lead is one of January's five: 7,000 / 5 = 1,400.00.
    (row,) = run("costs", admin_user, start="2026-01-01", end="2026-01-31").table("campaigns").rows
    assert (row["leads"], row["cpl"]) == (5, Decimal("1400.00"))


def test_money_is_shown_with_two_decimals_on_every_database(admin_user, api_as, sales):
    # Three days at 0.10 and one at 1,000.05: 1,000.35 spent (a float sum would say 1000.3499999...).
    # Leads: 3, so 333.45 per lead (1,000.35 / 3 = 333.45); the CSV says 1000.35, not 1000.3500000001 or 1000.35000.
    spring = Campaign.objects.create(name="Spring", utm_campaign="spring")
    for day, cost in ((1, "0.10"), (2, "0.10"), (3, "0.10"), (4, "1000.05")):
        CampaignSpend.objects.create(campaign=spring, day=date(2026, 1, day), clicks=1, cost=Decimal(cost))
    for n in range(3):
        Lead.objects.create(full_name=f"L{n}", campaign=spring, team=sales, created_at=msk("2026-01-02 10:00"),
                            stage=services.initial_stage())
    report = run("costs", admin_user, start="2026-01-01", end="2026-01-31")
    (row,) = report.table("campaigns").rows
    assert (str(row["spend"]), str(row["cpl"]), str(row["revenue"])) == ("1000.35", "333.45", "0.00")
    (total,) = report.table("total").rows
    assert (str(total["spend"]), str(total["extra"])) == ("1000.35", "0.00")
    exported = api_as(admin_user).get("/api/analytics/costs/export?format=csv&table=campaigns"
                                      "&start=2026-01-01&end=2026-01-31")
    (header, line) = list(csv.reader(io.StringIO(exported.content.decode())))
    line = dict(zip(header, line, strict=True))
    assert (line["Budget"], line["Cost per lead"], line["Revenue"]) == ("1000.35", "333.45", "0.00")


def test_refusal_shares_add_up_to_one_hundred(admin_user, head, alice, sales):
    # Three reasons, one lead each: 33.3 + 33.3 + 33.3 would be 99.9; the largest remainders take the last tenth.
    reasons = list(LostReason.objects.order_by("pk")[:3])
    for n, reason in enumerate(reasons):
        lead = Lead.objects.create(full_name=f"R{n}", team=sales, owner=alice, created_at=msk("2026-01-02 10:00"),
                                   stage=services.initial_stage())
        services.refuse_lead(lead=lead, reason=reason, by=alice)
    today = datetime.now(MOSCOW).date().isoformat()
    rows = reports.build("refusals", parse_filter({"start": today, "end": today}, head), head).table("reasons").rows
    shares = [r["share"] for r in rows]
    assert sum(shares) == Decimal("100.0")
    assert sorted(shares) == [Decimal("33.3"), Decimal("33.3"), Decimal("33.4")]


@pytest.mark.parametrize("counts", [[1, 1, 1], [2, 1], [1] * 7, [997, 2, 1], [5, 0, 3], [1], [1, 2, 3, 4, 5, 6]])
def test_shares_round_to_tenths_that_add_up_to_one_hundred(counts):
    got = reports.shares(counts)
    assert sum(got) == Decimal("100.0")
    for share, n in zip(got, counts, strict=True):  # each within a tenth of its exact share
        assert abs(share - Decimal(n * 100) / sum(counts)) < Decimal("0.1")
    assert reports.shares([0, 0]) == [None, None]


def test_days_across_a_dst_change_are_the_readers_local_days(admin_user, sales):
    # Berlin moves to summer time at 02:00 on 29 March 2026 (a day of 23 hours). In Berlin's days:
    #   28 Mar 23:30 CET  (22:30 UTC 28th)   -> 28th
    #   29 Mar 00:30 CET  (23:30 UTC 28th)   -> 29th
    #   29 Mar 23:30 CEST (21:30 UTC 29th)   -> 29th
    #   30 Mar 00:30 CEST (22:30 UTC 29th)   -> 30th
    berlin = ZoneInfo("Europe/Berlin")
    for text in ("2026-03-28 23:30", "2026-03-29 00:30", "2026-03-29 23:30", "2026-03-30 00:30"):
        Lead.objects.create(full_name=text, team=sales, stage=services.initial_stage(),
                            created_at=datetime.fromisoformat(text).replace(tzinfo=berlin))
    admin_user.time_zone = "Europe/Berlin"
    admin_user.save()
    series = run("funnel", admin_user, start="2026-03-28", end="2026-03-30").table("series").rows
    assert [(r["period"], r["leads"]) for r in series] == [
        (date(2026, 3, 28), 1), (date(2026, 3, 29), 2), (date(2026, 3, 30), 1)]
    # The week from Monday 23 March holds the first three; the week from Monday 30 March the last.
    weeks = run("funnel", admin_user, start="2026-03-23", end="2026-04-05", interval="week").table("series").rows
    assert [(r["period"], r["leads"]) for r in weeks] == [(date(2026, 3, 23), 3), (date(2026, 3, 30), 1)]
    # A Moscow reader (UTC+3, no DST): 22:30 and 23:30 UTC on the 28th are 01:30 and 02:30 on the 29th; 21:30 and
    # 22:30 UTC on the 29th are 00:30 and 01:30 on the 30th.
    admin_user.time_zone = "Europe/Moscow"
    admin_user.save()
    series = run("funnel", admin_user, start="2026-03-28", end="2026-03-30").table("series").rows
    assert [(r["period"], r["leads"]) for r in series] == [
        (date(2026, 3, 28), 0), (date(2026, 3, 29), 2), (date(2026, 3, 30), 2)]


def test_a_heads_figures_are_their_teams_and_every_breakdown_adds_up_to_the_total(
        world, head, alice, carol, admin_user, api_as):
    # Carol's team gets two January leads, one converted: the head of Sales never counts them; the admin does.
    for n in range(2):
        lead = Lead.objects.create(full_name=f"C{n}", team=carol.team, owner=carol, campaign=world["spring"],
                                   created_at=msk(f"2026-01-2{n} 10:00"), stage=services.initial_stage())
    services.convert_lead(lead=lead, by=carol)
    period = {"start": "2026-01-01", "end": "2026-01-31"}
    for user, leads_n, clients_n in ((head, 4, 2), (admin_user, 6, 3)):
        report = run("conversion", user, **period)
        (total,) = report.table("total").rows
        assert (total["leads"], total["clients"]) == (leads_n, clients_n), user
        for key in ("source", "campaign", "manager", "month"):
            rows = report.table(key).rows
            assert (sum(r["leads"] for r in rows), sum(r["clients"] for r in rows)) == (leads_n, clients_n), key
        funnel = run("funnel", user, **period)
        assert sum(r["leads"] for r in funnel.table("series").rows) == leads_n
        steps = {r["key"]: r["count"] for r in funnel.table("steps").rows}
        assert (steps["leads"], steps["clients"]) == (leads_n, clients_n)
        # Interests: the only one of January is the test entry ("Test Test"), which no figure counts.
        assert steps["interests"] == 0
    # The API gives the head the same, and refuses carol's team.
    body = api_as(head).get("/api/analytics/conversion?start=2026-01-01&end=2026-01-31").json()
    (total,) = next(t for t in body["tables"] if t["key"] == "total")["rows"]
    assert (total["leads"], total["clients"]) == (4, 2)
    assert api_as(head).get(f"/api/analytics/conversion?team={carol.team_id}").status_code == 403


def test_a_managers_own_view_counts_their_leads_only(world, alice, api_as):
    # Alice owns Ivan and Olga (both converted): 2 leads, 2 clients, 100.0 %, whatever she asks for.
    for params in ("", f"&manager={alice.pk}"):
        body = api_as(alice).get(f"/api/analytics/conversion?start=2026-01-01&end=2026-01-31{params}").json()
        (total,) = next(t for t in body["tables"] if t["key"] == "total")["rows"]
        assert (total["leads"], total["clients"], total["conversion"]) == (2, 2, 100.0)
    # Speed: Ivan was called 5 minutes after he arrived (within the 15-minute SLA); Olga was claimed by bob and
    # never called: past her deadline, a breach on alice's row now that she owns the card.
    body = api_as(alice).get("/api/analytics/speed?start=2026-01-01&end=2026-01-31").json()
    (row,) = next(t for t in body["tables"] if t["key"] == "manager")["rows"]
    assert (row["leads"], row["contacted"], row["within"], row["share"], row["median"]) == (2, 1, 1, 50.0, 5.0)


def test_thousands_of_leads_give_the_figures_arithmetic_gives(time_machine, admin_user, alice, bob, sales, api_as):
    # 3,000 leads, 100 a day at 12:00 Moscow on 1..30 January; lead i:
    #   owner alice (i % 3 == 0), bob (i % 3 == 1), the pool (i % 3 == 2)   -> 1,000 each
    #   converted 2 days later when i % 10 == 0                              -> 300; 100 per owner (i % 30 = 0, 10, 20)
    #   first call 10 min after arrival when i % 4 == 0 (SLA 15 min: within)  -> 750
    #              20 min after when i % 4 == 1 (late)                         -> 750; the other 1,500 never called
    # Spend 1,000 a day on 1..30 January = 30,000: 10.00 per lead, 100.00 per client.
    from datetime import timedelta

    time_machine.move_to(msk("2026-01-31 12:00"), tick=False)
    spring = Campaign.objects.create(name="Spring", utm_campaign="spring")
    CampaignSpend.objects.bulk_create([CampaignSpend(campaign=spring, day=date(2026, 1, d), clicks=50,
                                                     cost=Decimal("1000")) for d in range(1, 31)])
    new, won = services.initial_stage(), services._stage_of_kind("won")
    owners = (alice, bob, None)
    rows = []
    for i in range(3000):
        created = msk(f"2026-01-{1 + i // 100:02d} 12:00")
        converted = i % 10 == 0
        contacted = {0: timedelta(minutes=10), 1: timedelta(minutes=20)}.get(i % 4)
        rows.append(Lead(full_name=f"Lead {i}", team=sales, owner=owners[i % 3], campaign=spring, created_at=created,
                         stage=won if converted else new, state=LeadState.CONVERTED if converted else LeadState.OPEN,
                         converted_at=created + timedelta(days=2) if converted else None,
                         sales_since=created, sla_due_at=created + timedelta(minutes=15),
                         first_contacted_at=created + contacted if contacted else None))
    Lead.objects.bulk_create(rows, batch_size=500)
    period = {"start": "2026-01-01", "end": "2026-01-31"}

    (cost,) = run("costs", admin_user, **period).table("campaigns").rows
    assert (cost["leads"], cost["clients"], cost["spend"], cost["cpl"], cost["cost_per_client"]) == (
        3000, 300, Decimal("30000.00"), Decimal("10.00"), Decimal("100.00"))
    conversion = run("conversion", admin_user, **period)
    (total,) = conversion.table("total").rows
    assert (total["leads"], total["clients"], total["conversion"], total["median_days"]) == (
        3000, 300, Decimal("10.0"), Decimal("2.0"))
    assert {str(r["label"]): (r["leads"], r["clients"]) for r in conversion.table("manager").rows} == {
        "Alice": (1000, 100), "Bob": (1000, 100), "(pool)": (1000, 100)}
    speed = run("speed", admin_user, **period)
    (team,) = speed.table("team").rows
    assert (team["leads"], team["contacted"], team["within"], team["share"]) == (3000, 1500, 750, Decimal("25.0"))
    assert len(speed.table("breaches").rows) == 200
    assert str(speed.table("breaches").note).startswith("2250 lead(s)")
    managers = {r["manager"]: r for r in run("managers", admin_user, **period).table("leads").rows}
    assert (managers["Alice"]["new"], managers["Alice"]["converted"], managers["Alice"]["open"]) == (1000, 100, 900)

    # The API and the CSV say the same for the whole cohort (nothing is paged away).
    body = api_as(admin_user).get("/api/analytics/conversion?start=2026-01-01&end=2026-01-31").json()
    assert next(t for t in body["tables"] if t["key"] == "total")["rows"][0]["leads"] == 3000
    exported = api_as(admin_user).get("/api/analytics/speed/export?format=csv&table=breaches&start=2026-01-01"
                                      "&end=2026-01-31").content.decode()
    assert len(list(csv.reader(io.StringIO(exported)))) == 201  # the header and the 200 newest breaches
    # The dashboard's default period is the last 30 days (2..31 January): 2,900 leads, 290 clients.
    html = logged_in(admin_user).get("/analytics/").content.decode()
    assert ">2,900<" in html.replace(" ", "").replace("\n", "") and "29,000.00" in html


def test_cost_per_lead_of_a_campaign_without_leads_without_cost_and_without_spend_entered(
        admin_user, marketer, sales):
    # January: "Autumn" spent 500 and brought no lead: cost per lead "—" (not 0, no crash), return -100.0 %.
    # "Newsletter" costs nothing (a spend row of 0 for 40 clicks) and brought 2 leads: 0.00 per lead, no return %.
    # "Spring" brought 1 lead and nobody entered its spend: its budget is unknown, "—", not a free lead.
    # Leads without a campaign (1): no spend of their own, "—".
    # Total: 500 spent over all 4 leads = 125.00 per lead (DOMAIN.md 21: total budget / leads).
    autumn = Campaign.objects.create(name="Autumn", utm_campaign="autumn")
    newsletter = Campaign.objects.create(name="Newsletter", utm_campaign="newsletter")
    spring = Campaign.objects.create(name="Spring", utm_campaign="spring")
    CampaignSpend.objects.create(campaign=autumn, day=date(2026, 1, 5), clicks=50, cost=Decimal("500"))
    CampaignSpend.objects.create(campaign=newsletter, day=date(2026, 1, 5), clicks=40, cost=Decimal("0"))
    for campaign in (newsletter, newsletter, spring, None):
        Lead.objects.create(full_name="L", campaign=campaign, team=sales, created_at=msk("2026-01-06 10:00"),
                            stage=services.initial_stage())
    report = run("costs", marketer, start="2026-01-01", end="2026-01-31")
    rows = {str(r["campaign"]): r for r in report.table("campaigns").rows}
    pick = ("clicks", "spend", "leads", "cpl", "cost_per_client", "romi")
    assert {name: tuple(row[k] for k in pick) for name, row in rows.items()} == {
        "Autumn": (50, Decimal("500.00"), 0, None, None, Decimal("-100.0")),
        "Newsletter": (40, Decimal("0.00"), 2, Decimal("0.00"), None, None),
        "Spring": (None, None, 1, None, None, None),
        "(no campaign)": (None, None, 1, None, None, None),
    }
    (total,) = report.table("total").rows
    assert (total["clicks"], total["spend"], total["leads"], total["cpl"]) == (90, Decimal("500.00"), 4,
                                                                                Decimal("125.00"))
    html = logged_in(marketer).get("/analytics/costs/?start=2026-01-01&end=2026-01-31").content.decode()
    assert "125.00" in html and "Autumn" in html


def test_conversion_per_offer(admin_user, alice, sales, make_lead):
    # DOMAIN.md 19: per offer. Boilers: 3 leads, 2 converted (66.7 %); pumps: 1 lead, 0; none given: 1 lead, 1 (100 %).
    for product, convert in (("boilers", True), ("boilers", True), ("boilers", False), ("pumps", False),
                             ("", True)):
        lead = make_lead(owner=alice, product_interest=product)
        if convert:
            services.convert_lead(lead=lead, by=alice)
    today = datetime.now(MOSCOW).date().isoformat()
    offer = run("conversion", admin_user, start=today, end=today).table("offer")
    assert offer.chart is None  # text typed into public forms is not handed to the chart's script
    rows = offer.rows
    assert [(str(r["label"]), r["leads"], r["clients"], r["conversion"]) for r in rows] == [
        ("boilers", 3, 2, Decimal("66.7")), ("(none)", 1, 1, Decimal("100.0")), ("pumps", 1, 0, Decimal("0.0"))]


def test_imported_contacts_are_not_speed_to_lead_breaches(time_machine, head, alice, web_form, tmp_path):
    # The SLA clock is for a live request (README: imported leads raise no speed-to-lead alarms). A form lead
    # called after 5 minutes, then a file of 3 exhibition contacts nobody calls within the SLA:
    # speed to lead is 1 lead, 1 within, 100.0 %, no breach; the 3 are still leads everywhere else (4 leads).
    from django.core.management import call_command

    time_machine.move_to(msk("2026-01-12 10:00"), tick=False)
    lead = pipeline.receive(pipeline.Inbound(channel="form", form=web_form, payload={
        "name": "Иван Петров", "phone": "+79161110001"}, received_at=msk("2026-01-12 10:00"))).lead
    services.claim_lead(lead=lead, by=alice)
    time_machine.move_to(msk("2026-01-12 10:05"), tick=False)
    services.log_activity(lead=lead, kind=ActivityKind.CALL, by=alice)
    file = tmp_path / "exhibition.csv"
    file.write_text("ФИО;Телефон\nОльга Сидорова;+79161110004\nПавел Орлов;+79161110005\nНина Волкова;+79161110008\n",
                    encoding="utf-8")
    call_command("import", str(file), "--as", "head")
    time_machine.move_to(msk("2026-01-20 10:00"), tick=False)
    assert Lead.objects.filter(channel="import").count() == 3
    period = {"start": "2026-01-01", "end": "2026-01-31"}
    speed = run("speed", head, **period)
    (team,) = speed.table("team").rows
    assert (team["leads"], team["within"], team["share"]) == (1, 1, Decimal("100.0"))
    assert speed.table("breaches").rows == []
    steps = {r["key"]: r["count"] for r in run("funnel", head, **period).table("steps").rows}
    assert steps["leads"] == 4


def test_a_manager_who_left_can_still_be_chosen_in_the_filter(head, alice, bob):
    bob.is_active = False
    bob.save()
    html = logged_in(head).get(f"/analytics/managers/?start=2026-01-01&end=2026-01-31&manager={bob.pk}")
    assert html.status_code == 200
    page = html.content.decode()
    assert f'<option value="{bob.pk}" selected>Bob (inactive)</option>' in page
    assert f'<option value="{alice.pk}" >Alice</option>' in page


def test_a_merge_keeps_the_first_touchs_time_and_campaign_together(time_machine, web_form, head, admin_user):
    # Pasha came on 19 January through "spring"; the same man came again on 2 February through "autumn" as a card of
    # its own, kept as the survivor. Merged: one lead, created 19 January from "spring" (its first touch), so January
    # has 1 spring lead and February none. Undone: both back as they were (1 spring in January, 1 autumn in February).
    from leadflow.leads.merging import undo_merge

    Campaign.objects.create(name="Spring", utm_campaign="spring")
    Campaign.objects.create(name="Autumn", utm_campaign="autumn")

    def submit(moment: str, campaign: str, phone: str) -> Lead:
        time_machine.move_to(msk(moment), tick=False)
        return pipeline.receive(pipeline.Inbound(channel="form", form=web_form, received_at=msk(moment), payload={
            "name": "Павел Орлов", "phone": phone, "utm_campaign": campaign})).lead

    january = submit("2026-01-19 09:00", "spring", "+79161110005")
    february = submit("2026-02-02 09:00", "autumn", "+79161110006")
    time_machine.move_to(msk("2026-02-03 10:00"), tick=False)
    merge = merge_leads(survivor=february, others=[january], by=head)

    def leads_by_campaign(start: str, end: str) -> dict[str, int]:
        rows = run("costs", admin_user, start=start, end=end).table("campaigns").rows
        return {str(r["campaign"]): r["leads"] for r in rows}

    survivor = Lead.objects.get(pk=february.pk)
    assert (survivor.created_at, survivor.campaign.name, survivor.utm_campaign) == (
        msk("2026-01-19 09:00"), "Spring", "spring")
    assert leads_by_campaign("2026-01-01", "2026-01-31") == {"Spring": 1}
    assert leads_by_campaign("2026-02-01", "2026-02-28") == {}
    undo_merge(merge=merge, by=head)
    assert leads_by_campaign("2026-01-01", "2026-01-31") == {"Spring": 1}
    assert leads_by_campaign("2026-02-01", "2026-02-28") == {"Autumn": 1}


def test_a_lead_warmed_by_marketing_is_timed_from_its_hand_off_in_the_month_it_was_created(
        time_machine, web_form, head, alice):
    # Decision (docs/analytics.md): speed follows the cohort of leads created in the period, timed from the moment
    # sales got the lead. Created 25 January with marketing, handed to sales on 2 February 10:00, claimed and called
    # at 10:10: January's speed report has it (1 lead, 10.0 min, within the 15-minute SLA); February's has none.
    # While still with marketing it is in no speed report.
    from leadflow.warming.services import hand_to_sales

    web_form.hand_to_sales = "when_hot"
    web_form.save()
    time_machine.move_to(msk("2026-01-25 12:00"), tick=False)
    lead = pipeline.receive(pipeline.Inbound(channel="form", form=web_form, received_at=msk("2026-01-25 12:00"),
                                             payload={"name": "Ольга Сидорова", "phone": "+79161110004"})).lead
    assert lead.state == LeadState.NURTURING
    january = {"start": "2026-01-01", "end": "2026-01-31"}
    assert run("speed", head, **january).table("team").rows == []
    time_machine.move_to(msk("2026-02-02 10:00"), tick=False)
    hand_to_sales(lead=lead, by=None, reason="hot")
    services.claim_lead(lead=Lead.objects.get(pk=lead.pk), by=alice)
    time_machine.move_to(msk("2026-02-02 10:10"), tick=False)
    services.log_activity(lead=lead, kind=ActivityKind.CALL, by=alice)
    (team,) = run("speed", head, **january).table("team").rows
    assert (team["leads"], team["within"], team["median"]) == (1, 1, Decimal("10.0"))
    assert run("speed", head, start="2026-02-01", end="2026-02-28").table("team").rows == []


def test_filters_combine(world, head, alice, admin_user, web_form, partner):
    # January, as the head: all filters at once narrow to alice's spring leads from the web form, Yandex, cpc:
    # Ivan and Olga, both converted. Each further slice that matches nothing gives 0 leads, not an error.
    # The form sent no utm_medium: a lead's medium is then its source's (Yandex: cpc), as the spend's is.
    spring = world["spring"]
    base = {"start": "2026-01-01", "end": "2026-01-31", "team": str(alice.team_id), "manager": str(alice.pk),
            "source": str(spring.source_id), "campaign": str(spring.pk), "form": str(web_form.pk), "medium": "cpc"}

    def total(user: User, **params: str) -> tuple:
        (row,) = run("conversion", user, **params).table("total").rows or [{"leads": 0, "clients": 0}]
        return row["leads"], row["clients"]

    assert total(head, **base) == (2, 2)
    assert total(head, **{**base, "manager": ""}) == (4, 2)
    assert total(head, **{**base, "medium": "email"}) == (0, 0)
    assert total(head, **{**base, "partner": str(partner[0].pk)}) == (0, 0)
    assert total(head, **{**base, "end": "2026-01-14"}) == (1, 1)  # Ivan only
    # Costs with campaign, source and medium: the spend is the campaign's, January's 7,000 over its 4 leads.
    (row,) = run("costs", admin_user, start="2026-01-01", end="2026-01-31", campaign=str(spring.pk),
                 source=str(spring.source_id), medium="cpc").table("campaigns").rows
    assert (row["spend"], row["leads"], row["cpl"]) == (Decimal("7000.00"), 4, Decimal("1750.00"))


def test_tasks_closed_by_refusing_converting_or_deferring_are_not_tasks_done(admin_user, alice, make_lead):
    # Alice has four leads, each with its first task "Call the lead". She calls one and completes its task (done: 1);
    # she refuses one, converts one and defers one without doing their tasks: those close, but are no work done.
    from datetime import timedelta

    from leadflow.leads.models import Task

    leads = [make_lead(owner=alice) for _ in range(4)]
    services.complete_task(task=Task.objects.get(lead=leads[0]), result="Called, agreed a meeting", by=alice)
    services.refuse_lead(lead=leads[1], reason=LostReason.objects.order_by("pk").first(), by=alice)
    services.convert_lead(lead=leads[2], by=alice)
    services.defer_lead(lead=leads[3], until=datetime.now(MOSCOW).date() + timedelta(days=30), by=alice)
    assert Task.objects.filter(assignee=alice, completed_at__isnull=False).count() == 4
    today = datetime.now(MOSCOW).date().isoformat()
    (row,) = [r for r in run("managers", admin_user, start=today, end=today).table("leads").rows
              if r["manager"] == "Alice"]
    assert row["tasks_done"] == 1
