"""Who may see which report (pages, API, command), and the exports of the same figures."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as HttpClient
from openpyxl import load_workbook

from leadflow.accounts.models import Role, User
from leadflow.analytics.tests.builders import make
from leadflow.leads.models import LostReason
from leadflow.marketing.models import Campaign, CampaignSpend
from leadflow.marketing.services import import_spend


@pytest.fixture
def marketer(db: None) -> User:
    return User.objects.create_user(username="mary", password="pw", role=Role.MARKETER, first_name="Mary")


def logged_in(user: User) -> HttpClient:
    client = HttpClient()
    client.force_login(user)
    return client


def recent(hours: int = 2):
    from django.utils import timezone

    return timezone.now() - timedelta(hours=hours)


@pytest.fixture
def spread(alice, bob, carol, sales, other_team):
    """Two leads of alice, one of bob, two of carol's team, all created two hours ago."""
    return {
        "alice": [make(created=recent(), owner=alice, team=sales, name=f"Alice lead {n}", sla_due=recent(1))
                  for n in range(2)],
        "bob": [make(created=recent(), owner=bob, team=sales, name="Bob lead", sla_due=recent(1))],
        "carol": [make(created=recent(), owner=carol, team=other_team, name=f"Carol lead {n}", sla_due=recent(1))
                  for n in range(2)],
    }


def leads_counted(response) -> int:
    steps = response.json()["tables"][0]["rows"]
    return next(row["count"] for row in steps if row["step"] == "Leads")


def test_each_role_counts_only_its_own_scope(api_as, spread, head, alice, admin_user, marketer):
    assert leads_counted(api_as(admin_user).get("/api/analytics/funnel")) == 5
    assert leads_counted(api_as(head).get("/api/analytics/funnel")) == 3
    assert leads_counted(api_as(alice).get("/api/analytics/funnel")) == 2
    assert leads_counted(api_as(marketer).get("/api/analytics/funnel")) == 5


def test_a_manager_cannot_ask_for_a_colleagues_figures(api_as, spread, alice, bob):
    response = api_as(alice).get(f"/api/analytics/funnel?manager={bob.pk}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_head_cannot_slice_by_another_team_or_its_people(api_as, spread, head, carol, other_team):
    assert api_as(head).get(f"/api/analytics/funnel?team={other_team.pk}").status_code == 403
    assert api_as(head).get(f"/api/analytics/speed?manager={carol.pk}").status_code == 403


def test_marketer_gets_marketing_reports_but_not_speed_or_managers(api_as, spread, marketer):
    client = api_as(marketer)
    assert {r["key"] for r in client.get("/api/analytics").json()} == {"funnel", "conversion", "refusals", "costs"}
    assert client.get("/api/analytics/speed").status_code == 403
    assert client.get("/api/analytics/managers").status_code == 403
    assert logged_in(marketer).get("/analytics/speed/").status_code == 403


def test_marketer_sees_no_lead_names(api_as, marketer, alice, sales):
    make(created=recent(), owner=alice, team=sales, name="Secret Person", state="deferred",
         deferred_until=date.today() + timedelta(days=5))
    make(created=recent(), owner=alice, team=sales, name="Refused Person", state="refused",
         lost_reason=LostReason.objects.first(), refused_at=recent(1))
    for key in ("funnel", "conversion", "refusals", "costs"):
        body = api_as(marketer).get(f"/api/analytics/{key}").content.decode()
        assert "Secret Person" not in body and "Refused Person" not in body, key
    deferred = api_as(marketer).get("/api/analytics/refusals").json()["tables"][-1]
    assert deferred["rows"] == [{"until": (date.today() + timedelta(days=5)).isoformat(), "count": 1}]


def test_a_manager_sees_only_own_breaches(api_as, spread, alice):
    body = api_as(alice).get("/api/analytics/speed").json()
    breaches = next(t for t in body["tables"] if t["key"] == "breaches")
    assert sorted(row["lead"] for row in breaches["rows"]) == ["Alice lead 0", "Alice lead 1"]


def test_bad_filter_names_the_field(api_as, admin_user):
    response = api_as(admin_user).get("/api/analytics/funnel?start=2026-13-01&team=x&interval=year")
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"start", "team", "interval"}
    page = logged_in(admin_user).get("/analytics/funnel/?start=yesterday")
    assert page.status_code == 422
    assert "Expected a date as YYYY-MM-DD" in page.content.decode()


def test_unknown_report_is_404(api_as, admin_user):
    assert api_as(admin_user).get("/api/analytics/nothing").status_code == 404
    assert logged_in(admin_user).get("/analytics/nothing/").status_code == 404


def test_pages_render_tables_charts_and_escape_names(spread, head, alice, sales):
    make(created=recent(), owner=alice, team=sales, name="<script>alert(1)</script>", sla_due=recent(1))
    client = logged_in(head)
    dashboard = client.get("/analytics/")
    assert dashboard.status_code == 200
    html = client.get("/analytics/speed/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert 'data-chart="chart-speed-manager"' in html and 'id="chart-speed-manager"' in html
    assert "chart-4.6.1.umd.min.js" in html
    for key in ("funnel", "conversion", "managers", "refusals", "costs"):
        assert client.get(f"/analytics/{key}/").status_code == 200, key
    assert logged_in(alice).get("/analytics/costs/").status_code == 403  # test_cost_and_payout_access.py


def test_csv_export_keeps_formulas_as_text(head, alice, sales):
    make(created=recent(), owner=alice, team=sales, name='=HYPERLINK("http://evil","x")', sla_due=recent(1))
    response = logged_in(head).get("/analytics/speed/export.csv?table=breaches")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Lead"
    assert rows[1][0] == "'=HYPERLINK(\"http://evil\",\"x\")"


def test_xlsx_export_has_a_sheet_per_table_with_the_figures(api_as, admin_user, sales):
    campaign = Campaign.objects.create(name="Spring", utm_campaign="spring")
    today = date.today()
    CampaignSpend.objects.create(campaign=campaign, day=today, clicks=200, cost=Decimal("24000"))
    for _ in range(20):
        make(created=recent(), campaign=campaign, team=sales, name="=1+1")
    response = api_as(admin_user).get(f"/api/analytics/costs/export?format=xlsx&campaign={campaign.pk}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Totals", "By campaign", "Over time"]
    sheet = book["By campaign"]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert (row["Campaign"], row["Clicks"], row["Leads"]) == ("Spring", 200, 20)
    assert (Decimal(str(row["Cost per lead"])), Decimal(str(row["Site conversion (leads / clicks), %"]))) == (
        Decimal("1200"), Decimal("10"))


def test_report_command_prints_the_same_figures(admin_user, alice, sales, capsys, tmp_path):
    make(created=recent(), owner=alice, team=sales)
    call_command("report", "funnel", "--as", "admin", "--format", "json")
    body = json.loads(capsys.readouterr().out)
    assert next(r["count"] for r in body["tables"][0]["rows"] if r["step"] == "Leads") == 1
    call_command("report", "managers", "--as", "alice", "--format", "csv", "--table", "leads")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Manager,Open leads now")
    assert out[1].startswith("Alice,1,1,0")
    target = tmp_path / "speed.xlsx"
    call_command("report", "speed", "--as", "admin", "--format", "xlsx", "--output", str(target))
    assert load_workbook(target).sheetnames[0] == "By manager"
    with pytest.raises(CommandError, match="may not see the costs report"):
        call_command("report", "costs", "--as", "alice")
    with pytest.raises(CommandError, match="start: Expected a date"):
        call_command("report", "funnel", "--as", "admin", "--from", "soon")


def test_spend_import_checks_every_row_before_saving(db):
    Campaign.objects.create(name="Spring sale", utm_campaign="spring")
    bad = import_spend(text="campaign,day,clicks,cost\nspring,2026-01-03,120,14400\nautumn,2026-01-32,x,-5\n")
    assert bad.saved == 0
    assert set(bad.errors) == {"line 3"}
    assert len(bad.errors["line 3"]) == 4
    assert CampaignSpend.objects.count() == 0
    good = import_spend(
        text='campaign,day,clicks,cost\nspring,2026-01-03,120,14400\nSpring sale,2026-01-04,80,"9600,50"\n')
    assert good.saved == 2 and not good.errors
    again = import_spend(text="campaign,day,clicks,cost\nspring,2026-01-03,100,12000\n")
    assert again.saved == 1
    assert sorted(CampaignSpend.objects.values_list("day", "clicks", "cost")) == [
        (date(2026, 1, 3), 100, Decimal("12000.00")), (date(2026, 1, 4), 80, Decimal("9600.50"))]
    assert import_spend(text="name,day\n").errors == {"header": ["Missing columns: campaign, clicks, cost."]}


def test_marketer_uploads_spend_from_the_costs_page_and_managers_cannot(marketer, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    Campaign.objects.create(name="Spring", utm_campaign="spring")
    csv_file = SimpleUploadedFile("spend.csv", b"campaign,day,clicks,cost\nspring,2026-01-03,200,24000\n")
    response = logged_in(marketer).post("/analytics/costs/spend/", {"file": csv_file}, follow=True)
    assert "1 day(s) of spend imported." in response.content.decode()
    assert list(CampaignSpend.objects.values_list("clicks", "cost")) == [(200, Decimal("24000.00"))]
    bad = SimpleUploadedFile("spend.csv", b"campaign,day,clicks,cost\nspring,2026-01-32,200,24000\n")
    response = logged_in(marketer).post("/analytics/costs/spend/", {"file": bad}, follow=True)
    assert "line 2: day: expected YYYY-MM-DD or DD.MM.YYYY" in response.content.decode()
    other = SimpleUploadedFile("spend.csv", b"campaign,day,clicks,cost\nspring,2026-01-04,1,1\n")
    assert logged_in(alice).post("/analytics/costs/spend/", {"file": other}).status_code == 404
    assert CampaignSpend.objects.count() == 1


def test_a_russian_marketer_reads_where_the_spend_file_is_wrong_in_russian(marketer):
    """The message said "Ничего не импортировано. line 2: day: …": the place of each error was English."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    Campaign.objects.create(name="Spring", utm_campaign="spring")
    marketer.language = "ru"
    marketer.save(update_fields=["language"])
    bad = SimpleUploadedFile("spend.csv", b"campaign,day,clicks,cost\nspring,2026-01-32,200,24000\n")
    shown = logged_in(marketer).post("/analytics/costs/spend/", {"file": bad}, follow=True).content.decode()
    assert "строка 2: day: ожидается дата в формате ГГГГ-ММ-ДД или ДД.ММ.ГГГГ" in shown
    assert "line 2" not in shown
    headless = SimpleUploadedFile("spend.csv", b"campaign;day;cost\nspring;2026-01-03;1\n")
    shown = logged_in(marketer).post("/analytics/costs/spend/", {"file": headless}, follow=True).content.decode()
    assert "заголовок: " in shown and "header:" not in shown
