"""Configuration lives in Django's admin: sources, stages, lost reasons, routing rules, users, forms."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    "accounts/user", "accounts/team", "accounts/calendarday", "marketing/source", "marketing/campaign", "leads/stage",
    "leads/lostreason", "leads/routingrule", "leads/lead", "intake/form", "intake/partner", "intake/submission",
    "clients/company", "clients/client",
]


@pytest.mark.parametrize("page", PAGES)
def test_admin_lists_and_add_forms_open(client, admin_user, make_lead, page):
    make_lead()
    client.force_login(admin_user)
    assert client.get(f"/admin/{page}/").status_code == 200
    if page != "intake/submission":
        assert client.get(f"/admin/{page}/add/").status_code == 200


def test_admin_adds_a_stage_and_a_routing_rule(client, admin_user, sales, alice):
    from leadflow.leads.models import RoutingRule, Stage

    client.force_login(admin_user)
    response = client.post("/admin/leads/stage/add/", {"code": "demo", "name": "Demo done", "position": 35,
                                                       "kind": "open", "is_qualified": "on"})
    assert response.status_code == 302
    assert Stage.objects.get(code="demo").is_qualified
    response = client.post("/admin/leads/routingrule/add/", {
        "team": sales.pk, "position": 1, "name": "Moscow", "region": "Москва", "strategy": "person",
        "assignee": alice.pk, "is_active": "on"})
    assert response.status_code == 302
    assert RoutingRule.objects.get(name="Moscow").assignee == alice


def test_managers_cannot_open_the_admin(client, alice):
    client.force_login(alice)
    assert client.get("/admin/leads/stage/").status_code == 302


def test_a_marketer_sets_up_campaigns_and_forms_in_the_admin_and_nothing_else(client, sales):
    """A marketer runs campaigns: before, their role gave no admin rights, so sources, campaigns and web forms
    could only be made by the administrator."""
    from leadflow.accounts.models import Role, User
    from leadflow.marketing.models import Campaign, Source

    mary = User.objects.create_user(username="mary", password="pw", role=Role.MARKETER)
    assert mary.is_staff  # the role lets her in; nobody has to tick "staff status"
    client.force_login(mary)
    assert client.post("/admin/marketing/source/add/", {"name": "VK Ads", "utm_source": "vk", "medium": "cpc"}
                       ).status_code == 302
    source = Source.objects.get(utm_source="vk")
    assert client.post("/admin/marketing/campaign/add/", {"name": "Осень", "utm_campaign": "autumn",
                                                          "source": source.pk}).status_code == 302
    assert Campaign.objects.get(utm_campaign="autumn").source == source
    assert client.get("/admin/intake/form/add/").status_code == 200
    assert client.get("/admin/warming/pointsrule/").status_code == 200
    # Not hers: partners (API keys), users, teams, routing, leads, stages; and no deleting a source leads point at.
    for page in ("intake/partner", "accounts/user", "accounts/team", "leads/routingrule", "leads/lead", "leads/stage"):
        assert client.get(f"/admin/{page}/").status_code == 403, page
    assert client.get(f"/admin/marketing/source/{source.pk}/delete/").status_code == 403
    index = client.get("/admin/").content.decode()
    assert "/admin/marketing/campaign/" in index and "/admin/accounts/user/" not in index


def test_an_administrator_by_role_may_configure_everything(client, sales):
    from leadflow.accounts.models import Role, User

    boss = User.objects.create_user(username="it", password="pw", role=Role.ADMIN)  # not a superuser
    client.force_login(boss)
    for page in PAGES:
        assert client.get(f"/admin/{page}/").status_code == 200, page


def test_heads_and_managers_get_no_admin_rights_from_their_role(client, head, alice):
    for person in (head, alice):
        client.force_login(person)
        assert client.get("/admin/marketing/source/").status_code in (302, 403)


def test_the_admin_names_timeline_rows_in_the_readers_language(client, admin_user, make_lead):
    """A Russian admin read "Call the lead: Иванов Иван" (the stored English title), "Activity object (51)" and
    "Request object (73)" in the lists, breadcrumbs and the selects of the calls' form."""
    from django.utils import translation

    from leadflow.leads import services
    from leadflow.leads.models import Activity, Request, Task

    lead = make_lead(first_name="Иван", last_name="Иванов")
    services.log_activity(lead=lead, kind="call", by=admin_user, subject="Первый звонок")
    request = Request.objects.create(lead=lead, channel="form")
    with translation.override("ru"):
        shown = [str(row) for row in (Task.objects.get(lead=lead), Activity.objects.get(lead=lead),
                                      Request.objects.get(pk=request.pk))]
    assert shown[0] == "Позвонить лиду: Иванов Иван"
    assert shown[1] == "Звонок: Первый звонок"
    assert shown[2].startswith("Обращение #") and "Веб-форма" in shown[2]
    client.force_login(admin_user)
    page = client.get("/admin/leads/activity/", headers={"Accept-Language": "ru"}).content.decode()
    assert "object (" not in page


def test_the_admins_columns_and_labels_are_translated(client, admin_user, sales, partner, make_lead):
    """Routing rules' "Team", partners' "Key prefix", a submission's "Form:", "Partner:", "Processed at:", a task's
    "Created by:" stood in English in a Russian admin (fields without a translated name)."""
    from leadflow.leads.models import RoutingRule, Task

    RoutingRule.objects.create(team=sales, name="Опт")
    task = Task.objects.get(lead=make_lead())
    client.force_login(admin_user)
    ru = {"Accept-Language": "ru"}
    pages = {url: client.get(url, headers=ru).content.decode() for url in (
        "/admin/leads/routingrule/", "/admin/intake/partner/", "/admin/intake/submission/add/",
        f"/admin/leads/task/{task.pk}/change/")}
    assert ">Команда<" in pages["/admin/leads/routingrule/"] and ">Team<" not in pages["/admin/leads/routingrule/"]
    assert "Начало ключа" in pages["/admin/intake/partner/"] and "Key prefix" not in pages["/admin/intake/partner/"]
    submission = pages["/admin/intake/submission/add/"]
    assert "Processed at" not in submission and "Submitted by" not in submission and ">Partner:<" not in submission
    assert "Created by" not in pages[f"/admin/leads/task/{task.pk}/change/"]
