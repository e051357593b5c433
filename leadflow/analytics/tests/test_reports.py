"""Each report's figures against small data whose expected numbers are counted by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from leadflow.accounts.models import Role, User
from leadflow.analytics import reports
from leadflow.analytics.filters import parse_filter
from leadflow.analytics.tests.builders import at, make
from leadflow.clients.models import Client, Deal
from leadflow.intake.models import Submission
from leadflow.leads.models import Activity, Interest, LostReason, Task
from leadflow.marketing.models import Campaign, CampaignSpend, ExtraCost, Source

NOW = at("2026-03-15 12:00")


def run(key: str, user: User, **params: str):
    return reports.build(key, parse_filter(params, user, now=NOW), user)


def rows(report, table: str) -> list[dict]:
    return report.table(table).rows


@pytest.fixture
def marketer(db: None) -> User:
    return User.objects.create_user(username="mary", password="pw", role=Role.MARKETER)


@pytest.fixture
def direct(db: None) -> Campaign:
    source = Source.objects.create(name="Yandex", utm_source="yandex", medium="cpc")
    return Campaign.objects.create(name="Spring", utm_campaign="spring", source=source)


def test_domain_example_200_clicks_at_120_and_20_leads(admin_user, direct, sales):
    # DOMAIN.md 21: 200 clicks at 120 = 24,000; 20 leads; conversion 10 %; cost per lead 1,200.
    CampaignSpend.objects.create(campaign=direct, day=date(2026, 1, 3), clicks=120, cost=Decimal("14400"))
    CampaignSpend.objects.create(campaign=direct, day=date(2026, 1, 7), clicks=80, cost=Decimal("9600"))
    CampaignSpend.objects.create(campaign=direct, day=date(2026, 2, 1), clicks=999, cost=Decimal("1"))  # outside
    for n in range(20):
        make(created=at(f"2026-01-{1 + n % 10:02d} 10:00"), campaign=direct, team=sales)
    make(created=at("2026-01-05 10:00"), team=sales)  # no campaign: not in the campaign's row

    report = run("costs", admin_user, start="2026-01-01", end="2026-01-10", campaign=str(direct.pk))

    (row,) = rows(report, "campaigns")
    assert (row["clicks"], row["spend"], row["leads"]) == (200, Decimal("24000"), 20)
    assert row["cpc"] == Decimal("120.00")
    assert row["site_conversion"] == Decimal("10.0")
    assert row["cpl"] == Decimal("1200.00")


def test_site_conversion_counts_only_leads_that_came_through_the_clicks(admin_user, direct, sales):
    # 100 clicks bought on 5 January brought 4 leads; 3 more came without a campaign (a newsletter, a call).
    # Site conversion = leads from those clicks / clicks = 4 / 100 = 4.0 % (it said 7 / 100 = 7.0 %, and a day
    # with few clicks showed over 100 %); cost per lead stays the total budget over all leads: 5,000 / 7.
    CampaignSpend.objects.create(campaign=direct, day=date(2026, 1, 5), clicks=100, cost=Decimal("5000"))
    for _ in range(4):
        make(created=at("2026-01-05 10:00"), campaign=direct, team=sales)
    for _ in range(3):
        make(created=at("2026-01-05 11:00"), team=sales)

    report = run("costs", admin_user, start="2026-01-01", end="2026-01-10", interval="day")

    (total,) = rows(report, "total")
    assert (total["clicks"], total["leads"], total["site_conversion"]) == (100, 7, Decimal("4.0"))
    assert total["cpl"] == Decimal("714.29")
    day = next(row for row in rows(report, "series") if row["period"] == date(2026, 1, 5))
    assert (day["clicks"], day["leads"], day["site_conversion"]) == (100, 7, Decimal("4.0"))


def test_cost_per_qualified_lead_client_revenue_and_return(admin_user, direct, sales):
    CampaignSpend.objects.create(campaign=direct, day=date(2026, 1, 2), clicks=200, cost=Decimal("24000"))
    # 10 leads: 4 reached "qualified", 2 converted (qualified by converting), 4 never moved.
    for _n in range(4):
        make(created=at("2026-01-02 10:00"), campaign=direct, stages=("contacted", "qualified"))
    converted = [make(created=at("2026-01-02 10:00"), campaign=direct, converted_after=timedelta(days=3))
                 for _ in range(2)]
    for _n in range(4):
        make(created=at("2026-01-02 10:00"), campaign=direct, stages=("contacted",))
    for lead, amounts in zip(converted, [("40000", "5000"), ("15000",)], strict=True):
        client = Client.objects.create(name=lead.full_name, lead=lead)
        for amount in amounts:
            Deal.objects.create(client=client, amount=Decimal(amount), closed_at=at("2026-01-20 10:00"))
    # 3,100 over the 31 days of January: 10 of them fall in the period, so 1,000 joins the budget.
    ExtraCost.objects.create(name="CRM licence", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 31),
                             amount=Decimal("3100"))

    report = run("costs", admin_user, start="2026-01-01", end="2026-01-10")

    (row,) = rows(report, "campaigns")
    assert (row["leads"], row["qualified"], row["clients"]) == (10, 6, 2)
    assert row["cpql"] == Decimal("4000.00")
    assert row["cost_per_client"] == Decimal("12000.00")
    assert row["revenue"] == Decimal("60000")
    assert row["revenue_per_client"] == Decimal("30000.00")
    assert row["romi"] == Decimal("150.0")  # (60,000 - 24,000) / 24,000
    (total,) = rows(report, "total")
    assert total["extra"] == Decimal("1000.00")
    assert total["spend"] == Decimal("25000.00")
    assert total["cpl"] == Decimal("2500.00")
    # The row is "All" campaigns; its heading said "Budget", so the table read "Budget ... Clicks, Budget".
    headings = [str(column.label) for column in report.table("total").columns]
    assert len(headings) == len(set(headings)), headings


def test_funnel_counts_each_ring_and_step_conversion(admin_user, direct, sales):
    CampaignSpend.objects.create(campaign=direct, day=date(2026, 2, 10), clicks=100, cost=Decimal("1000"))
    Interest.objects.create(channel="form", reason="no name", created_at=at("2026-02-11 10:00"))
    Interest.objects.create(channel="form", reason="no name", created_at=at("2026-02-12 10:00"))
    for _ in range(5):  # the leads of the bought clicks; the other five came by no campaign
        make(created=at("2026-02-10 10:00"), team=sales, campaign=direct)
    make(created=at("2026-02-10 10:00"), team=sales, stages=("contacted", "qualified"))
    make(created=at("2026-02-10 10:00"), team=sales, stages=("contacted", "qualified", "proposal"))
    renewing = make(created=at("2026-02-11 10:00"), team=sales, converted_after=timedelta(days=2))
    make(created=at("2026-02-11 10:00"), team=sales, converted_after=timedelta(days=4))
    make(created=at("2026-02-11 10:00"), team=sales, stages=("contacted", "qualified"), state="refused")
    client = Client.objects.create(name="R", lead=renewing)
    Deal.objects.create(client=client, amount=Decimal("10"), closed_at=at("2026-02-13 10:00"))
    Deal.objects.create(client=client, amount=Decimal("10"), closed_at=at("2026-03-01 10:00"))

    report = run("funnel", admin_user, start="2026-02-01", end="2026-02-28")

    steps = {row["key"]: (row["count"], row["conversion"]) for row in rows(report, "steps")}
    assert steps == {
        "traffic": (100, None), "interests": (2, Decimal("2.0")), "leads": (10, Decimal("5.0")),
        "qualified": (5, Decimal("50.0")), "clients": (2, Decimal("40.0")), "renewing": (1, Decimal("50.0")),
    }
    # Marketing view: leads by the furthest stage reached (the refused one reached "qualified").
    reached = {row["stage"]: row["count"] for row in rows(report, "stages")}
    assert reached == {"New": 10, "Contacted": 5, "Qualified": 5, "Proposal sent": 3, "Negotiation": 2,
                       "Converted": 2}


def test_the_funnel_and_the_cost_report_give_one_conversion_from_traffic(admin_user, direct, sales):
    # 100 clicks brought 4 leads; 3 more came by phone with no campaign. The funnel said 7 / 100 = 7 % from traffic
    # where the cost report's site conversion said 4 %: one figure, two pages, two answers.
    CampaignSpend.objects.create(campaign=direct, day=date(2026, 1, 5), clicks=100, cost=Decimal("5000"))
    for _ in range(4):
        make(created=at("2026-01-05 10:00"), campaign=direct, team=sales)
    for _ in range(3):
        make(created=at("2026-01-05 11:00"), team=sales)

    funnel = {row["key"]: row for row in rows(run("funnel", admin_user, start="2026-01-01", end="2026-01-10"), "steps")}
    (total,) = rows(run("costs", admin_user, start="2026-01-01", end="2026-01-10"), "total")

    assert (funnel["leads"]["count"], funnel["leads"]["conversion"]) == (7, Decimal("4.0"))
    assert funnel["leads"]["conversion"] == total["site_conversion"]
    # A team's slice has no traffic: its leads have no conversion from it.
    sliced = {row["key"]: row for row in rows(run("funnel", admin_user, start="2026-01-01", end="2026-01-10",
                                                   team=str(sales.pk)), "steps")}
    assert (sliced["traffic"]["count"], sliced["leads"]["count"], sliced["leads"]["conversion"]) == (None, 7, None)


def test_a_lead_at_23_30_local_belongs_to_that_local_day(admin_user, sales):
    make(created=at("2026-01-10 23:30"), team=sales)  # 20:30 UTC on the 10th
    make(created=at("2026-01-11 00:30"), team=sales)  # 21:30 UTC on the 10th, but the 11th in Moscow

    report = run("funnel", admin_user, start="2026-01-10", end="2026-01-11", interval="day")
    series = [(row["period"], row["leads"]) for row in rows(report, "series")]
    assert series == [(date(2026, 1, 10), 1), (date(2026, 1, 11), 1)]
    two_days = run("funnel", admin_user, start="2026-01-09", end="2026-01-10", interval="day")
    assert [(r["period"], r["leads"]) for r in rows(two_days, "series")] == [
        (date(2026, 1, 9), 0), (date(2026, 1, 10), 1)]

    one_day = run("funnel", admin_user, start="2026-01-11", end="2026-01-11")
    assert rows(one_day, "steps")[2]["count"] == 1

    admin_user.time_zone = "UTC"
    in_utc = run("funnel", admin_user, start="2026-01-10", end="2026-01-11")
    assert [(row["period"], row["leads"]) for row in rows(in_utc, "series")] == [
        (date(2026, 1, 10), 2), (date(2026, 1, 11), 0)]


def test_series_by_week_and_month(admin_user, sales):
    make(created=at("2026-01-05 10:00"), team=sales)  # Monday
    make(created=at("2026-01-11 22:00"), team=sales)  # Sunday, same ISO week
    make(created=at("2026-01-12 01:00"), team=sales)  # next Monday
    make(created=at("2026-02-01 00:10"), team=sales)

    weekly = run("funnel", admin_user, start="2026-01-01", end="2026-02-28", interval="week")
    # The weeks start on Monday 29 December (the week of 1 January); empty weeks are shown as 0.
    assert [(r["period"], r["leads"]) for r in rows(weekly, "series")] == [
        (date(2025, 12, 29), 0), (date(2026, 1, 5), 2), (date(2026, 1, 12), 1), (date(2026, 1, 19), 0),
        (date(2026, 1, 26), 1), (date(2026, 2, 2), 0), (date(2026, 2, 9), 0), (date(2026, 2, 16), 0),
        (date(2026, 2, 23), 0)]
    monthly = run("funnel", admin_user, start="2026-01-01", end="2026-02-28", interval="month")
    assert [(r["period"], r["leads"]) for r in rows(monthly, "series")] == [
        (date(2026, 1, 1), 3), (date(2026, 2, 1), 1)]


def test_conversion_percent_median_and_90th_percentile(admin_user, alice, bob, sales, direct):
    for days_to_convert in (1, 2, 3):
        make(created=at("2026-01-05 10:00"), owner=alice, team=sales, campaign=direct,
             converted_after=timedelta(days=days_to_convert))
    for days_to_convert in (4, 10):
        make(created=at("2026-02-05 10:00"), owner=bob, team=sales, converted_after=timedelta(days=days_to_convert))
    for _ in range(5):
        make(created=at("2026-02-06 10:00"), owner=bob, team=sales)

    report = run("conversion", admin_user, start="2026-01-01", end="2026-02-28")

    (total,) = rows(report, "total")
    assert (total["leads"], total["clients"], total["conversion"]) == (10, 5, Decimal("50.0"))
    assert (total["median_days"], total["p90_days"]) == (Decimal("3.0"), Decimal("10.0"))
    by_manager = {r["label"]: (r["leads"], r["conversion"], r["median_days"], r["p90_days"])
                  for r in rows(report, "manager")}
    assert by_manager == {"Alice": (3, Decimal("100.0"), Decimal("2.0"), Decimal("3.0")),
                          "Bob": (7, Decimal("28.6"), Decimal("4.0"), Decimal("10.0"))}
    by_campaign = {str(r["label"]): r["leads"] for r in rows(report, "campaign")}
    assert by_campaign == {"Spring": 3, "(none)": 7}
    months = [(r["label"], r["leads"], r["clients"]) for r in rows(report, "month")]
    assert months == [(date(2026, 1, 1), 3, 3), (date(2026, 2, 1), 7, 2)]
    # Each month has its time to convert too (on SQLite the month's key never met it: always "—").
    speed = [(r["median_days"], r["p90_days"]) for r in rows(report, "month")]
    assert speed == [(Decimal("2.0"), Decimal("3.0")), (Decimal("4.0"), Decimal("10.0"))]


def test_cohorts_count_conversions_by_month_after_creation(admin_user, sales):
    make(created=at("2026-01-20 10:00"), team=sales, converted_after=timedelta(days=5))   # January
    make(created=at("2026-01-20 10:00"), team=sales, converted_after=timedelta(days=20))  # February
    make(created=at("2026-01-20 10:00"), team=sales)
    make(created=at("2026-01-31 23:30"), team=sales)  # still January in Moscow

    report = run("conversion", admin_user, start="2026-01-01", end="2026-01-31")

    (row,) = rows(report, "cohorts")
    assert row["month"] == date(2026, 1, 1)
    assert row["leads"] == 4
    assert (row["m0"], row["m1"], row["m2"]) == (Decimal("25.0"), Decimal("50.0"), Decimal("50.0"))
    assert row["m3"] is None  # April has not come yet (now is 15 March)


def test_speed_to_lead_share_within_sla_and_breaches(admin_user, alice, bob, sales):
    due = timedelta(minutes=15)
    # Alice: contacted after 5 and 10 minutes (within), and after 30 (late).
    for minutes_taken in (5, 10, 30):
        arrived = at("2026-03-02 10:00")
        make(created=arrived, owner=alice, team=sales, sla_due=arrived + due,
             first_contacted_at=arrived + timedelta(minutes=minutes_taken), name=f"A{minutes_taken}")
    # Bob: one within, one never contacted and past its deadline.
    make(created=at("2026-03-03 10:00"), owner=bob, team=sales, sla_due=at("2026-03-03 10:15"),
         first_contacted_at=at("2026-03-03 10:15"), name="B-ok")
    make(created=at("2026-03-04 10:00"), owner=bob, team=sales, sla_due=at("2026-03-04 10:15"), name="B-late")
    # Arrived a minute before NOW: not called yet, but its deadline has not passed: not counted in the share.
    make(created=at("2026-03-15 11:59"), owner=bob, team=sales, sla_due=at("2026-03-15 12:14"), name="B-new")

    report = run("speed", admin_user, start="2026-03-01", end="2026-03-15")

    by_manager = {r["label"]: (r["leads"], r["contacted"], r["within"], r["share"], r["median"], r["p90"])
                  for r in rows(report, "manager")}
    assert by_manager == {
        "Alice": (3, 3, 2, Decimal("66.7"), Decimal("10.0"), Decimal("30.0")),
        "Bob": (3, 1, 1, Decimal("50.0"), Decimal("15.0"), Decimal("15.0")),
    }
    (team,) = rows(report, "team")
    assert (team["label"], team["leads"], team["within"], team["share"]) == ("Sales", 6, 3, Decimal("60.0"))
    breaches = [(r["lead"], r["late"]) for r in rows(report, "breaches")]
    # B-late is still waiting at NOW (15 March 12:00): 11 days 1 h 45 min past 4 March 10:15.
    assert breaches == [("B-late", Decimal(str(11 * 24 * 60 + 105))), ("A30", Decimal("15.0"))]


def test_managers_work_for_lead_and_client_owner_separately(admin_user, head, alice, bob, sales):
    full = make(created=at("2026-03-02 10:00"), owner=alice, team=sales, phone="+79120000001",
                email="a@example.ru", company_name="Acme", position="CEO", city="Moscow",
                product_interest="pumps", deal_type="retail")  # 8 of 8
    make(created=at("2026-03-03 10:00"), owner=alice, team=sales, phone="+79120000002")  # 2 of 8
    make(created=at("2026-03-03 10:00"), owner=alice, team=sales, converted_after=timedelta(days=1))  # 1 of 8
    make(created=at("2026-01-03 10:00"), owner=alice, team=sales)  # before the period, still open
    Task.objects.create(lead=full, assignee=alice, title="t", due_at=at("2026-03-03 10:00"),
                        completed_at=at("2026-03-03 11:00"))
    Task.objects.create(lead=full, assignee=alice, title="t", due_at=at("2026-03-10 10:00"))  # overdue now
    Task.objects.create(lead=full, assignee=alice, title="t", due_at=at("2026-03-20 10:00"))  # not yet due
    Activity.objects.create(lead=full, kind="call", author=alice, occurred_at=at("2026-03-02 11:00"))
    Activity.objects.create(lead=full, kind="system", author=alice, occurred_at=at("2026-03-02 11:00"))
    # Bob owns the client made from Alice's lead: client figures go to Bob.
    client = Client.objects.create(name="Acme", owner=bob, team=sales, lead=full)
    Client.objects.filter(pk=client.pk).update(created_at=at("2026-03-05 10:00"))
    Task.objects.create(client=client, assignee=bob, title="t", due_at=at("2026-03-06 10:00"),
                        completed_at=at("2026-03-06 10:00"))
    Activity.objects.create(client=client, kind="meeting", author=bob, occurred_at=at("2026-03-06 10:00"))

    report = run("managers", head, start="2026-03-01", end="2026-03-15")

    lead_rows = {r["manager"]: r for r in rows(report, "leads")}
    alice_row = lead_rows["Alice"]
    assert (alice_row["open"], alice_row["new"], alice_row["converted"], alice_row["conversion"]) == (
        3, 3, 1, Decimal("33.3"))
    assert (alice_row["tasks_done"], alice_row["tasks_overdue"], alice_row["activities"]) == (1, 1, 1)
    assert alice_row["completeness"] == Decimal("45.8")  # (8 + 2 + 1) / 3 of 8 fields
    assert (lead_rows["Bob"]["new"], lead_rows["Bob"]["completeness"]) == (0, None)
    client_rows = {r["manager"]: r for r in rows(report, "clients")}
    bob_row = client_rows["Bob"]
    assert (bob_row["open"], bob_row["new"], bob_row["tasks_done"], bob_row["activities"]) == (1, 1, 1, 1)
    assert bob_row["completeness"] == Decimal("7.7")  # the name only: 1 of 13
    assert client_rows["Alice"]["open"] == 0


def test_refusals_by_reason_source_and_manager_and_deferred(head, alice, bob, sales, direct):
    expensive = LostReason.objects.get(name="Too expensive")
    no_need = LostReason.objects.get(name="No need")
    for owner, reason, source in ((alice, expensive, direct.source), (alice, expensive, None),
                                  (bob, no_need, direct.source)):
        make(created=at("2026-02-01 10:00"), owner=owner, team=sales, state="refused", lost_reason=reason,
             source=source, refused_at=at("2026-03-02 10:00"))
    make(created=at("2026-02-01 10:00"), owner=bob, team=sales, state="refused", lost_reason=no_need,
         refused_at=at("2026-01-02 10:00"))  # refused before the period
    make(created=at("2026-02-01 10:00"), owner=bob, team=sales, state="deferred", name="Later",
         deferred_until=date(2026, 4, 1))

    report = run("refusals", head, start="2026-03-01", end="2026-03-15")

    assert [(r["reason"], r["count"], r["share"]) for r in rows(report, "reasons")] == [
        ("Too expensive", 2, Decimal("66.7")), ("No need", 1, Decimal("33.3"))]
    assert [(r["group"], r["reason"], r["count"]) for r in rows(report, "by_manager")] == [
        ("Alice", "Too expensive", 2), ("Bob", "No need", 1)]
    assert sorted((str(r["group"]), r["reason"], r["count"]) for r in rows(report, "by_source")) == [
        ("(none)", "Too expensive", 1), ("Yandex", "No need", 1), ("Yandex", "Too expensive", 1)]
    assert [(r["lead"], r["until"]) for r in rows(report, "deferred")] == [("Later", date(2026, 4, 1))]


def test_form_and_partner_slices_follow_the_submission_that_created_the_lead(admin_user, web_form, partner, sales):
    by_form = make(created=at("2026-03-02 10:00"), team=sales)
    by_partner = make(created=at("2026-03-02 10:00"), team=sales, channel="partner")
    make(created=at("2026-03-02 10:00"), team=sales)
    Submission.objects.create(channel="form", form=web_form, status="created", lead=by_form)
    Submission.objects.create(channel="partner", partner=partner[0], status="created", lead=by_partner)
    Submission.objects.create(channel="form", form=web_form, status="attached", lead=by_partner)  # a repeat

    def count(**slice_by: str) -> int:
        report = run("funnel", admin_user, start="2026-03-01", end="2026-03-10", **slice_by)
        return rows(report, "steps")[2]["count"]

    assert (count(), count(form=str(web_form.pk)), count(partner=str(partner[0].pk))) == (3, 1, 1)


@pytest.mark.parametrize(("language", "january"), [("en", "January 2026"), ("ru", "Январь 2026")])
def test_months_are_named_not_shown_as_their_first_day(client, admin_user, sales, language, january):
    """"By month", the cohorts and monthly series showed "2026-01-01" (or 01/01/2026) for January."""
    make(created=at("2026-01-05 10:00"), team=sales)
    admin_user.language = language
    admin_user.save()
    client.force_login(admin_user)
    for path in ("/analytics/conversion/", "/analytics/funnel/"):
        page = client.get(path, {"start": "2026-01-01", "end": "2026-02-28", "interval": "month"}).content.decode()
        assert january in page, path
        assert ">2026-01-01<" not in page and ">01/01/2026<" not in page and ">01.01.2026<" not in page, path
