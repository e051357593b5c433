"""Spend imported from an ad platform's CSV: the budget the cost report divides is what the file says."""

from datetime import date
from decimal import Decimal

from leadflow.marketing.models import Campaign, CampaignSpend
from leadflow.marketing.services import import_spend


def test_rows_of_one_campaign_and_day_add_up(db):
    # An export per ad group gives a campaign several rows a day: 3 Jan = 120 + 30 clicks, 14,400 + 3,600.50 cost.
    Campaign.objects.create(name="Spring", utm_campaign="spring")
    result = import_spend(text="campaign,day,clicks,cost\nspring,2026-01-03,120,14400\nspring,2026-01-04,10,100\n"
                               "Spring,2026-01-03,30,3600.50\n")
    assert (result.saved, result.errors) == (2, {})
    assert sorted(CampaignSpend.objects.values_list("day", "clicks", "cost")) == [
        (date(2026, 1, 3), 150, Decimal("18000.50")), (date(2026, 1, 4), 10, Decimal("100.00"))]
    # The same file again replaces those days: still 150 clicks and 18,000.50, not twice as much.
    assert import_spend(text="campaign,day,clicks,cost\nspring,2026-01-03,120,14400\n"
                             "spring,2026-01-03,30,3600.50\n").saved == 1
    assert CampaignSpend.objects.get(day=date(2026, 1, 3)).cost == Decimal("18000.50")


def test_a_day_adding_up_past_what_the_column_holds_is_refused(db):
    Campaign.objects.create(name="Spring", utm_campaign="spring")
    result = import_spend(text="campaign,day,clicks,cost\nspring,2026-01-03,1,600000000000\n"
                               "spring,2026-01-03,1,600000000000\n")
    assert result.saved == 0
    assert list(result.errors) == ["line 3"]
    assert CampaignSpend.objects.count() == 0


def test_the_admin_refuses_an_extra_cost_ending_before_it_starts(admin_client):
    # The report spreads an extra cost over its days: one ending before it starts would silently count nothing.
    from leadflow.marketing.models import ExtraCost

    response = admin_client.post("/admin/marketing/extracost/add/", {
        "name": "CRM licence", "starts_on": "2026-01-31", "ends_on": "2026-01-01", "amount": "3100"})
    assert response.status_code == 200
    assert "The last day is before the first." in response.content.decode()
    response = admin_client.post("/admin/marketing/extracost/add/", {
        "name": "CRM licence", "starts_on": "2026-01-01", "ends_on": "2026-01-31", "amount": "-5"})
    assert "An amount cannot be negative." in response.content.decode()
    assert ExtraCost.objects.count() == 0
    response = admin_client.post("/admin/marketing/campaignspend/add/", {
        "campaign": Campaign.objects.create(name="Spring", utm_campaign="spring").pk, "day": "2026-01-03",
        "clicks": "10", "cost": "-100"})
    assert "A cost cannot be negative." in response.content.decode()
    assert CampaignSpend.objects.count() == 0


def test_a_russian_excel_export_is_read_as_excel_wrote_it(db, django_user_model):
    # Excel in Russian saves "CSV (разделители - точки с запятой)": windows-1251, ';' between cells, days as
    # 24.11.2026 and amounts as "14 400,50" with a no-break space between the thousands.
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client as HttpClient

    Campaign.objects.create(name="Весна", utm_campaign="vesna")
    marketer = django_user_model.objects.create_user(username="mary", password="pw", role="marketer")
    browser = HttpClient()
    browser.force_login(marketer)
    text = "campaign;day;clicks;cost\r\nВесна;03.01.2026;120;14\u00a0400,50\r\nvesna;04.01.2026;10;100\r\n"
    upload = SimpleUploadedFile("spend.csv", text.encode("cp1251"))
    response = browser.post("/analytics/costs/spend/", {"file": upload}, follow=True)
    assert "2 day(s) of spend imported." in response.content.decode()
    assert sorted(CampaignSpend.objects.values_list("day", "clicks", "cost")) == [
        (date(2026, 1, 3), 120, Decimal("14400.50")), (date(2026, 1, 4), 10, Decimal("100.00"))]


def test_a_day_neither_iso_nor_russian_names_both_forms(db):
    Campaign.objects.create(name="Spring", utm_campaign="spring")
    result = import_spend(text="campaign,day,clicks,cost\nspring,03/01/2026,1,10\n")
    assert result.errors == {"line 2": ["day: expected YYYY-MM-DD or DD.MM.YYYY"]}
    assert CampaignSpend.objects.count() == 0
