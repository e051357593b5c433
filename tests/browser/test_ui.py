"""The sales team's pages in a real browser (issue 4): what a person sees, and what the database holds after.

Leads come in through the real intake API (POST /api/submissions over HTTP to the live server), people
log in through the login form, and every action is a click or a key press. Screenshots of the main
pages land in docs/screenshots/ (shown in the README's tour).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from leadflow.accounts.models import User
from leadflow.clients.models import Client
from leadflow.intake.models import Form, Submission
from leadflow.leads import services
from leadflow.leads.models import Activity, Lead, Notification, OwnerChange, Task

from .conftest import PHONE, Site, Watched

pytestmark = pytest.mark.browser

MOSCOW = ZoneInfo("Europe/Moscow")
SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = "<img src=x onerror=alert(1)>"

# People and companies for the pages the screenshots show.
DEMO = [
    {"name": "Сергеев Пётр Ильич", "phone": "+7 916 100-00-01", "email": "petr@example.ru",
     "company": "ООО Ромашка", "city": "Москва", "utm_source": "google", "utm_campaign": "spring"},
    {"name": "Кузнецова Анна Сергеевна", "phone": "+7 916 100-00-02", "email": "anna@example.ru",
     "company": "АО Вектор", "product_interest": "Оптовые поставки", "deal_type": "wholesale",
     "utm_source": "yandex", "utm_campaign": "opt"},
    {"name": "Орлова Мария Петровна", "phone": "+7 916 100-00-03", "email": "maria@example.ru",
     "city": "Казань", "message": "Перезвоните после обеда, пожалуйста"},
    {"name": "John Smith", "phone": "+44 20 7946 0958", "email": "john.smith@example.com",
     "company": "Acme Ltd", "utm_source": "partner"},
    {"name": "Иванов Иван Иванович", "phone": "+7 916 100-00-05", "email": "ivanov@example.ru",
     "company": "ИП Иванов", "city": "Тверь"},
]


# ---------------------------------------------------------------- helpers


def submit(site: Site, form: Form, body: dict[str, Any]) -> Lead:
    """POST /api/submissions with the form's public key, over HTTP, as a web form would; the lead it made."""
    request = urllib.request.Request(  # noqa: S310 (the live server's http:// URL)
        f"{site.url}/api/submissions", data=json.dumps({"consent": True, **body}).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Form-Key": form.public_key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        pytest.fail(f"POST /api/submissions answered {error.code}: {error.read().decode()}")
    submission = Submission.objects.select_related("lead").get(pk=answer["submission_id"])
    assert submission.status in ("created", "attached") and submission.lead is not None, submission.errors
    return submission.lead


def seed(site: Site, form: Form, rows: list[dict[str, Any]] = DEMO) -> list[Lead]:
    return [submit(site, form, row) for row in rows]


def give(lead: Lead, to: User) -> Lead:
    services.claim_lead(lead=lead, by=to)
    lead.refresh_from_db()
    return lead


def card_action(page: Any, summary: str) -> Any:
    """Open one of the card's folded action forms (<details>) and return its form."""
    details = page.locator("details.action").filter(has=page.locator("summary", has_text=summary))
    details.locator("summary").click()
    return details.locator("form")


def ru(text: str) -> str:
    """The Russian for one of Leadflow's strings, from the compiled catalogue the server uses."""
    with translation.override("ru"):
        translated = translation.gettext(text)
    assert translated != text, f"no Russian for {text!r} in leadflow/locale/ru"
    return translated


def body_fits(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


# ---------------------------------------------------------------- scenarios


def test_log_in_and_claim_a_lead_from_the_pool(site: Site, web_form, alice):
    leads = seed(site, web_form)
    target = leads[0]
    me = site.new_page()
    page = me.page

    page.goto(f"{site.url}/pool/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/pool/$"))
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong user name or password")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{site.url}/pool/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pool")
    expect(page.locator("#pool-rows tr")).to_have_count(len(DEMO))
    site.screenshot(me, "pool")

    row = page.locator(f"#pool-{target.pk}")
    expect(row).to_contain_text("Сергеев Пётр Ильич")
    row.get_by_role("button", name="Claim").click()
    expect(row).to_contain_text("the lead is yours")
    expect(row.get_by_role("link", name="Сергеев Пётр Ильич")).to_be_visible()

    target.refresh_from_db()
    assert target.owner == alice
    assert OwnerChange.objects.get(lead=target).reason == "claim"
    assert Task.objects.get(lead=target).assignee == alice  # the first call follows the lead

    page.reload()
    expect(page.locator(f"#pool-{target.pk}")).to_have_count(0)
    page.goto(f"{site.url}/leads/{target.pk}/")
    expect(page.get_by_test_id("lead-owner")).to_have_text("Alice")


def test_a_lead_claimed_a_second_ago_is_gone_from_the_pool_naming_nobody(site: Site, web_form, alice, bob):
    lead = seed(site, web_form, DEMO[:1])[0]
    him = site.new_page()
    site.login(him, "bob")
    him.page.goto(f"{site.url}/pool/")
    give(lead, alice)  # while bob looks at the pool

    row = him.page.locator(f"#pool-{lead.pk}")
    row.get_by_role("button", name="Claim").click()
    expect(row).to_contain_text("This lead is not in your pool any more.")
    expect(row).not_to_contain_text("Alice")
    expect(row.get_by_role("button", name="Claim")).to_have_count(0)
    lead.refresh_from_db()
    assert lead.owner == alice
    assert list(OwnerChange.objects.filter(lead=lead).values_list("to_owner__username", flat=True)) == ["alice"]


def test_a_new_lead_appears_in_an_open_pool_without_a_reload(site: Site, web_form, alice, settings):
    settings.LEADFLOW_POOL_REFRESH_SECONDS = 1
    first = seed(site, web_form, DEMO[:1])[0]
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/pool/")
    expect(page.locator("#pool-rows tr")).to_have_count(1)
    expect(page.get_by_test_id("pool-count")).to_have_text("1")

    # Two leads come in while Alice looks at the pool; a colleague claims the first one meanwhile.
    second, third = seed(site, web_form, DEMO[1:3])
    expect(page.locator("#pool-rows tr").first).to_have_id(f"pool-{third.pk}")
    expect(page.locator("#pool-rows tr").nth(1)).to_have_id(f"pool-{second.pk}")
    expect(page.locator("#pool-rows tr")).to_have_count(3)  # each once, however many looks overlap
    expect(page.get_by_test_id("pool-count")).to_have_text("3")
    expect(page).to_have_title(re.compile(r"^\(3\) Pool"))
    give(first, User.objects.get(username="alice"))
    expect(page.get_by_test_id("pool-count")).to_have_text("2")

    # The new row works like the others: Alice claims it in place.
    row = page.locator(f"#pool-{third.pk}")
    row.get_by_role("button", name="Claim").click()
    expect(row).to_contain_text("the lead is yours")
    third.refresh_from_db()
    assert third.owner == alice
    assert me.dialogs == []


SHOWN_ALERTS = """
    window.shownAlerts = [];
    const RealNotification = window.Notification;
    window.Notification = class extends RealNotification {
        constructor(title, options) {
            super(title, options);
            this.addEventListener("show", () => window.shownAlerts.push(options.body));
        }
    };
"""


def test_desktop_alerts_announce_new_pool_leads_once_across_tabs(site: Site, web_form, alice, settings):
    settings.LEADFLOW_POOL_REFRESH_SECONDS = 1
    me = site.new_page()
    context = me.page.context
    context.grant_permissions(["notifications"], origin=site.url)
    context.add_init_script(SHOWN_ALERTS)  # records each alert chromium really shows
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/pool/")
    seed(site, web_form, DEMO[:1])
    expect(page.get_by_test_id("pool-count")).to_have_text("1")
    assert page.evaluate("window.shownAlerts") == []  # off until the manager turns them on

    def switch(to: str) -> None:
        menu = page.locator("details.dropdown")
        if menu.get_attribute("open") is None:
            menu.locator("summary").click()
        page.get_by_test_id("alerts-toggle").click()
        expect(page.get_by_test_id("alerts-toggle")).to_have_text(f"Desktop alerts: {to}")

    expect(page.get_by_test_id("alerts-toggle")).to_have_text("Desktop alerts: off")
    switch("on")
    other = context.new_page()  # a second tab of the same manager
    other.goto(f"{site.url}/pool/")

    def shown_in_both_tabs() -> list[str]:
        return page.evaluate("window.shownAlerts") + other.evaluate("window.shownAlerts")

    seed(site, web_form, DEMO[1:2])
    for tab in (page, other):
        expect(tab.get_by_test_id("pool-count")).to_have_text("2")
    for _ in range(50):
        if shown_in_both_tabs():
            break
        page.wait_for_timeout(200)
    page.wait_for_timeout(2500)  # both tabs have looked at least twice more
    assert shown_in_both_tabs() == ["New leads in the pool: 2 waiting"]  # once, by whichever tab looked first

    switch("off")
    seed(site, web_form, DEMO[2:3])
    for tab in (page, other):
        expect(tab.get_by_test_id("pool-count")).to_have_text("3")
    page.wait_for_timeout(2500)
    assert shown_in_both_tabs() == ["New leads in the pool: 2 waiting"]
    other.close()


def test_a_new_lead_fills_an_empty_pool(site: Site, web_form, alice, settings):
    settings.LEADFLOW_POOL_REFRESH_SECONDS = 1
    me = site.new_page()
    site.login(me, "alice")
    me.page.goto(f"{site.url}/pool/")
    expect(me.page.locator("#pool-rows")).to_contain_text("The pool is empty.")
    lead = seed(site, web_form, DEMO[3:4])[0]
    expect(me.page.locator(f"#pool-{lead.pk}")).to_contain_text("John Smith")
    expect(me.page.locator("#pool-rows")).not_to_contain_text("The pool is empty.")


def test_log_a_call_on_the_lead_card(site: Site, web_form, alice):
    leads = seed(site, web_form)
    lead = give(leads[0], alice)
    give(leads[1], alice)
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")
    expect(page.get_by_test_id("lead-name")).to_have_text("Сергеев Пётр Ильич")
    expect(page.get_by_test_id("tel")).to_have_attribute("href", "tel:+79161000001")

    form = page.locator("form[action$='/activity/']")
    form.locator("[name=kind]").select_option(label="Call")  # by name: its label points elsewhere (see below)
    form.get_by_label("Subject").fill("Talked about prices")
    form.get_by_label("Notes").fill("Wants a proposal for 200 units by Friday.")
    form.get_by_label("Duration, min").fill("7")
    form.get_by_role("button", name="Log").click()

    expect(page.locator(".messages")).to_contain_text("Logged.")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Call: Talked about prices")
    expect(timeline).to_contain_text("Wants a proposal for 200 units by Friday.")
    site.screenshot(me, "card")

    activity = Activity.objects.get(lead=lead, kind="call")
    assert (activity.author, activity.subject, activity.duration_seconds) == (alice, "Talked about prices", 420)
    lead.refresh_from_db()
    assert lead.first_contacted_at == activity.occurred_at


def test_complete_a_task_with_a_result_and_the_next_task(site: Site, web_form, alice):
    leads = seed(site, web_form)
    lead = give(leads[0], alice)
    for other in leads[1:3]:
        give(other, alice)
    Task.objects.filter(lead=leads[2]).update(due_at=timezone.now() - timedelta(hours=3))  # one overdue
    first = Task.objects.get(lead=lead)
    tomorrow = timezone.localdate(timezone=MOSCOW) + timedelta(days=1)

    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
    task = page.get_by_test_id("task").filter(has_text=first.title)
    task.get_by_text("Complete").click()
    task.get_by_label("Result").fill("Reached him; asked for a proposal")
    task.get_by_label("Next task", exact=True).fill("Send the proposal")
    task.get_by_label("Next task due").fill(f"{tomorrow.isoformat()}T11:30")
    task.get_by_role("button", name="Done").click()

    expect(page.locator(".messages")).to_contain_text("Task completed.")
    expect(page.get_by_test_id("task").filter(has_text=first.title)).to_have_count(0)
    upcoming = page.locator("section").filter(has=page.get_by_role("heading", name=re.compile("^Upcoming")))
    expect(upcoming.get_by_test_id("task").filter(has_text="Send the proposal")).to_contain_text(
        "Сергеев Пётр Ильич")
    site.screenshot(me, "tasks")

    first.refresh_from_db()
    assert first.completed_at is not None and first.result == "Reached him; asked for a proposal"
    follow_up = Task.objects.get(previous=first)
    assert (follow_up.title, follow_up.lead, follow_up.assignee) == ("Send the proposal", lead, alice)
    assert follow_up.completed_at is None
    assert follow_up.due_at == datetime.combine(tomorrow, time(11, 30), tzinfo=MOSCOW)


def test_refuse_a_lead_with_a_reason(site: Site, web_form, alice):
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")

    form = card_action(page, "Refuse")
    form.get_by_label("Reason").select_option(label="No budget now")
    form.locator("[name=note]").fill("Budget frozen until spring")  # by name: the label is the defer form's
    form.get_by_role("button", name="Refuse").click()

    expect(page.locator(".messages")).to_contain_text("The lead is marked refused.")
    expect(page.get_by_test_id("lead-state")).to_have_text("Refused")
    expect(page.locator("main")).to_contain_text("Refused: No budget now — Budget frozen until spring")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()

    lead.refresh_from_db()
    assert lead.state == "refused"
    assert lead.lost_reason.name == "No budget now" and lead.lost_note == "Budget frozen until spring"


def test_convert_a_lead_and_open_the_client_card(site: Site, web_form, alice):
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    services.log_activity(lead=lead, kind="call", by=alice, subject="Agreed on the first delivery")
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    page.goto(f"{site.url}/leads/{lead.pk}/")

    form = card_action(page, "Convert into a client")
    expect(form.locator("[name=company_name]")).to_have_value("Ромашка")
    form.locator("[name=company_name]").fill("Сбербанк")
    form.locator("[name=legal_form]").fill("ПАО")
    form.get_by_label("INN").fill("7707083893")
    form.get_by_label("KPP").fill("773601001")
    form.get_by_label("OGRN").fill("1027700132195")
    form.get_by_label("Legal address").fill("117312, г. Москва, ул. Вавилова, д. 19")
    form.get_by_role("button", name="Convert").click()

    client = Client.objects.get(lead=lead)  # the redirect lands on its card
    expect(page).to_have_url(f"{site.url}/clients/{client.pk}/")
    expect(page.get_by_test_id("client-name")).to_have_text("ПАО Сбербанк")
    main = page.locator("main")
    for text in ("7707083893", "773601001", "1027700132195", "ул. Вавилова, д. 19", "Agreed on the first delivery"):
        expect(main).to_contain_text(text)
    expect(page.get_by_test_id("lead-link")).to_contain_text("Сергеев Пётр Ильич")
    site.screenshot(me, "client")

    lead.refresh_from_db()
    assert lead.state == "converted"
    company = client.company
    assert (company.name, company.legal_form, company.inn, company.kpp, company.ogrn) == (
        "Сбербанк", "ПАО", "7707083893", "773601001", "1027700132195")
    assert company.legal_address == "117312, г. Москва, ул. Вавилова, д. 19"
    assert client.owner == alice and client.contact.full_name == "Сергеев Пётр Ильич"

    page.get_by_test_id("lead-link").get_by_role("link").click()  # and back to the lead
    expect(page).to_have_url(f"{site.url}/leads/{lead.pk}/")
    expect(page.get_by_test_id("lead-state")).to_have_text("Converted")
    link = page.get_by_test_id("client-link").get_by_role("link")
    expect(link).to_have_text("ПАО Сбербанк")
    expect(link).to_have_attribute("href", f"/clients/{client.pk}/")


def test_switch_to_russian_is_saved_on_the_user(site: Site, web_form, alice):
    lead = give(seed(site, web_form, DEMO[:2])[0], alice)
    services.log_activity(lead=lead, kind="call", by=alice, subject="Обсудили цены")
    me = site.new_page()
    site.login(me, "alice")
    page = me.page
    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")

    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page).to_have_url(f"{site.url}/tasks/")
    expect(page.get_by_role("heading", level=1)).to_have_text(ru("My tasks"))
    expect(page.get_by_test_id("lang-switch")).to_have_text("English")
    alice.refresh_from_db()
    assert alice.language == "ru"

    page.goto(f"{site.url}/pool/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(ru("Pool"))
    expect(page.locator("#pool-rows")).to_contain_text("минут")  # Django's own Russian (timesince)
    page.goto(f"{site.url}/leads/{lead.pk}/")
    expect(page.locator("main")).to_contain_text(ru("Log a call, e-mail, meeting"))
    expect(page.get_by_test_id("timeline")).to_contain_text(re.compile(r"\d\d\.\d\d\.\d{4} \d\d:\d\d"))  # ru dates
    site.screenshot(me, "card-ru")

    # A new browser (no language cookie) and a new login: the choice follows the user.
    again = site.new_page()
    site.login(again, "alice")
    expect(again.page.locator("html")).to_have_attribute("lang", "ru")
    expect(again.page.get_by_role("heading", level=1)).to_have_text(ru("My tasks"))


def test_stored_xss_in_names_renders_as_text_on_every_page(site: Site, web_form, alice, head):
    script = submit(site, web_form, {"first_name": SCRIPT_NAME, "company": SCRIPT_NAME, "phone": "+79161230001",
                                     "email": "script@example.ru", "message": SCRIPT_NAME})
    img = submit(site, web_form, {"first_name": IMG_NAME, "company": IMG_NAME, "phone": "+79161230002",
                                  "email": "img@example.ru"})
    assert (script.full_name, img.full_name) == (SCRIPT_NAME, IMG_NAME)  # the pipeline kept them as typed
    both = (SCRIPT_NAME, IMG_NAME)

    def check(watched: Watched, path: str, names: tuple[str, ...] = both) -> None:
        page = watched.page
        if path:
            response = page.goto(f"{site.url}{path}")
            assert response.status == 200, path
        for name in names:
            expect(page.get_by_text(name).first, f"{name} shown as text on {page.url}").to_be_visible()
        assert page.locator('img[src="x"]').count() == 0, page.url
        assert not page.evaluate("[...document.scripts].some(s => s.textContent.includes('alert(1)'))"), page.url
        assert watched.dialogs == [], f"dialog on {page.url}: {watched.dialogs}"

    boss = site.new_page()
    site.login(boss, "head")
    check(boss, "/team/")
    check(boss, "/board/")

    me = site.new_page()
    site.login(me, "alice")
    check(me, "/pool/")
    for lead in (script, img):
        row = me.page.locator(f"#pool-{lead.pk}")
        row.get_by_role("button", name="Claim").click()
        expect(row).to_contain_text("the lead is yours")
        check(me, "", (lead.full_name,))  # the row htmx swapped in
    assert set(Lead.objects.filter(owner=alice).values_list("full_name", flat=True)) == set(both)

    for lead in (script, img):  # the same people again: a notification each for alice
        assert submit(site, web_form, {"first_name": lead.full_name, "phone": lead.phone, "message": "again"}) == lead
        assert Notification.objects.filter(user=alice, kind="request.attached", lead=lead).exists()
    for path in ("/leads/", "/board/", "/tasks/", "/notifications/"):
        check(me, path)
    check(me, f"/leads/{img.pk}/", (IMG_NAME,))
    check(me, f"/leads/{script.pk}/", (SCRIPT_NAME,))

    form = card_action(me.page, "Convert into a client")
    form.get_by_role("button", name="Convert").click()
    client = Client.objects.get(lead=script)
    expect(me.page).to_have_url(f"{site.url}/clients/{client.pk}/")
    assert client.name == SCRIPT_NAME and client.contact.full_name == SCRIPT_NAME
    check(me, "", (SCRIPT_NAME,))
    expect(me.page.get_by_test_id("client-name")).to_have_text(SCRIPT_NAME)
    expect(me.page.get_by_test_id("lead-link")).to_contain_text(SCRIPT_NAME)
    check(me, "/clients/", (SCRIPT_NAME,))
    check(boss, "/team/", ())  # the head's load table after it all


def test_phone_sized_screen_and_keyboard(site: Site, web_form, alice):
    leads = seed(site, web_form)
    lead = give(leads[1], alice)
    me = site.new_page(viewport=PHONE)
    site.login(me, "alice")
    page = me.page

    page.goto(f"{site.url}/pool/")
    expect(page.locator("#pool-rows tr")).to_have_count(len(DEMO) - 1)
    assert body_fits(page), "the pool scrolls sideways on a 375 px wide screen"
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < 812 / 5, f"the menu takes {header['height']:.0f} px of the phone's first screen"
    site.screenshot(me, "pool-phone")

    page.goto(f"{site.url}/leads/{lead.pk}/")
    expect(page.get_by_test_id("lead-name")).to_have_text("Кузнецова Анна Сергеевна")
    assert body_fits(page), "the lead card scrolls sideways on a 375 px wide screen"

    # Only the keyboard from here: Tab to the log-a-call form, type, Enter.
    in_activity_form = "!!document.activeElement.closest(\"form[action$='/activity/']\")"
    for _ in range(150):
        page.keyboard.press("Tab")
        if page.evaluate(in_activity_form):
            break
    else:
        pytest.fail("Tab never reaches the log-a-call form")
    assert page.evaluate("document.activeElement.name") == "kind"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "subject"
    page.keyboard.type("Called from the road")
    page.keyboard.press("Enter")

    expect(page.locator(".messages")).to_contain_text("Logged.")
    expect(page.get_by_test_id("timeline")).to_contain_text("Call: Called from the road")
    activity = Activity.objects.get(lead=lead)
    assert (activity.kind, activity.subject, activity.author) == ("call", "Called from the road", alice)


def test_on_a_phone_the_card_shows_the_tasks_and_the_call_form_right_after_the_contacts(site: Site, web_form, alice):
    """A manager calls from the phone: the number, then the task to complete and the form to log the call, without
    scrolling past the source, consents, timeline and history first (they had come after all of them)."""
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    client = services.convert_lead(lead=give(seed(site, web_form, DEMO[2:3])[0], alice), by=alice)
    me = site.new_page(viewport=PHONE)
    site.login(me, "alice")
    page = me.page

    def top(article: Any) -> float:
        return article.bounding_box()["y"]

    page.goto(f"{site.url}/leads/{lead.pk}/")
    contacts = page.locator("article", has=page.locator("header", has_text="Contacts"))
    tasks = page.locator("article", has=page.locator("header", has_text="Tasks"))
    actions = page.locator("article", has=page.locator("form[action$='/activity/']"))
    source = page.locator("article", has=page.locator("header", has_text="Source"))
    assert top(contacts) < top(tasks) < top(actions) < top(source), "the card's work is not next to its contacts"
    assert top(actions) < 812 * 2.5, f"the log-a-call form is {top(actions):.0f} px down the phone's page"
    # The desktop keeps its two columns: the tasks beside the contacts.
    page.set_viewport_size({"width": 1280, "height": 900})
    assert tasks.bounding_box()["x"] > contacts.bounding_box()["x"] + contacts.bounding_box()["width"]
    page.set_viewport_size(PHONE)

    page.goto(f"{site.url}/clients/{client.pk}/")
    contacts = page.locator("article", has=page.locator("header", has_text="Contacts"))
    tasks = page.locator("article", has=page.locator("header", has_text="Tasks"))
    actions = page.locator("article", has=page.locator("form[action$='/activity/']"))
    timeline = page.locator("article", has=page.locator("header", has_text="Timeline"))
    assert top(contacts) < top(tasks) < top(actions) < top(timeline), "the client card's work is not near its contacts"
    assert body_fits(page), "the client card scrolls sideways on a 375 px wide screen"


def test_head_assigns_from_the_team_page_and_moves_a_lead_on_the_board(site: Site, web_form, head, alice, bob):
    leads = seed(site, web_form)
    give(leads[3], alice)
    give(leads[4], bob)
    # An SLA breach: its first task's due time (kept on the card) 40 minutes ago.
    Task.objects.filter(lead=leads[2]).update(due_at=timezone.now() - timedelta(minutes=40))
    Lead.objects.filter(pk=leads[2].pk).update(sla_due_at=timezone.now() - timedelta(minutes=40))
    waiting = leads[0]
    boss = site.new_page()
    site.login(boss, "head")
    page = boss.page
    expect(page).to_have_url(f"{site.url}/team/")
    site.screenshot(boss, "team")

    page.get_by_role("checkbox", name="Сергеев Пётр Ильич").check()
    page.locator("form[action$='/team/assign/']").get_by_label("Owner").select_option(str(alice.pk))
    page.get_by_role("button", name="Assign the selected").click()
    expect(page.locator(".messages")).to_contain_text("1 lead(s) assigned.")
    expect(page.get_by_role("checkbox", name="Сергеев Пётр Ильич")).to_have_count(0)
    waiting.refresh_from_db()
    assert waiting.owner == alice
    assert Notification.objects.filter(user=alice, kind="lead.assigned", lead=waiting).exists()

    page.goto(f"{site.url}/board/")
    tile = page.locator(f"#tile-{waiting.pk}")
    expect(page.locator(".column[data-stage=new]")).to_contain_text("Сергеев Пётр Ильич")
    tile.get_by_label("Move to stage").select_option("contacted")
    tile.get_by_role("button", name="Move").click()
    expect(page.locator(".column[data-stage=contacted]").locator(f"#tile-{waiting.pk}")).to_be_visible()
    site.screenshot(boss, "board")
    waiting.refresh_from_db()
    assert waiting.stage.code == "contacted"

    # Choosing an owner shows that owner's board at once (the form's button is only there without script).
    page.locator("form.filters").get_by_label("Owner").select_option(str(bob.pk))
    expect(page).to_have_url(re.compile(rf".*/board/\?owner={bob.pk}"))
    expect(page.locator(f"#tile-{leads[4].pk}")).to_be_visible()
    expect(page.locator(f"#tile-{waiting.pk}")).to_have_count(0)


def test_bob_gets_404_for_alices_lead(site: Site, web_form, alice, bob):
    lead = give(seed(site, web_form, DEMO[:1])[0], alice)
    him = site.new_page()
    site.login(him, "bob")
    page = him.page

    response = page.goto(f"{site.url}/leads/{lead.pk}/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Сергеев")
    page.goto(f"{site.url}/pool/")
    expect(page.locator("body")).not_to_contain_text("Сергеев")

    lead.refresh_from_db()
    assert lead.owner == alice
    assert not Activity.objects.filter(lead=lead).exists()
    assert list(OwnerChange.objects.filter(lead=lead).values_list("to_owner__username", flat=True)) == ["alice"]


LABEL_PROBLEMS = """() => {
  const seen = {}, problems = [];
  for (const el of document.querySelectorAll("[id]")) {
    if (seen[el.id]) problems.push(`duplicate id ${el.id}`);
    seen[el.id] = true;
  }
  for (const label of document.querySelectorAll("label[for]")) {
    const target = document.getElementById(label.htmlFor), form = label.closest("form");
    if (form && (!target || target.closest("form") !== form)) {
      problems.push(`label "${label.textContent.trim()}" in ${form.getAttribute("action")} names a control of `
                    + `${target && target.closest("form") ? target.closest("form").getAttribute("action") : "none"}`);
    }
  }
  return problems;
}"""


def test_every_label_on_the_card_names_a_control_of_its_own_form(site: Site, web_form, head):
    lead = give(seed(site, web_form, DEMO[:1])[0], head)
    boss = site.new_page()
    site.login(boss, "head")
    boss.page.goto(f"{site.url}/leads/{lead.pk}/")
    expect(boss.page.get_by_test_id("lead-name")).to_have_text("Сергеев Пётр Ильич")
    assert boss.page.evaluate(LABEL_PROBLEMS) == []


def test_the_interactive_api_docs_work_on_a_closed_network(site: Site):
    """/api/docs draws the operations with the Swagger UI Leadflow serves itself: a server without internet
    (and the page's Content-Security-Policy) would leave a blank page if it were fetched from a CDN."""
    reader = site.new_page()
    outside: list[str] = []
    reader.page.on("request", lambda request: outside.append(request.url)
                   if not request.url.startswith(site.url) else None)
    reader.page.goto(f"{site.url}/api/docs")
    expect(reader.page.locator(".opblock-summary-path", has_text="/api/submissions").first).to_be_visible()
    assert outside == []
